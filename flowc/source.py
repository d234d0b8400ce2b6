"""Source text and spans: where in a `.flow` file something was written."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

NEWLINE = re.compile("\n")


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based, `end_column` exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(line: int, column: int, width: int = 1) -> Span:
        return Span(line, column, line, column + width)


@dataclass(frozen=True, slots=True)
class Source:
    """A `.flow` file's name (as given by the user) and its decoded text."""

    path: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0]
        starts.extend(match.end() for match in NEWLINE.finditer(self.text))
        object.__setattr__(self, "_line_starts", tuple(starts))

    @property
    def name(self) -> str:
        """The file name without folders, as used in `file.flow:LINE` locations."""
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline ('' when out of range)."""
        if not 1 <= line <= len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    def has_line(self, line: int) -> bool:
        """Whether the file has this 1-based line (an empty file has line 1)."""
        return 1 <= line <= len(self._line_starts)

    def offset(self, line: int, column: int) -> int:
        """The character offset of a 1-based (line, column), clamped to the text."""
        if not self.has_line(line):
            return len(self.text)
        return min(self._line_starts[line - 1] + column - 1, len(self.text))

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a character offset."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    @property
    def end(self) -> Span:
        """A span just past the last character, for errors at the end of the file."""
        line, column = self.position(len(self.text))
        return Span.point(line, column)
