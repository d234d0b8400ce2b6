"""Positions between flowc and an editor: flowc counts 1-based lines and columns in code
points, the protocol 0-based lines and columns in the code units the client chose (UTF-16
unless it said otherwise). Both break lines at `\\n` only (`\\r\\n` ends in it; a lone `\\r`
is an error flowc reports), so lines agree and only columns need converting."""

from __future__ import annotations

from lsprotocol import types

from ..source import Source, Span

UNITS = {
    types.PositionEncodingKind.Utf8: "utf-8",
    types.PositionEncodingKind.Utf16: "utf-16-le",
    types.PositionEncodingKind.Utf32: "utf-32-le",
}
WIDTH = {"utf-8": 1, "utf-16-le": 2, "utf-32-le": 4}


class Positions:
    """Converts between a document's spans and protocol positions, in one encoding."""

    def __init__(self, source: Source, encoding: str | None = None) -> None:
        self.source = source
        self.codec = UNITS.get(types.PositionEncodingKind(encoding), "utf-16-le") if encoding in UNITS else "utf-16-le"

    def units(self, text: str) -> int:
        """How many of the client's code units `text` is."""
        if self.codec == "utf-32-le":
            return len(text)
        return len(text.encode(self.codec, "surrogatepass")) // WIDTH[self.codec]

    def position(self, line: int, column: int) -> types.Position:
        """The protocol position of a 1-based (line, column)."""
        text = self.source.line_text(line)
        return types.Position(line=max(0, line - 1), character=self.units(text[: max(0, column - 1)]))

    def range(self, span: Span) -> types.Range:
        return types.Range(
            start=self.position(span.line, span.column), end=self.position(span.end_line, span.end_column)
        )

    def location(self, position: types.Position) -> tuple[int, int]:
        """The 1-based (line, column) of a protocol position, clamped to its line."""
        text = self.source.line_text(position.line + 1)
        column = count = 0
        while column < len(text):
            step = self.units(text[column])
            if count + step > position.character:
                break
            count += step
            column += 1
        return position.line + 1, column + 1

    def offset(self, position: types.Position) -> int:
        """The character offset of a protocol position in the text (clamped to it)."""
        return self.source.offset(*self.location(position))


def apply_change(text: str, change: types.TextDocumentContentChangeEvent, encoding: str | None) -> str:
    """The text after one change the client sent: a range replaced, or the whole text."""
    if isinstance(change, types.TextDocumentContentChangePartial):
        positions = Positions(Source("", text), encoding)
        start = positions.offset(change.range.start)
        end = max(start, positions.offset(change.range.end))
        return text[:start] + change.text + text[end:]
    return change.text


def contains(span: Span, line: int, column: int) -> bool:
    """Whether a 1-based (line, column) is inside `span` or just after its end (where the
    cursor stands after typing a name)."""
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)
