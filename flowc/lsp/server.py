"""`flowc lsp`: the language server, over stdin and stdout, built on pygls.

The server keeps each open document's text itself (applying the editor's incremental
changes with flowc's own line breaks), and publishes the compiler's diagnostics for it a
short, quiet moment after the last change (`debounce`), at once on open and save. The check
runs in a worker thread; requests (hover, definition, completion, symbols) are answered on
the event loop from the newest text meanwhile. Every handler runs under `guard`: an
unexpected exception is a bug in flowc, logged to the editor's output, and the request gets
an empty answer; the server carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from . import DEBOUNCE_MS
from .completion import completion
from .document import Document, Imports
from .features import definition, hover, symbols
from .positions import apply_change
from .pysource import PythonSources

DEBOUNCE = DEBOUNCE_MS / 1000


class Setup(NamedTuple):
    """What the configuration says about one `.flow` file (the command line finds it)."""

    roots: list[Path] | None
    """The import roots of `.flow` files of its `[tool.flowc]`; None without one."""
    base: Path
    """The folder paths are shown relative to."""
    python: list[Path]
    """Where its Python imports are found, as `flowc run` finds them."""


Configured = Callable[[Path], Setup]


class FlowServer(LanguageServer):
    """The language server of `.flow` files."""

    def __init__(self, debounce: float = DEBOUNCE, configured: Configured | None = None) -> None:
        super().__init__("flowc", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.debounce = debounce
        self.configured = configured
        self.documents: dict[str, Document] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.sources: dict[tuple[Path | None, tuple[Path, ...], tuple[Path, ...], tuple[Path, ...]], PythonSources] = {}

    @contextlib.contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Run a handler; an exception is reported to the editor's log, not raised."""
        try:
            yield
        except Exception as error:  # a bug in flowc: the server must go on serving
            detail = "".join(traceback.format_exception(error))
            self.window_log_message(
                types.LogMessageParams(
                    type=types.MessageType.Error,
                    message=f"flowc lsp: internal error in {what} (a bug in flowc): {error!r}\n{detail}",
                )
            )

    def encoding(self) -> str | None:
        try:
            encoding = self.workspace.position_encoding
        except RuntimeError:  # pragma: no cover - before `initialize`
            return None
        return str(encoding) if encoding is not None else None

    def python(self, document: Document) -> PythonSources:
        """Where the Python source of the document's imports is looked for (one lookup, with
        its cache of parsed files, per folder of `.flow` files and set of workspace folders)."""
        folders = tuple(Path(path) for folder in self.folders() if (path := to_fs_path(folder)) is not None)
        imports = document.imports
        roots, python = (imports.roots, imports.python) if imports is not None else ((), ())
        key = (document.path.parent if document.path is not None else None, folders, roots, python)
        if key not in self.sources:
            self.sources[key] = PythonSources.for_file(document.path, folders, roots, python)
        return self.sources[key]

    def folders(self) -> list[str]:
        try:
            workspace = self.workspace
        except RuntimeError:  # pragma: no cover - before `initialize`
            return []
        uris = [folder.uri for folder in workspace.folders.values()]
        return uris or ([workspace.root_uri] if workspace.root_uri else [])

    def imports(self, path: Path | None) -> Imports | None:
        """Where the `.flow` files a document imports are found: the import roots of its
        `[tool.flowc]` configuration, else the workspace folder that holds it (or its own
        folder), as `flowc check` run there takes them."""
        if path is None:
            return None
        setup = self.configured(path) if self.configured is not None else None
        python = tuple(setup.python) if setup is not None else ()
        if setup is not None and setup.roots is not None:
            return Imports(tuple(setup.roots), setup.base, python)
        folders = [Path(p) for uri in self.folders() if (p := to_fs_path(uri)) is not None]
        folder = next((f for f in folders if path.is_relative_to(f)), path.parent)
        return Imports((folder,), folder, python)

    def open(self, item: types.TextDocumentItem) -> Document:
        found = to_fs_path(item.uri)
        path = Path(found) if found else None
        document = Document(item.uri, path, item.text, item.version, self.encoding(), self.imports(path))
        self.documents[item.uri] = document
        return document

    def change(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        document = self.documents.get(uri)
        if document is None:
            return
        text = document.text
        for change in params.content_changes:
            text = apply_change(text, change, document.encoding)
        self.documents[uri] = document.changed(text, params.text_document.version)
        self.schedule(uri, self.debounce)

    def schedule(self, uri: str, delay: float) -> None:
        """Publish the diagnostics of `uri` after `delay`, unless another change comes first."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self.publish_later(uri, delay))

    async def publish_later(self, uri: str, delay: float) -> None:
        """Check the document after `delay` and publish, unless it changed meanwhile. The
        check runs in a worker thread, so that requests are answered while a large file is
        checked; a change during the check cancels this task and schedules the next."""
        if delay > 0:
            await asyncio.sleep(delay)
        document = self.documents.get(uri)
        if document is None:
            return
        with self.guard("diagnostics"):
            await asyncio.to_thread(document.check)
            if self.documents.get(uri) is document:
                self.pending.pop(uri, None)
                self.text_document_publish_diagnostics(document.published())

    def close(self, uri: str) -> None:
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        if self.documents.pop(uri, None) is not None:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def at(
        self, params: types.HoverParams | types.DefinitionParams | types.CompletionParams
    ) -> tuple[Document, int, int] | None:
        """The document and the 1-based (line, column) a request points at."""
        document = self.documents.get(params.text_document.uri)
        if document is None:
            return None
        return document, *document.positions.location(params.position)


def build(debounce: float = DEBOUNCE, configured: Configured | None = None) -> FlowServer:
    """The server with every feature registered."""
    server = FlowServer(debounce, configured)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FlowServer, params: types.DidOpenTextDocumentParams) -> None:
        with ls.guard("didOpen"):
            ls.open(params.text_document)
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FlowServer, params: types.DidChangeTextDocumentParams) -> None:
        with ls.guard("didChange"):
            ls.change(params)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FlowServer, params: types.DidSaveTextDocumentParams) -> None:
        with ls.guard("didSave"):
            if params.text_document.uri in ls.documents:
                ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FlowServer, params: types.DidCloseTextDocumentParams) -> None:
        with ls.guard("didClose"):
            ls.close(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: FlowServer, params: types.HoverParams) -> types.Hover | None:
        with ls.guard("hover"):
            if (place := ls.at(params)) is not None:
                return hover(*place, ls.python(place[0]))
        return None

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: FlowServer, params: types.DefinitionParams) -> list[types.Location]:
        with ls.guard("definition"):
            if (place := ls.at(params)) is not None:
                return definition(*place, ls.python(place[0]))
        return []

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
    def on_completion(ls: FlowServer, params: types.CompletionParams) -> types.CompletionList:
        items: list[types.CompletionItem] = []
        with ls.guard("completion"):
            if (place := ls.at(params)) is not None:
                items = completion(*place, ls.python(place[0]))
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(ls: FlowServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        with ls.guard("documentSymbol"):
            document = ls.documents.get(params.text_document.uri)
            if document is not None:
                return symbols(document)
        return []

    return server


def serve(debounce: float = DEBOUNCE, configured: Configured | None = None) -> int:
    """Serve one editor over stdin and stdout until it exits; the exit status."""
    logging.getLogger("pygls").setLevel(logging.WARNING)
    build(debounce, configured).start_io()
    return 0
