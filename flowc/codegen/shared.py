"""The shared runtime: one `_flowc_runtime.py` per output folder, holding every section of
`runtime.py`, which the modules compiled with `--runtime shared` import their helpers from.

Inside the file the helpers keep their private names (`_Run`, `_call`), as in an inline
module. A module may not import another module's private names (pyright's strict mode
reports it), so the file ends with a public name for each helper (`Run = _Run`), and a
module imports it under the private name its code uses (`from ._flowc_runtime import Run as
_Run`). The file's `RUNTIME` is a digest of the helpers' code: a module checks it at import,
and a name missing from the file (one written by another version of flowc) is an
`ImportError` too, so a module never runs against helpers it was not compiled for.
"""

from __future__ import annotations

import ast
import builtins
import functools
import hashlib
import re
from collections.abc import Iterable

from .layout import END_VERBATIM, VERBATIM
from .plan import merge_imports
from .pytext import string
from .sections import load_sections

RUNTIME_MODULE = "_flowc_runtime"
"""The shared runtime's module name; its file is `_flowc_runtime.py` in the output folder."""

RUNTIME_FILE = f"{RUNTIME_MODULE}.py"

VERSION_CHECK = "if sys.hexversion < 0x030B0000:  # 3.11: asyncio.timeout, add_note, Task.uncancel"


@functools.cache
def runtime_id() -> str:
    """A digest of every helper's code: modules and runtime files agree on it or refuse to run."""
    code = "\n".join(section.code for section in load_sections().values())
    return hashlib.sha256(code.encode("utf-8")).hexdigest()[:16]


ENTRY_POINTS = (
    "_Run",
    "_Policy",
    "_PLAIN",
    "_Pool",
    "_Policies",
    "_configure_pool",
    "_count",
    "_seconds",
    "_ready",
    "_call",
    "_watch",
    "_watch_sync",
    "_plain",
    "_in_thread",
    "_thread",
    "_when",
    "_after",
    "_fallback",
    "_fallback_call",
    "_map",
    "_map_collect",
)
"""The helpers a generated flow calls or names; the others serve these. A test checks that
modules read exactly these of the runtime's private names."""


@functools.cache
def exports() -> dict[str, str]:
    """Each helper a module can use (private name) → its public name in the runtime file:
    the name without its underscore, with one appended when that would hide a builtin or a
    name the helpers use (`_map` → `map_`, `_call` → `call_`)."""
    used = set(dir(builtins))
    for section in load_sections().values():
        used |= bound_or_read(section.code)
    public = {name: name[1:] + "_" if name[1:] in used else name[1:] for name in ENTRY_POINTS}
    assert len(set(public.values())) == len(public), "two helpers would share a public name"
    return public


def bound_or_read(code: str) -> set[str]:
    """Every name the code reads or binds: variables, parameters, definitions, imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


PUBLIC_TYPES = ("FlowObserver", "NodeInfo", "RunInfo", "RunObserver")
"""The runtime's public types, which every module re-exports."""


_WORD = re.compile(r"""[rRbBuUfF]*(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|#.*|(?P<name>[A-Za-z_]\w*)""")
"""A string or a comment, whole (names in them are not read), or a name."""


def names_read(lines: Iterable[str]) -> set[str]:
    """The names a module's own code (its flows, constants and classes) reads."""
    return {m.group("name") for line in lines for m in _WORD.finditer(line) if m.group("name")}


def import_lines(used: set[str], module: str) -> list[str]:
    """The import lines of a module that uses the helpers `used` (private names) from the
    runtime file imported as `module` (`._flowc_runtime` or `_flowc_runtime`)."""
    public = exports()
    lines = {f"from {module} import RUNTIME as _RUNTIME"}
    lines |= {f"from {module} import {public[name]} as {name}" for name in used if name in public}
    lines |= {f"from {module} import {name}" for name in PUBLIC_TYPES}
    return merge_imports(lines)


def runtime_check(version: str, command: str) -> list[str]:
    """The lines by which a module refuses a runtime file its helpers do not match."""
    told = f"{{__name__}} was compiled by flowc {version} for runtime {runtime_id()}, but the {RUNTIME_FILE}"
    return [
        f'if _RUNTIME != "{runtime_id()}":',
        "    raise ImportError(",
        f'        f"{told} beside it is runtime {{_RUNTIME}}: regenerate them together with "',
        f"        {string(f'`{command}`')}",
        "    )",
    ]


def raw_runtime_module(version: str) -> str:
    """The shared runtime file, before black formats the code around the sections."""
    sections = list(load_sections().values())
    imports = {line for section in sections for line in section.imports} | {"import asyncio", "import sys"}
    public = exports()
    lines = [
        f"# @generated by flowc {version}: the runtime of the modules beside it (--runtime shared). DO NOT EDIT.",
        f"# runtime: {runtime_id()}",
        "# regenerate: flowc compile --runtime shared (the .flow files of the modules beside it)",
        '"""The helpers of the flowc modules in this folder, compiled with `--runtime shared`."""',
        "",
        *merge_imports(imports),
        "",
        VERSION_CHECK,
        '    raise ImportError(f"{__name__} was generated by flowc for Python 3.11 or newer;'
        ' this is Python {sys.version.split()[0]}")',
        "",
        f'RUNTIME: str = "{runtime_id()}"',
        '"""A digest of the helpers\' code: each module that imports them checks it."""',
        "",
        "",
        VERBATIM,
        "\n\n\n".join(section.code for section in sections),
        END_VERBATIM,
        "",
        "",
        "# The names modules import, each under the private name above.",
        *(f"{name} = {private}" for private, name in public.items()),
        "",
        "",
        "def __getattr__(name: str) -> object:",
        '    """A name a module imports that this file lacks: the module was compiled by another',
        '    version of flowc."""',
        '    if name.startswith("__"):',
        '        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")',
        "    raise ImportError(",
        '        f"{__name__} has no `{name}`: the module importing it was compiled by another version'
        ' of flowc; regenerate them together with `flowc compile --runtime shared`"',
        "    )",
    ]
    return "\n".join(lines) + "\n"
