"""Stage two: a syntax tree to a resolved, checked IR (names, references, clauses, the graph
rules), or every error of the file at once."""
