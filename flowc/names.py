"""Which names a `.flow` file may use: reserved words, builtins for types and exceptions."""

from __future__ import annotations

import builtins
import keyword

from .parse import RESERVED

PYTHON_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)

BUILTIN_TYPES = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and not name.startswith("_")
)
BUILTIN_EXCEPTIONS = frozenset(name for name in BUILTIN_TYPES if issubclass(getattr(builtins, name), BaseException))


def rename_help(name: str) -> str:
    """A `help:` text proposing a free name instead of a reserved one."""
    stem = name.strip("_") or "name"
    return f"rename it, e.g. `{stem}_`"


def reserved_reason(name: str) -> str | None:
    """Why `name` cannot name a flow, parameter, node, pool or import alias (None if it can)."""
    if name in RESERVED:
        return f"`{name}` is a reserved word of the flow language"
    if keyword.iskeyword(name):
        return f"`{name}` is a Python keyword"
    if name.startswith("__"):
        return f"`{name}`: names starting with `__` are reserved for generated code"
    return None
