"""One open `.flow` document: its text as the editor has it, the compiler's diagnostics for
that text, and its outline; each computed once per version, when first asked for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from ..compiler import analyze, decode
from ..diagnostics import CompileError, Diagnostic
from ..project import Project
from ..source import Source
from .outline import Outline, repaired
from .positions import Positions


@dataclass(frozen=True, slots=True)
class Imports:
    """Where the `.flow` files a document imports are found (the import roots, as `flowc
    check` takes them from `[tool.flowc]`), and the folder paths are shown relative to."""

    roots: tuple[Path, ...]
    base: Path
    python: tuple[Path, ...] = ()
    """Where its Python imports are looked for first (as `flowc run` imports them)."""

    def project(self) -> Project:
        """A fresh project: imported files are read again, as they are on disk now."""
        return Project(self.roots, self.base)


def check(text: str, path: Path | None, imports: Imports | None, name: str) -> list[Diagnostic]:
    """The compiler's diagnostics for `text`, exactly as `flowc check` reports them: the
    checks of decoding a file (a NUL byte, a lone carriage return) and the front end's, the
    files it imports read from disk. An imported file's own errors are left to that file
    (this one gets the `imported-errors` error at its import)."""
    project = imports.project() if imports is not None and path is not None else None
    display = project.display(path) if project is not None and path is not None else name
    try:
        try:
            source = decode(text.encode("utf-8"), display)
        except UnicodeEncodeError:  # a lone surrogate, which the front end reports
            source = Source(display, text)
        if project is None or path is None:
            analyze(source)
        else:
            with project.analyzing(path, display) as loader:
                analyze(source, loader)
    except CompileError as error:
        return [d for d in error.diagnostics if d.path == display]
    return []


class Document:
    """An open document at one version."""

    def __init__(
        self,
        uri: str,
        path: Path | None,
        text: str,
        version: int | None,
        encoding: str | None,
        imports: Imports | None = None,
    ) -> None:
        self.uri = uri
        self.path = path
        self.text = text
        self.version = version
        self.encoding = encoding
        self.imports = imports
        self.source = Source(str(path) if path is not None else uri, text)
        self.positions = Positions(self.source, encoding)
        self._diagnostics: list[Diagnostic] | None = None
        self._outline: Outline | None = None
        self._outlined = False

    def changed(self, text: str, version: int | None) -> Document:
        return Document(self.uri, self.path, text, version, self.encoding, self.imports)

    def check(self) -> list[Diagnostic]:
        """The compiler's diagnostics for this version, computed once."""
        if self._diagnostics is None:
            self._diagnostics = check(self.text, self.path, self.imports, self.source.path)
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
