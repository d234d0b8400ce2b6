"""Which names a `.flow` file may use: reserved words, builtins for types and exceptions."""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Mapping
from dataclasses import dataclass

from ..syntax.grammar import reserved

PYTHON_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)

BUILTIN_TYPES = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and not name.startswith("_")
)
BUILTIN_EXCEPTIONS = frozenset(name for name in BUILTIN_TYPES if issubclass(getattr(builtins, name), BaseException))


@dataclass(frozen=True, slots=True)
class GeneratedNames:
    """The names a generated module binds for itself, as the code generator declares them
    (the front end knows nothing of code generation; the compiler hands these over).

    `module` maps each name to what it imports, `(module, name or None)`, or to None for a
    helper or builtin; a flow, an import or a parameter cannot take one of them, except by
    importing the very same thing. `body` are the names a flow function's own body reads."""

    module: Mapping[str, tuple[str, str | None] | None]
    body: frozenset[str]

    def hidden_by_parameter(self, name: str) -> bool:
        """Whether a parameter named `name` would hide something its flow's body uses."""
        return name in self.module and (name.startswith("_") or name in self.body)


def rename_help(name: str) -> str:
    """A `help:` text proposing a free name instead of a reserved one."""
    stem = name.strip("_") or "name"
    return f"rename it, e.g. `{stem}_`"


def reserved_reason(name: str) -> str | None:
    """Why `name` cannot name a flow, parameter, node, pool or import alias (None if it can)."""
    if name in reserved():
        return f"`{name}` is a reserved word of the flow language"
    if keyword.iskeyword(name):
        return f"`{name}` is a Python keyword"
    if name.startswith("__"):
        return f"`{name}`: names starting with `__` are reserved for generated code"
    return None
