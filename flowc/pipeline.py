"""The whole compiler: parse → build → resolve → check → emit → format, timed per phase."""

from __future__ import annotations

import dataclasses
import shlex
import time

import black
from black.mode import TargetVersion

from .emit import emit
from .layout import format_module
from .frontend import analyze
from .resolve import source_hash
from .source import Source

BLACK_MODE = black.Mode(
    target_versions={TargetVersion.PY311},
    line_length=100,
    string_normalization=True,
    magic_trailing_comma=True,
)
"""Fixed formatting: never the user's black configuration."""


def display_path(filename: str) -> str:
    """The source path as written in the header: as given, never absolute, and only printable
    characters (a newline or a quote in a file name would break the header's comment lines and
    docstring: each becomes `?`)."""
    path = "".join(c if c.isprintable() and c != '"' else "?" for c in filename.replace("\\", "/"))
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return path.rsplit("/", 1)[-1]
    return path


def compile_timed(
    text: str, filename: str = "<string>", output_folder: str | None = None
) -> tuple[str, dict[str, float]]:
    """The generated module for `.flow` text, and seconds spent per phase. `output_folder`
    (relative, as given to `flowc compile -o`) goes into the header's `regenerate:` command
    when the module is not written beside its source."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    source = Source(filename, text)
    module = analyze(source)
    module = dataclasses.replace(module, name=display_path(module.name))
    times["front end"] = time.perf_counter() - start
    start = time.perf_counter()
    path = display_path(filename)
    command = shlex.quote(path)
    if output_folder is not None:
        command += f" -o {shlex.quote(display_path(output_folder))}"
    raw = emit(module, path, source_hash(text), command)
    times["emit"] = time.perf_counter() - start
    start = time.perf_counter()
    formatted = format_module(raw, BLACK_MODE)
    times["black"] = time.perf_counter() - start
    return formatted, times


def compile_text(text: str, filename: str = "<string>") -> str:
    return compile_timed(text, filename)[0]
