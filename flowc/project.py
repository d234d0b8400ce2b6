"""A project of many `.flow` files: finding the file a module name names under the import
roots, and analysing the files a file imports, each once per `Project`.

`from app.flows.limits import llm` names `app/flows/limits.flow` when that file exists under
one of the import roots (the first root that has it wins); otherwise it is a Python import.
Files are read, never written. Each imported file is analysed once and its IR kept, so a
batch of files that import each other costs one analysis per file; a file that imports
itself through others is an `import-cycle` error with the cycle printed file by file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import codes
from .codegen.shared import RUNTIME_MODULE
from .compiler import analyze, decode
from .diagnostics import CompileError, Diagnostic
from .semantics.imports import Loaded, Loader
from .source import Span


@dataclass(slots=True)
class _Open:
    """A file being analysed, and the import it is reading (for a cycle's message)."""

    path: Path
    display: str
    via: Span | None = None


class Project:
    """The `.flow` files under `roots`, displayed relative to `base`."""

    def __init__(self, roots: Sequence[Path], base: Path) -> None:
        self.roots = [Path(os.path.abspath(root)) for root in roots]
        self.base = Path(os.path.abspath(base))
        self._stack: list[_Open] = []
        self._loaded: dict[Path, Loaded] = {}

    def find(self, module: str) -> Path | None:
        """The `.flow` file a dotted module name names, if any."""
        parts = module.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        for root in self.roots:
            candidate = root.joinpath(*parts[:-1], parts[-1] + ".flow")
            if candidate.is_file():
                return Path(os.path.realpath(candidate))
        return None

    def unknown(self, module: str) -> Loaded | None:
        """A dotted module that names nothing in a folder of `.flow` files: neither a `.flow`
        file nor a Python module (`NAME.py`, a package `NAME/`, an extension) is there. Only
        then is the import an error; any other module may be found by Python."""
        *package, name = module.split(".")
        if not package or not all(part.isidentifier() for part in (*package, name)):
            return None
        found: Loaded | None = None
        for root in self.roots:
            folder = root.joinpath(*package)
            try:
                entries = list(folder.iterdir()) if folder.is_dir() else []
            except OSError:
                return None  # cannot tell
            if any(e.name == name or e.name.split(".")[0] == name for e in entries):
                return None  # a Python module or package of that name, under some root
            if found is None and any(e.suffix == ".flow" for e in entries):
                modules = {e.stem for e in entries if e.suffix in (".flow", ".py") and e.stem.isidentifier()}
                found = Loaded(path=self.display(folder), unknown=tuple(sorted(modules - {"__init__"})))
        return found

    def is_first_party(self, top: str) -> bool:
        """Whether a top-level module is the project's own, as isort (ruff's `I001`) tells it:
        a package, module or `.flow` file of that name under an import root (which are, by
        default, the folders ruff's `src` names)."""
        for root in self.roots:
            if (root / top).is_dir() or (root / f"{top}.py").is_file() or (root / f"{top}.flow").is_file():
                return True
        return False

    def first_party(self, folder: Path) -> Callable[[str], bool]:
        """`is_first_party` for a module written into `folder`, whose shared runtime file
        beside it is the project's own too when that folder is an import root."""
        at_root = Path(os.path.abspath(folder)) in self.roots

        def own(top: str) -> bool:
            return self.is_first_party(top) or (at_root and top == RUNTIME_MODULE)

        return own

    def display(self, path: Path) -> str:
        """A path as messages show it: relative to the base folder (`../lib/a.flow` for a root
        outside it), so that two files are never shown, or identified, alike."""
        try:
            return Path(os.path.relpath(path, self.base)).as_posix()
        except ValueError:  # another drive
            return path.as_posix()

    @contextlib.contextmanager
    def analyzing(self, path: Path, display: str) -> Iterator[Loader]:
        """The loader for the imports of the file at `path`, while it is analysed."""
        self._stack.append(_Open(Path(os.path.realpath(path)), display))
        try:
            yield self.load
        finally:
            self._stack.pop()

    def load(self, module: str, span: Span) -> Loaded | None:
        """What an import in the file being analysed names (see `Loader`)."""
        path = self.find(module)
        if path is None:
            return self.unknown(module)
        self._stack[-1].via = span
        for index, open_file in enumerate(self._stack):
            if open_file.path == path:
                steps = [f"{f.display}:{f.via.line}:{f.via.column}" for f in self._stack[index:] if f.via is not None]
                return Loaded(path=self.display(path), cycle=(*steps, open_file.display))
        if path not in self._loaded:
            self._loaded[path] = self._analyze(path)
        return self._loaded[path]

    def _analyze(self, path: Path) -> Loaded:
        shown = self.display(path)
        try:
            source = decode(path.read_bytes(), shown)
            with self.analyzing(path, shown) as loader:
                return Loaded(path=shown, module=analyze(source, loader))
        except CompileError as error:
            return Loaded(path=shown, error=error)
        except OSError as error:
            problem = Diagnostic(
                code=codes.IO_ERROR.code,
                message=f"cannot read the file: {error.strerror or error}",
                path=shown,
                span=Span.point(1, 1),
            )
            return Loaded(path=shown, error=CompileError([problem]))
