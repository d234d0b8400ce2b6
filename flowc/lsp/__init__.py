"""The language server (`flowc lsp`): the compiler's diagnostics as you type, hover, go to
definition, completion and document symbols for `.flow` files in any LSP editor."""

DEBOUNCE_MS = 150
"""Milliseconds without a change before a document is checked again (`flowc lsp --debounce`):
about the pause between words when typing, so that a word is not reported letter by letter."""
