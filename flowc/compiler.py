"""The whole compiler: parse → build → resolve → check → emit → format, timed per phase."""

from __future__ import annotations

import dataclasses
import functools
import re
import shlex
import time
from collections.abc import Callable
from typing import NoReturn

import black

from . import __version__, codes
from .codegen.emit import emit
from .codegen.layout import format_module
from .codegen.plan import generated_names
from .codegen.shared import raw_runtime_module
from .diagnostics import Collector, CompileError
from .semantics import analyze as semantics
from .semantics import ir
from .semantics.imports import Loader
from .semantics.resolve import source_hash
from .source import Source, Span

BLACK_MODE = black.Mode()
"""Fixed formatting, black's default settings (what a plain `black --check` expects): never the
user's black configuration."""


def analyze(source: Source, loader: Loader | None = None) -> ir.Module:
    """Parse, resolve and check one file (the front end); raises `CompileError` with every
    error. `loader` finds the `.flow` files it imports (`flowc.project`); without one, every
    import is a Python one."""
    return semantics.analyze(source, generated_names(), loader)


def decode(data: bytes, path: str) -> Source:
    """Decode a file's bytes as UTF-8 (a BOM is allowed), or raise a located error."""
    if b"\x00" in data:
        head = Source(path, data[: data.index(b"\x00")].decode("utf-8", "replace"))
        fail(head, "this is a binary file, not `.flow` text: it contains a NUL byte", None)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        head = Source(path, data[: error.start].decode("utf-8", "replace"))
        fail(
            head,
            f"the file is not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded",
            "save the file as UTF-8",
        )
    if (alone := LONE_CR.search(text)) is not None:
        fail(
            Source(path, text[: alone.start()]),
            "a carriage return without a line feed: lines end with LF or CRLF, never CR alone",
            "save the file with LF (or CRLF) line ends",
        )
    return Source(path, text)


LONE_CR = re.compile("\r(?!\n)")
"""A line end flowc does not read: CR alone (old Mac text) would put every location on
line 1, and a comment would run to the end of the file."""


def fail(head: Source, message: str, help: str | None) -> NoReturn:
    """Raise an encoding error located just after `head`, the text that could be decoded."""
    errors = Collector(head)
    errors.error(codes.ENCODING, message, Span.point(*head.position(len(head.text))), help=help)
    raise CompileError(errors.diagnostics, head)


def display_path(filename: str) -> str:
    """The source path as written in the header: as given, never absolute, and only printable
    characters (a newline or a quote in a file name would break the header's comment lines and
    docstring: each becomes `?`)."""
    path = "".join(c if c.isprintable() and c != '"' else "?" for c in filename.replace("\\", "/"))
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return path.rsplit("/", 1)[-1]
    return path


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Built:
    """A compiled file: its IR (with its warnings), the generated module, seconds per phase."""

    module: ir.Module
    code: str
    times: dict[str, float]


def build(
    text: str,
    filename: str = "<string>",
    output_folder: str | None = None,
    runtime_module: str | None = None,
    loader: Loader | None = None,
    *,
    header: str | None = None,
    first_party: Callable[[str], bool] | None = None,
) -> Built:
    """Compile `.flow` text; raises `CompileError`. `output_folder` (relative, as given to
    `flowc compile -o`) goes into the header's `regenerate:` command when the module is not
    written beside its source. With `runtime_module` (`_flowc_runtime`, or
    `._flowc_runtime` for a module in a package) the module imports its helpers from the
    shared runtime file (`runtime_text()`) instead of copying them. `loader` finds the
    `.flow` files it imports. `header` is the source path the module names in its header,
    when it is not `filename`, the path in messages. `first_party` tells the project's own
    top-level modules from others, for the imports' sections."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    source = Source(filename, text)
    module = analyze(source, loader)
    module = dataclasses.replace(module, name=display_path(module.name))
    times["front end"] = time.perf_counter() - start
    start = time.perf_counter()
    path = display_path(filename if header is None else header)
    command = shlex.quote(path)
    if output_folder is not None:
        command += f" -o {shlex.quote(display_path(output_folder))}"
    if runtime_module is not None:
        command += " --runtime shared"
    raw = emit(module, path, source_hash(text), command, runtime_module, first_party)
    times["emit"] = time.perf_counter() - start
    start = time.perf_counter()
    formatted = format_module(raw, BLACK_MODE)
    times["black"] = time.perf_counter() - start
    return Built(module=module, code=formatted, times=times)


def compile_timed(
    text: str,
    filename: str = "<string>",
    output_folder: str | None = None,
    runtime_module: str | None = None,
    loader: Loader | None = None,
    *,
    header: str | None = None,
    first_party: Callable[[str], bool] | None = None,
) -> tuple[str, dict[str, float]]:
    """The generated module for `.flow` text, and seconds spent per phase (see `build`)."""
    built = build(text, filename, output_folder, runtime_module, loader, header=header, first_party=first_party)
    return built.code, built.times


def compile_text(text: str, filename: str = "<string>", runtime_module: str | None = None) -> str:
    return compile_timed(text, filename, runtime_module=runtime_module)[0]


@functools.cache
def runtime_text() -> str:
    """The shared runtime file (`_flowc_runtime.py`) the modules compiled with `--runtime
    shared` import their helpers from: the same bytes for every folder."""
    return format_module(raw_runtime_module(__version__), BLACK_MODE)
