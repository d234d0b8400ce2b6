"""Diagnostics: what is wrong, where, and what would fix it; collected, sorted, rendered."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .codes import ErrorCode
from .source import Source, Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One error in one file: a stable code, a message, a span and optional help and notes."""

    code: str
    """The code's name (`unbound-input`); `codes.lookup` gives its description."""
    message: str
    path: str
    span: Span
    help: str | None = None
    notes: tuple[str, ...] = ()
    severity: str = "error"
    """`error`, or `warning`: the file compiles, but this is likely a mistake."""

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.span.line, self.span.column, self.code, self.message)

    def location(self) -> str:
        return f"{printable(self.path)}:{self.span.line}:{self.span.column}"

    def concise(self) -> str:
        """One line: `path:line:col: error: message [code]`."""
        return f"{self.location()}: {self.severity}: {self.message} [{self.code}]"

    def render(self, source: Source | None, color: bool = False) -> str:
        """The full form: the concise line, the source line with a caret, then help and notes."""
        bold, red, blue, reset = ("\x1b[1m", "\x1b[31m", "\x1b[34m", "\x1b[0m") if color else ("",) * 4
        if color and self.severity == "warning":
            red = "\x1b[33m"
        lines = [f"{bold}{self.location()}: {red}{self.severity}:{reset}{bold} {self.message} [{self.code}]{reset}"]
        if source is not None and source.has_line(self.span.line):
            text, caret = underline(source.line_text(self.span.line), self.span)
            gutter = str(self.span.line)
            pad = " " * len(gutter)
            lines += [
                f"{blue}{pad} |{reset}",
                f"{blue}{gutter} |{reset} {text}",
                f"{blue}{pad} |{reset} {red}{caret}{reset}",
            ]
        if self.help:
            lines.append(f"{blue}help:{reset} {self.help}")
        lines.extend(f"{blue}note:{reset} {note}" for note in self.notes)
        return "\n".join(lines)


TAB_STOP = 4
"""Where a tab in a quoted source line advances to: the next multiple of this column."""

MAX_SHOWN = 120
"""The most terminal cells of a source line a diagnostic quotes: a longer line is cut to a
window around what the caret points at, `…` marking each cut."""
BEFORE = 40
"""Cells kept before the caret when the start of a long line is cut."""


def underline(raw: str, span: Span) -> tuple[str, str]:
    """A source line as shown on a terminal, and the caret line under `span` in it: tabs
    expanded, control characters replaced (see `printable`), a wide (East Asian) character
    two cells, a combining mark none, so that the caret stands under what it points at. A
    line of more than `MAX_SHOWN` cells is cut around the caret."""
    shown, starts = layout(raw)
    start = span.column - 1
    stop = span.end_column - 1 if span.end_line == span.line else len(raw)
    stop = max(start + 1, min(stop, len(raw)))
    first = starts[min(start, len(raw))] + max(0, start - len(raw))
    cells = max(1, starts[min(stop, len(raw))] - first)
    if starts[-1] <= MAX_SHOWN:
        return shown, " " * first + "^" + "~" * (cells - 1)
    return cut(raw, starts, first, cells)


def cut(raw: str, starts: list[int], first: int, cells: int) -> tuple[str, str]:
    """A long line's window of `MAX_SHOWN` cells around the caret at cell `first`."""
    # The line's start is kept while the caret is well inside the first window.
    low = 0 if first <= MAX_SHOWN - BEFORE else max(0, min(first - BEFORE, starts[-1] - MAX_SHOWN))
    high = low + MAX_SHOWN
    chars = [i for i in range(len(raw)) if starts[i] >= low and starts[i + 1] <= high]
    text = "".join(piece(raw, starts, i) for i in chars)
    prefix = "…" if low > 0 else ""
    suffix = "…" if chars and chars[-1] < len(raw) - 1 else ""
    offset = starts[chars[0]] if chars else low
    caret_at = len(prefix) + max(0, first - offset)
    width = max(1, min(cells, high - max(first, offset)))
    return prefix + text + suffix, " " * caret_at + "^" + "~" * (width - 1)


