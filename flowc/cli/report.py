"""What the command line tells its user: diagnostics in five formats, colour, verbosity.

Everything here goes to stderr; stdout carries only a command's product (a compiled module,
a diff, a diagram, a flow's result). `full`, `concise` and `github` print each diagnostic
as it comes; `json` and `sarif` print one document when the command finishes, and nothing
else on stderr, so that the stream parses.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from .. import __version__, codes
from ..diagnostics import CompileError, Diagnostic
from ..source import Source

INFORMATION_URI = "https://pypi.org/project/flowc/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def use_color(choice: str, stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """`always`/`never` as asked; `auto`: not with `NO_COLOR`, always with `FORCE_COLOR`
    (either when non-empty), else only on a terminal that is not `TERM=dumb`."""
    if choice != "auto":
        return choice == "always"
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """A problem with a whole file (stale, missing, unreadable...): no line or column."""

    code: str
    message: str
    path: str
    help: str | None = None


class Reporter:
    """Prints diagnostics, file problems and progress in the chosen format."""

    def __init__(self, stream: TextIO, fmt: str = "full", *, color: bool = False, verbosity: int = 0) -> None:
        self.stream = stream
        self.format = fmt
        self.color = color
        self.verbosity = verbosity
        self.collected: list[Diagnostic | Problem] = []
        self.errors = 0
        self.warnings = 0
        self._reported: set[tuple[str, int, int, str, str]] = set()

    @property
    def machine(self) -> bool:
        return self.format in ("json", "sarif")

    def compile_error(self, error: CompileError) -> None:
        """Every diagnostic a failed compile carries, each once per run: a file that several
        compiled files import brings its errors into each of their compiles."""
        for diagnostic in error.diagnostics:
            if diagnostic.sort_key not in self._reported:
                self._reported.add(diagnostic.sort_key)
                self.diagnostic(diagnostic, error.source_of(diagnostic))

    def diagnostic(self, diagnostic: Diagnostic, source: Source | None) -> None:
        if diagnostic.severity == "warning":
            self.warnings += 1
            if self.verbosity < 0:
                return  # `-q` prints errors only
        else:
            self.errors += 1
        if self.machine:
            self.collected.append(diagnostic)
        elif self.format == "github":
            self.line(github(diagnostic))
        elif self.format == "concise":
            self.line(self.paint(diagnostic.concise()))
        else:
            self.line(diagnostic.render(source, self.color) + "\n")

    def problem(self, problem: Problem) -> None:
        self.errors += 1
        if self.machine:
            self.collected.append(problem)
        elif self.format == "github":
            self.line(github(problem))
        else:
            self.line(self.paint(f"{problem.path}: error: {problem.message} [{problem.code}]"))
            if problem.help and self.format == "full":
                self.line(f"{self.style('34')}help:{self.style('0')} {problem.help}")

    def error(self, message: str, help: str | None = None) -> None:
        """A message that is no diagnostic (bad usage, bad configuration): always shown, in
        every format."""
        self.line(f"flowc: {self.style('31')}error:{self.style('0')} {message}")
        if help:
            self.line(f"{self.style('34')}help:{self.style('0')} {help}")

    def conclusion(self, text: str) -> None:
        """The last word of a failed command (what to run to fix it): shown even with `-q`,
        but not in the machine formats, whose problems carry it in their `help`."""
        if not self.machine:
            self.line(text)

    def info(self, text: str) -> None:
        """Progress and summaries: hidden by `-q` and in the machine formats."""
        if self.verbosity >= 0 and not self.machine:
            self.line(text)

    def detail(self, text: str) -> None:
        """Per-file progress: only with `-v`."""
        if self.verbosity > 0 and not self.machine:
            self.line(text)

    def finish(self) -> None:
        """Print the collected document of a machine format."""
        if self.format == "json":
            self.line(json.dumps([as_json(item) for item in self.collected], indent=2, ensure_ascii=False))
        elif self.format == "sarif":
            self.line(json.dumps(sarif(self.collected), indent=2, ensure_ascii=False))

    def line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def style(self, code: str) -> str:
        return f"\x1b[{code}m" if self.color else ""

    def paint(self, line: str) -> str:
        """Colour the word `error:` (or `warning:`) of a one-line message."""
        line = line.replace(" warning: ", f" {self.style('1;33')}warning:{self.style('0')} ", 1)
        return line.replace(" error: ", f" {self.style('1;31')}error:{self.style('0')} ", 1)


def as_json(item: Diagnostic | Problem) -> dict[str, Any]:
    span = item.span if isinstance(item, Diagnostic) else None
    return {
        "path": item.path,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
        "severity": severity(item),
        "code": item.code,
        "message": item.message,
        "help": item.help,
        "notes": list(item.notes) if isinstance(item, Diagnostic) else [],
    }


def sarif(items: list[Diagnostic | Problem]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; every diagnostic code is a rule."""
    used = sorted({item.code for item in items})
    rules = [{"id": code, "shortDescription": {"text": codes.lookup(code).description}} for code in used]
    return {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flowc",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [sarif_result(item, used.index(item.code)) for item in items],
            }
        ],
    }


def sarif_result(item: Diagnostic | Problem, rule_index: int) -> dict[str, Any]:
    text = item.message + (f"\nhelp: {item.help}" if item.help else "")
    if isinstance(item, Diagnostic):
        text += "".join(f"\nnote: {note}" for note in item.notes)
    location: dict[str, Any] = {"artifactLocation": {"uri": item.path}}
    if isinstance(item, Diagnostic):
        span = item.span
        location["region"] = {
            "startLine": span.line,
            "startColumn": span.column,
            "endLine": span.end_line,
            "endColumn": span.end_column,
        }
    return {
        "ruleId": item.code,
        "ruleIndex": rule_index,
        "level": severity(item),
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
    }


def github(item: Diagnostic | Problem) -> str:
    """A GitHub Actions workflow command that annotates the file in a pull request."""
    fields = {"file": item.path}
    if isinstance(item, Diagnostic):
        span = item.span
        fields.update(
            line=str(span.line), col=str(span.column), endLine=str(span.end_line), endColumn=str(span.end_column)
        )
    fields["title"] = f"flowc [{item.code}]"
    text = item.message + (f"\nhelp: {item.help}" if item.help else "")
    if isinstance(item, Diagnostic):
        text += "".join(f"\nnote: {note}" for note in item.notes)
    properties = ",".join(f"{key}={escape_property(value)}" for key, value in fields.items())
    return f"::{severity(item)} {properties}::{escape_data(text)}"


def severity(item: Diagnostic | Problem) -> str:
    """`error` or `warning`, the word JSON, SARIF and GitHub use alike."""
    return item.severity if isinstance(item, Diagnostic) else "error"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
