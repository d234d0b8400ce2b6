"""The module namespace (imports, pools, flows) and the names that types may use."""

from __future__ import annotations

import builtins
import keyword
import typing

from .. import codes
from ..diagnostics import Collector, did_you_mean
from ..source import Span
from ..syntax import tree as s
from . import ir
from .imports import Loader, resolve_import
from .ir import result_class_name
from .names import BUILTIN_TYPES, GeneratedNames, rename_help, reserved_reason


class ModuleScope:
    """The module namespace: imported names, pools and flows, each declared once."""

    def __init__(
        self, module: s.Module, errors: Collector, generated: GeneratedNames, loader: Loader | None = None
    ) -> None:
        self.errors = errors
        self.generated = generated
        self.imports: dict[str, s.Import] = {}
        self.all_imports: list[s.Import] = []
        self.pools: dict[str, s.Pool] = {}
        self.executors: dict[str, s.Executor] = {}
        self.flows: dict[str, s.Flow] = {}
        self.flow_imports: dict[str, ir.FlowImport] = {}
        """Imported names that are flows or pools of other `.flow` files."""
        self.failed_imports: set[str] = set()
        """Names imported from `.flow` files that could not be (reported): their uses are
        not reported again."""
        seen: dict[str, Span] = {}
        for item in module.imports:
            self.declare_import(item, seen)
            loaded = loader(".".join(item.module), item.span) if loader is not None else None
            if loaded is not None:
                found = resolve_import(item, loaded, errors)
                if found is not None:
                    self.flow_imports.setdefault(item.alias, found)
                else:
                    self.failed_imports.add(item.alias)
        for flow in module.flows:
            self.declare(flow.name, flow.name_span, seen, "flow")
            self.generated_clash(flow.name, flow.name_span, "a flow")
            self.flows.setdefault(flow.name, flow)
        pools_seen: dict[str, Span] = {}
        for pool in module.pools:
            self.declare(pool.name, pool.name_span, pools_seen, "pool")
            self.pools.setdefault(pool.name, pool)
        executors_seen: dict[str, Span] = {}
        for executor in module.executors:
            self.declare(executor.name, executor.name_span, executors_seen, "executor")
            self.executors.setdefault(executor.name, executor)
        # A flow with named outputs defines `<Name>Result`, which types may name.
        self.result_classes = {result_class_name(f.name) for f in module.flows if isinstance(f.returns, s.Outputs)}
        self.check_result_classes(module, seen)

    def declare_import(self, item: s.Import, seen: dict[str, Span]) -> None:
        self.python_names(item.module + ((item.name,) if item.name else ()), item.span)
        if item.module == ("__future__",) and item.name is not None:
            # Python allows it only at the top of a module, above the generated module's own imports.
            self.errors.error(
                codes.RESERVED_NAME,
                "a `from __future__` import cannot be copied into the generated module",
                item.span,
                help="remove it: the generated module turns on what it needs itself",
            )
        first = self.imports.get(item.alias)
        if first is not None and first.name is None and item.name is None and first.alias == first.module[0]:
            # `import a.b` and `import a.c` both bind `a`, as in Python.
            if item.alias == item.module[0]:
                self.all_imports.append(item)
                return
        self.declare(item.alias, item.span, seen, "import", import_help(item))
        self.generated_clash(item.alias, item.span, "an import", (".".join(item.module), item.name))
        self.imports.setdefault(item.alias, item)
        self.all_imports.append(item)

    def declare(self, name: str, span: Span, seen: dict[str, Span], kind: str, help: str | None = None) -> None:
        reason = reserved_reason(name)
        if reason is None and kind not in ("pool", "executor") and name in self.generated.keywords:
            # Every flow function takes it as a parameter, which would hide the import or
            # flow of that name in the flow's body.
            reason = f"`{name}` is a keyword argument every generated flow takes"
        if reason:
            self.errors.error(
                codes.RESERVED_NAME, f"{reason} and cannot name {article(kind)}", span, help=help or rename_help(name)
            )
        if name in seen:
            self.errors.error(
                codes.DUPLICATE_NAME,
                f"`{name}` is already defined at line {seen[name].line}",
                span,
                help=(
                    "imports and flows share one namespace; rename one of them"
                    if kind not in ("pool", "executor")
                    else "rename one of them"
                ),
            )
        else:
            seen[name] = span

    def generated_clash(self, name: str, span: Span, what: str, same: tuple[str, str | None] | None = None) -> None:
        """A module-level name the generated module binds for itself (`asyncio`, `_call`, …)
        would replace it; importing the very same thing under its own name is harmless."""
        if reserved_reason(name) is not None or name not in self.generated.module:
            return
        origin = self.generated.module[name]
        if origin is not None and same is not None and (origin == same or same_type(origin, same)):
            return
        if origin is None and hasattr(builtins, name):
            message = f"`{name}` is a builtin the generated module uses and cannot name {what}"
        elif origin is None:
            message = f"`{name}` names a helper of the generated module and cannot name {what}"
        else:
            imported = origin[0] if origin[1] is None else f"{origin[0]}.{origin[1]}"
            message = f"`{name}` names `{imported}` in the generated module and cannot name {what}"
        self.errors.error(
            codes.RESERVED_NAME,
            message,
            span,
            help=rename_help(name),
        )

    def check_result_classes(self, module: s.Module, seen: dict[str, Span]) -> None:
        """A flow with named outputs defines `<Name>Result`, which must not clash either."""
        for flow in module.flows:
            if not isinstance(flow.returns, s.Outputs):
                continue
            name = result_class_name(flow.name)
            if name in seen and seen[name] != flow.name_span:
                self.errors.error(
                    codes.DUPLICATE_NAME,
                    f"flow `{flow.name}` returns its outputs as class `{name}`, which is already defined at line {seen[name].line}",
                    flow.name_span,
                    help="rename the flow or the other definition",
                )
            seen.setdefault(name, flow.name_span)

    def python_names(self, parts: tuple[str, ...], span: Span) -> bool:
        """Report a Python keyword in a dotted name that goes into the generated code."""
        bad = [p for p in parts if keyword.iskeyword(p)]
        for part in bad:
            self.errors.error(codes.RESERVED_NAME, f"`{part}` is a Python keyword and cannot be part of a name", span)
        return not bad

    @property
    def callables(self) -> set[str]:
        return set(self.imports) | set(self.flows)

    def imported_flow(self, name: str) -> ir.FlowImport | None:
        found = self.flow_imports.get(name)
        return found if found is not None and found.kind == "flow" else None

    def may_export(self, pool: str) -> bool:
        """Whether the generated module can bind a pool under its own name (pools have a
        namespace of their own, the module has one for everything)."""
        taken = set(self.imports) | set(self.flows) | self.result_classes | set(self.generated.module)
        return pool not in taken and reserved_reason(pool) is None

    @property
    def pool_names(self) -> list[str]:
        """The pools a `pool` clause may name: this file's and those it imports."""
        return [*self.pools, *(alias for alias, item in self.flow_imports.items() if item.kind == "pool")]

    def is_literal(self, base: s.TypeName) -> bool:
        """Whether a subscripted type is `typing.Literal`, under whatever name it was imported."""
        if base.parts[-1] == "Literal":
            return True
        item = self.imports.get(base.parts[0])
        return len(base.parts) == 1 and item is not None and item.name == "Literal"

    def type_text(self, type_: s.TypeExpr, *, in_literal: bool = False, in_subscript: bool = False) -> str:
        """The Python text of a type, reporting names that are not builtins or imported."""
        match type_:
            case s.TypeName(parts=parts, span=span):
                self.type_name(parts, span)
                return ".".join(parts)
            case s.TypeSubscript(base=base, args=args):
                literal = self.is_literal(base)
                inner = ", ".join(self.type_text(a, in_literal=literal, in_subscript=True) for a in args)
                return f"{self.type_text(base)}[{inner}]"
            case s.TypeUnion(items=items):
                return " | ".join(self.type_text(i, in_literal=in_literal) for i in items)
            case s.TypeList(items=items, span=span):
                if in_literal or not in_subscript:
                    self.errors.error(
                        codes.INVALID_TYPE,
                        "a list of types is only allowed as an argument of a subscript, as in `Callable[[int], str]`",
                        span,
                    )
                return "[" + ", ".join(self.type_text(i) for i in items) + "]"
            case s.TypeConst(text=text, span=span):
                self.type_const(text, span, in_literal=in_literal, in_subscript=in_subscript)
                return text
        raise AssertionError(type_)  # pragma: no cover

    def type_name(self, parts: tuple[str, ...], span: Span) -> None:
        if not self.python_names(parts, span):
            return
        item = self.flow_imports.get(parts[0])
        if item is not None:
            self.errors.error(
                codes.UNDEFINED_TYPE,
                f"`{'.'.join(parts)}` is the {item.kind} `{item.name}` of {item.path}, not a type",
                span,
                help="a type is a class: a builtin, or one imported from Python",
            )
            return
        if parts[0] in self.imports or (len(parts) == 1 and parts[0] in BUILTIN_TYPES):
            return
        if len(parts) == 1 and parts[0] in self.result_classes:
            return
        self.errors.error(
            codes.UNDEFINED_TYPE,
            f"type `{'.'.join(parts)}` is neither a builtin nor imported",
            span,
            help=type_help(parts[0], [*self.imports, *sorted(self.result_classes)]),
        )

    def type_const(self, text: str, span: Span, *, in_literal: bool, in_subscript: bool) -> None:
        if text == "...":
            if in_literal:
                self.errors.error(codes.INVALID_TYPE, "`...` cannot be a literal type", span)
            elif not in_subscript:
                self.errors.error(
                    codes.INVALID_TYPE,
                    "`...` is only allowed inside `[...]`, as in `tuple[int, ...]` or `Callable[..., int]`",
                    span,
                )
        elif text != "None" and not in_literal:
            self.errors.error(
                codes.INVALID_TYPE,
                f"the literal {text} is not a type",
                span,
                help=f"write `Literal[{text}]` (imported from `typing`)",
            )


def same_type(ours: tuple[str, str | None], theirs: tuple[str, str | None]) -> bool:
    """`typing.Callable` and `collections.abc.Callable` are one thing to Python and mypy."""
    abc = {"typing", "collections.abc"}
    return ours[1] == theirs[1] and ours[0] in abc and theirs[0] in abc


def article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def import_help(item: s.Import) -> str:
    module = ".".join(item.module)
    if item.name is not None:
        return f"import it under another name: `from {module} import {item.name} as {item.name}_`"
    return f"import it under another name: `import {module} as {item.module[-1]}_`"


def type_help(name: str, imports: typing.Iterable[str]) -> str:
    if name in typing.__all__:
        return f"import it: `from typing import {name}`"
    close = did_you_mean(name, list(imports) + sorted(BUILTIN_TYPES))
    return close or f"import it: `from MODULE import {name}`"
