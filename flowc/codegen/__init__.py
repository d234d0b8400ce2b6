"""Stage three: a checked IR to the generated module's text, black-formatted, with the
runtime helpers it uses."""
