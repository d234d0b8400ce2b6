"""One open `.flow` document: its text as the editor has it, the compiler's diagnostics for
that text, and its outline; each computed once per version, when first asked for."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from ..compiler import analyze, decode
from ..diagnostics import CompileError, Diagnostic
from ..source import Source
from .outline import Outline, repaired
from .positions import Positions


def check(text: str, path: str) -> list[Diagnostic]:
    """The compiler's diagnostics for `text`, exactly as `flowc check` reports them: the
    checks of decoding a file (a NUL byte, a lone carriage return) and the front end's."""
    try:
        try:
            source = decode(text.encode("utf-8"), path)
        except UnicodeEncodeError:  # a lone surrogate, which the front end reports
            source = Source(path, text)
        analyze(source)
    except CompileError as error:
        return error.diagnostics
    return []


class Document:
    """An open document at one version."""

    def __init__(self, uri: str, path: Path | None, text: str, version: int | None, encoding: str | None) -> None:
        self.uri = uri
        self.path = path
        self.text = text
        self.version = version
        self.encoding = encoding
        self.source = Source(str(path) if path is not None else uri, text)
        self.positions = Positions(self.source, encoding)
        self._diagnostics: list[Diagnostic] | None = None
        self._outline: Outline | None = None
        self._outlined = False

    def changed(self, text: str, version: int | None) -> Document:
        return Document(self.uri, self.path, text, version, self.encoding)

    def check(self) -> list[Diagnostic]:
        """The compiler's diagnostics for this version, computed once."""
        if self._diagnostics is None:
            self._diagnostics = check(self.text, self.source.path)
        return self._diagnostics

    @property
    def outline(self) -> Outline | None:
        """The outline of the text, repaired where it does not parse (None when it cannot be)."""
        if not self._outlined:
            module = repaired(self.text)
            self._outline = Outline(module) if module is not None else None
            self._outlined = True
        return self._outline

    def published(self) -> types.PublishDiagnosticsParams:
        """The diagnostics as the protocol sends them: same codes, `help:` and `note:` lines
        as related information pointing at the same place."""
        return types.PublishDiagnosticsParams(
            uri=self.uri, version=self.version, diagnostics=[self.protocol(d) for d in self.check()]
        )

    def protocol(self, diagnostic: Diagnostic) -> types.Diagnostic:
        where = types.Location(uri=self.uri, range=self.positions.range(diagnostic.span))
        related = [f"help: {diagnostic.help}"] if diagnostic.help else []
        related += [f"note: {note}" for note in diagnostic.notes]
        return types.Diagnostic(
            range=where.range,
            message=diagnostic.message,
            severity=types.DiagnosticSeverity.Error,
            code=diagnostic.code,
            source="flowc",
            related_information=[types.DiagnosticRelatedInformation(location=where, message=m) for m in related]
            or None,
        )
