"""Imports of other `.flow` files: what the front end is told about a module name, and how it
turns `from MODULE import NAME` into a flow or pool of that file.

The front end does no I/O: whoever analyses a file (`flowc.project.Project`) passes a
`Loader`, which says for a module name whether it is a `.flow` file of the project and, if
so, gives that file's checked IR, its errors, or the cycle of imports it would close.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from .. import codes
from ..diagnostics import Collector, CompileError, did_you_mean
from ..source import Span
from ..syntax import tree as s
from . import ir
from .digest import structure_digest
from .graph_rules import pool_waits, pools_used


@dataclass(frozen=True, kw_only=True)
class Loaded:
    """A module name that names a `.flow` file: its IR, or why there is none."""

    path: str
    """The file, as displayed."""
    module: ir.Module | None = None
    error: CompileError | None = None
    """The file's own errors (or its imports'), reported against it."""
    cycle: tuple[str, ...] = ()
    """When importing it would close a cycle: each import on the cycle, `file:line:col`."""
    unknown: tuple[str, ...] | None = None
    """When no file has the name although its folder is one of `.flow` files (`path` is the
    folder then): the modules that folder does hold, for a "did you mean"."""

    @functools.cached_property
    def pools(self) -> dict[str, frozenset[str]]:
        """Each flow's pools (`pools_used`), worked out once however many files import it."""
        return pools_used(self.module) if self.module is not None else {}

    @functools.cached_property
    def waits(self) -> dict[str, frozenset[tuple[str, str]]]:
        """Each flow's held-while-waiting pairs (`pool_waits`), worked out once too."""
        return pool_waits(self.module) if self.module is not None else {}

    @functools.cached_property
    def digests(self) -> dict[str, str]:
        """Each flow's structure digest (`structure_digest`), worked out once too."""
        module = self.module
        return {f.name: structure_digest(f, module) for f in module.flows} if module is not None else {}


Loader = Callable[[str, Span], "Loaded | None"]
"""A module name and the span of the import that names it → what that `.flow` file holds, or
None when no `.flow` file has that name (the import is a Python one)."""


def resolve_import(item: s.Import, loaded: Loaded, errors: Collector) -> ir.FlowImport | None:
    """What `from MODULE import NAME` takes from a `.flow` file: one of its flows or pools (or
    one it imports in turn); None when that cannot be (the error is reported)."""
    module = ".".join(item.module)
    if loaded.unknown is not None:
        head = module.rpartition(".")[0]
        there = [f"{head}.{name}" for name in loaded.unknown]
        errors.error(
            codes.UNKNOWN_MODULE,
            f"no module `{module}`: {loaded.path} has no {item.module[-1]}.flow or {item.module[-1]}.py",
            item.span,
            help=did_you_mean(module, there) or f"the modules there: {', '.join(f'`{m}`' for m in there)}",
        )
        return None
    if loaded.cycle:
        errors.error(
            codes.IMPORT_CYCLE,
            f"importing `{module}` closes a cycle of .flow imports: {' -> '.join(loaded.cycle)}",
            item.span,
            help="generated modules cannot import each other in a cycle; move what both need into a third file",
        )
        return None
    if loaded.module is None:
        if loaded.error is not None:
            errors.extend(loaded.error)
        errors.error(
            codes.IMPORTED_ERRORS,
            f"`{module}` ({loaded.path}) has errors",
            item.span,
            help=f"fix the errors reported in {loaded.path}",
        )
        return None
    if item.name is None:
        errors.error(
            codes.UNDEFINED_IMPORT,
            f"`{module}` is a .flow file ({loaded.path}): import its flows and pools by name",
            item.span,
            help=f"`from {module} import NAME`",
        )
        return None
    target = loaded.module
    flows = {f.name: f for f in target.flows}
    pools = {p.name: p for p in target.pools}
    if item.name in pools and not pools[item.name].public:
        errors.error(
            codes.UNDEFINED_IMPORT,
            f"pool `{item.name}` of {loaded.path} cannot be imported: its generated module uses the name"
            f" `{item.name}` for something else",
            item.span,
            help=f"rename the pool in {loaded.path}",
        )
        return None
    if item.name in flows or item.name in pools:
        flow = flows.get(item.name)
        return ir.FlowImport(
            module=module,
            name=item.name,
            alias=item.alias,
            kind="flow" if flow is not None else "pool",
            path=loaded.path,
            flow=flow,
            pool_ids=tuple(sorted(loaded.pools[item.name])) if flow else (target.pool_id(item.name),),
            span=item.span,
            waits=tuple(sorted(loaded.waits[item.name])) if flow else (),
            digest=loaded.digests[item.name] if flow else "",
        )
    again = next((i for i in target.flow_imports if i.alias == item.name), None)
    if again is not None:
        errors.error(
            codes.UNDEFINED_IMPORT,
            f"{loaded.path} imports `{item.name}` from `{again.module}` but does not declare it",
            item.span,
            help=f"import it from the file that declares it: `from {again.module} import {again.name}`",
        )
        return None
    names = [*flows, *sorted(pools), *(i.alias for i in target.flow_imports)]
    errors.error(
        codes.UNDEFINED_IMPORT,
        f"{loaded.path} has no flow or pool `{item.name}`",
        item.span,
        help=did_you_mean(item.name, names)
        or (f"it declares {', '.join(f'`{n}`' for n in names)}" if names else "it declares no flow or pool"),
    )
    return None