def piece(raw: str, starts: list[int], index: int) -> str:
    """One character of a line as `layout` shows it (a tab as the spaces it spans)."""
    char = raw[index]
    return " " * (starts[index + 1] - starts[index]) if char == "\t" else printable(char)


def layout(raw: str) -> tuple[str, list[int]]:
    """A line as shown, and the terminal cell where each character starts (and its end)."""
    shown: list[str] = []
    starts: list[int] = []
    cell = 0
    for char in raw:
        starts.append(cell)
        if char == "\t":
            width = TAB_STOP - cell % TAB_STOP
            shown.append(" " * width)
        else:
            char = printable(char)
            width = 0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
            shown.append(char)
        cell += width
    starts.append(cell)
    return "".join(shown), starts


def printable(text: str) -> str:
    """A source line as it can be shown on a terminal, one character per column: a tab as
    one space, other control characters (and lone surrogates) as U+FFFD."""
    return "".join(
        " " if c == "\t" else c if c.isprintable() and not "\ud800" <= c <= "\udfff" else "\ufffd" for c in text
    )


class CompileError(Exception):
    """Raised by `flowc.compile_source` when the input has errors; carries every diagnostic."""

    def __init__(
        self, diagnostics: list[Diagnostic], source: Source | None = None, others: tuple[Source, ...] = ()
    ) -> None:
        self.diagnostics = diagnostics
        self.source = source
        self.others = others
        """The other files some diagnostics are about: `.flow` files this one imports."""
        super().__init__("\n".join(d.concise() for d in diagnostics))

    def source_of(self, diagnostic: Diagnostic) -> Source | None:
        """The text a diagnostic points into: its own file's, whichever file that is."""
        for source in (self.source, *self.others):
            if source is not None and source.path == diagnostic.path:
                return source
        return None

    def render(self, color: bool = False) -> str:
        return "\n\n".join(d.render(self.source_of(d), color) for d in self.diagnostics)


class Collector:
    """Every stage reports into one collector, so one run shows every error of a file."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._seen: dict[tuple[str, int, int, str, str], Diagnostic] = {}
        self.warnings: list[Diagnostic] = []
        self._others: dict[str, Source] = {}

    def extend(self, error: CompileError) -> None:
        """Take in the errors of another file (one this file imports), reported against it."""
        for diagnostic in error.diagnostics:
            self._seen.setdefault(diagnostic.sort_key, diagnostic)
        for source in (error.source, *error.others):
            if source is not None and source.path != self.source.path:
                self._others.setdefault(source.path, source)

    def error(
        self, code: ErrorCode, message: str, span: Span, *, help: str | None = None, notes: tuple[str, ...] = ()
    ) -> None:
        diagnostic = Diagnostic(
            code=code.code, message=message, path=self.source.path, span=span, help=help, notes=notes
        )
        self._seen.setdefault(diagnostic.sort_key, diagnostic)

    def warning(self, code: ErrorCode, message: str, span: Span, *, help: str | None = None) -> None:
        """A warning: kept apart from the errors, it never stops a compile."""
        assert code.warning, f"{code} is not a warning"
        self.warnings.append(
            Diagnostic(code=code.code, message=message, path=self.source.path, span=span, help=help, severity="warning")
        )

    def __bool__(self) -> bool:
        return bool(self._seen)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return sorted(self._seen.values(), key=lambda d: d.sort_key)

    def raise_if_any(self) -> None:
        if self._seen:
            raise CompileError(self.diagnostics, self.source, tuple(self._others.values()))


def did_you_mean(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """A `help:` text suggesting the closest candidate names, if any is close."""
    names = sorted(set(candidates))
    close = difflib.get_close_matches(name, names, n=3, cutoff=cutoff)
    if not close:
        return None
    return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
