"""Syntax tree to IR: every name looked up, every clause validated and normalised.

Graph rules (cycles, reachability, unbound inputs) are `check`'s; this module reports what
can be judged one declaration at a time.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Iterable, Iterator

from . import codes
from . import ir
from . import syntax as s
from .diagnostics import Collector, did_you_mean
from .names import BUILTIN_EXCEPTIONS, BUILTIN_TYPES, reserved_reason
from .source import Span

CLAUSE_ORDER = ("timeout", "retry", "fallback", "when", "limit", "pool", "collect", "sync", "thread")


class ModuleScope:
    """The module namespace: imported names, pools and flows."""

    def __init__(self, module: s.Module, errors: Collector) -> None:
        self.errors = errors
        self.imports: dict[str, s.Import] = {}
        self.pools: dict[str, s.Pool] = {}
        self.flows: dict[str, s.Flow] = {}
        seen: dict[str, Span] = {}
        for item in module.imports:
            self.declare(item.alias, item.span, seen, "import")
            self.imports.setdefault(item.alias, item)
        for flow in module.flows:
            self.declare(flow.name, flow.name_span, seen, "flow")
            self.flows.setdefault(flow.name, flow)
        pools_seen: dict[str, Span] = {}
        for pool in module.pools:
            self.declare(pool.name, pool.name_span, pools_seen, "pool")
            self.pools.setdefault(pool.name, pool)

    def declare(self, name: str, span: Span, seen: dict[str, Span], kind: str) -> None:
        reason = reserved_reason(name)
        if reason:
            self.errors.error(codes.RESERVED_NAME, f"{reason} and cannot name a {kind}", span)
        if name in seen:
            first = seen[name]
            self.errors.error(
                codes.DUPLICATE_NAME,
                f"`{name}` is already defined at line {first.line}",
                span,
                help="rename one of them",
            )
        else:
            seen[name] = span

    @property
    def callables(self) -> set[str]:
        return set(self.imports) | set(self.flows)

    def type_text(self, type_: s.TypeExpr, *, in_literal: bool = False, in_subscript: bool = False) -> str:
        """The Python text of a type, reporting names that are not builtins or imported."""
        match type_:
            case s.TypeName(parts=parts, span=span):
                if parts[0] not in self.imports and not (len(parts) == 1 and parts[0] in BUILTIN_TYPES):
                    self.errors.error(
                        codes.UNDEFINED_TYPE,
                        f"type `{'.'.join(parts)}` is neither a builtin nor imported",
                        span,
                        help=type_help(parts[0], self.imports),
                    )
                return ".".join(parts)
            case s.TypeSubscript(base=base, args=args):
                literal = base.parts[-1] == "Literal"
                inner = ", ".join(self.type_text(a, in_literal=literal, in_subscript=True) for a in args)
                return f"{self.type_text(base)}[{inner}]"
            case s.TypeUnion(items=items):
                return " | ".join(self.type_text(i, in_literal=in_literal) for i in items)
            case s.TypeList(items=items, span=span):
                if not in_subscript:
                    self.errors.error(codes.INVALID_TYPE, "a list of types is only allowed inside `[...]`", span)
                return "[" + ", ".join(self.type_text(i) for i in items) + "]"
            case s.TypeConst(value=value, text=text, span=span):
                if text == "..." and not in_subscript:
                    self.errors.error(codes.INVALID_TYPE, "`...` is only allowed inside `[...]`", span)
                elif text not in ("None", "...") and not in_literal:
                    self.errors.error(
                        codes.INVALID_TYPE,
                        f"the literal {text} is not a type",
                        span,
                        help=f"write `Literal[{text}]` (imported from `typing`)",
                    )
                return text
        raise AssertionError(type_)  # pragma: no cover


def walk_refs(expr: s.Expr | s.Cond | None) -> Iterator[s.Ref]:
    """Every reference in an expression or condition, in source order."""
    match expr:
        case s.Ref():
            yield expr
            for step in expr.steps:
                if isinstance(step, s.Index):
                    yield from walk_refs(step.key)
        case s.Each(ref=ref):
            yield from walk_refs(ref)
        case s.ListExpr(items=items) | s.First(items=items):
            for item in items:
                yield from walk_refs(item)
        case s.DictExpr(items=pairs):
            for _, value in pairs:
                yield from walk_refs(value)
        case s.Call(args=args):
            for arg in args:
                yield from walk_refs(arg.value)
        case s.Compare(left=left, right=right):
            yield from walk_refs(left)
            yield from walk_refs(right)
        case s.BoolOp(items=conds):
            for cond in conds:
                yield from walk_refs(cond)
        case s.Not(item=item):
            yield from walk_refs(item)
        case s.Truthy(value=value):
            yield from walk_refs(value)


class FlowResolver:
    """Resolves one flow: its namespace (parameters and nodes), nodes, clauses and return."""

    def __init__(self, flow: s.Flow, scope: ModuleScope) -> None:
        self.flow = flow
        self.scope = scope
        self.errors = scope.errors
        self.locals: dict[str, Span] = {}
        for param in flow.params:
            self.declare(param.name, param.span, "parameter")
        for node in flow.nodes:
            self.declare(node.name, node.name_span, "node")
        self.node_names = [n.name for n in flow.nodes]

    def declare(self, name: str, span: Span, kind: str) -> None:
        reason = reserved_reason(name)
        if reason is None and name == "observer" and kind == "parameter":
            reason = "`observer` is the keyword every generated flow takes for its observer"
        if reason:
            self.errors.error(codes.RESERVED_NAME, f"{reason} and cannot name a {kind}", span)
        if name in self.locals:
            self.errors.error(
                codes.DUPLICATE_NAME,
                f"`{name}` is already defined at line {self.locals[name].line} in flow `{self.flow.name}`",
                span,
                help="parameters and nodes of a flow share one namespace; rename one of them",
            )
        else:
            self.locals[name] = span

    # ---------------------------------------------------------------- expressions

    def check_refs(self, expr: s.Expr | s.Cond | None) -> tuple[str, ...]:
        """Report unknown references; return the node names read, in order."""
        reads: list[str] = []
        for ref in walk_refs(expr):
            if ref.name in self.locals:
                if ref.name in self.node_names and ref.name not in reads:
                    reads.append(ref.name)
            else:
                self.errors.error(
                    codes.UNDEFINED_REF,
                    f"`{ref.name}` is not a parameter or node of flow `{self.flow.name}`",
                    ref.name_span,
                    help=did_you_mean(ref.name, self.locals),
                )
        return tuple(reads)

    def check_value(self, expr: s.Expr, *, allow_each: bool, allow_first: bool = True) -> None:
        """Report calls, misplaced `each` and `first` inside a value expression."""
        match expr:
            case s.Call(span=span):
                self.errors.error(
                    codes.INVALID_CALL,
                    "a call cannot be an argument; make it a node of its own and pass the node",
                    span,
                )
            case s.Each(span=span) if not allow_each:
                self.errors.error(
                    codes.EACH_OUTSIDE_MAP,
                    "`each` is only allowed as a whole argument of a `map` node",
                    span,
                    help="write `node NAME = map CALLEE(x=each ITEMS)`",
                )
            case s.First(items=items, span=span):
                if not allow_first:
                    self.errors.error(codes.INVALID_EXPRESSION, "`first(...)` is not allowed here", span)
                for item in items:
                    self.check_value(item, allow_each=False, allow_first=allow_first)
            case s.ListExpr(items=items):
                for item in items:
                    self.check_value(item, allow_each=False, allow_first=allow_first)
            case s.DictExpr(items=pairs):
                for _, value in pairs:
                    self.check_value(value, allow_each=False, allow_first=allow_first)
            case _:
                pass

    def check_args(self, args: tuple[s.Arg, ...], *, allow_each: bool) -> None:
        seen: set[str] = set()
        positional_ok = True
        for arg in args:
            self.check_value(arg.value, allow_each=allow_each)
            if arg.name is None:
                if not positional_ok:
                    self.errors.error(codes.SYNTAX, "a positional argument cannot follow a keyword argument", arg.span)
                continue
            positional_ok = False
            if arg.name in seen:
                self.errors.error(codes.DUPLICATE_ARGUMENT, f"argument `{arg.name}` is given twice", arg.span)
            seen.add(arg.name)

    def callee(self, call: s.Call) -> ir.Callee | None:
        head = call.callee[0]
        if head in self.scope.flows and len(call.callee) == 1:
            return ir.Callee(parts=call.callee, flow=head)
        if head in self.scope.imports:
            return ir.Callee(parts=call.callee)
        self.errors.error(
            codes.UNDEFINED_CALLEE,
            f"`{'.'.join(call.callee)}` is neither imported nor a flow of this file",
            call.callee_span,
            help=did_you_mean(head, self.scope.callables) or f"import it: `from MODULE import {head}`",
        )
        return None

    # ---------------------------------------------------------------- nodes

    def positive(self, number: s.Number | s.Duration | None, what: str, *, integer: bool) -> None:
        if number is None:
            return
        value = number.seconds if isinstance(number, s.Duration) else number.value
        if value <= 0 or (integer and not isinstance(value, int)):
            kind = "a positive whole number" if integer else "positive"
            self.errors.error(codes.NOT_POSITIVE, f"{what} must be {kind}, not {number_text(number)}", number.span)

    def clauses(self, node: s.Node) -> dict[str, s.Clause]:
        found: dict[str, s.Clause] = {}
        for clause in node.clauses:
            if clause.kind in found:
                self.errors.error(
                    codes.DUPLICATE_CLAUSE,
                    f"`{clause.kind}` is given twice on node `{node.name}`",
                    clause.span,
                    help=f"keep one `{clause.kind}` clause",
                )
                continue
            found[clause.kind] = clause
        for kind in ("limit", "collect"):
            if kind in found and not node.is_map:
                self.errors.error(
                    codes.MAP_ONLY_CLAUSE,
                    f"`{kind}` applies only to `map` nodes, and `{node.name}` is not one",
                    found[kind].span,
                )
        if "fallback" in found and "collect" in found:
            self.errors.error(
                codes.FALLBACK_COLLECT,
                "`fallback` cannot be combined with `collect`: a collected element's error is its value",
                found["fallback"].span,
                help="drop `fallback`, or drop `collect` to replace failed elements with the fallback",
            )
        if "sync" in found and "thread" in found:
            self.errors.error(codes.CLAUSE_CONFLICT, "a node is either `sync` or `thread`, not both", found["thread"].span)
        if "sync" in found and "timeout" in found:
            self.errors.error(
                codes.CLAUSE_CONFLICT,
                "`timeout` cannot interrupt a `sync` call, which blocks the event loop",
                found["timeout"].span,
                help="use `thread` to run the function in a worker thread that the timeout can abandon",
            )
        return found

    def policy(self, node: s.Node, found: dict[str, s.Clause]) -> ir.Policy:
        timeout = found.get("timeout")
        retry = found.get("retry")
        pool = found.get("pool")
        if timeout:
            self.positive(timeout.duration, "a timeout", integer=False)
        retry_on: list[str] = []
        if retry:
            self.positive(retry.number, "a retry count", integer=True)
            self.positive(retry.backoff, "a backoff", integer=False)
            self.positive(retry.max_delay, "a maximum delay", integer=False)
            for name in retry.retry_on:
                retry_on.append(self.exception_name(name))
        if pool and pool.name not in self.scope.pools:
            assert pool.name_span is not None
            self.errors.error(
                codes.UNDEFINED_POOL,
                f"no pool named `{pool.name}`",
                pool.name_span,
                help=did_you_mean(pool.name or "", self.scope.pools) or f"declare it: `pool {pool.name} limit 4`",
            )
        return ir.Policy(
            timeout=timeout.duration.seconds if timeout and timeout.duration else None,
            retries=int(retry.number.value) if retry and retry.number else 0,
            backoff=retry.backoff.seconds if retry and retry.backoff else None,
            max_delay=retry.max_delay.seconds if retry and retry.max_delay else None,
            jitter=bool(retry and retry.jitter),
            retry_on=tuple(retry_on),
            pool=pool.name if pool else None,
        )

    def exception_name(self, name: s.TypeName) -> str:
        text = ".".join(name.parts)
        known = name.parts[0] in self.scope.imports or (len(name.parts) == 1 and name.parts[0] in BUILTIN_EXCEPTIONS)
        if not known:
            self.errors.error(
                codes.UNDEFINED_EXCEPTION,
                f"exception class `{text}` is neither a builtin exception nor imported",
                name.span,
                help=did_you_mean(name.parts[0], list(self.scope.imports) + sorted(BUILTIN_EXCEPTIONS)),
            )
        return text

    def node(self, node: s.Node, preds: tuple[str, ...]) -> ir.Node | None:
        found = self.clauses(node)
        policy = self.policy(node, found)
        call = node.call
        if not isinstance(call, s.Call):
            self.errors.error(
                codes.INVALID_CALL,
                f"node `{node.name}` must call something: `node {node.name} = CALLEE(ARGS)`",
                call.span,
            )
            return None
        callee = self.callee(call)
        self.check_args(call.args, allow_each=node.is_map)
        eaches = [a for a in call.args if isinstance(a.value, s.Each)]
        if node.is_map and len(eaches) != 1:
            where = eaches[1].span if eaches else call.span
            self.errors.error(
                codes.MAP_EACH,
                f"a `map` needs exactly one `each` argument; `{node.name}` has {len(eaches)}",
                where,
                help="mark the iterable with `each`, as in `map f(x=each items)`",
            )
        reads = list(self.check_refs(call))
        if "limit" in found and node.is_map:
            self.positive(found["limit"].number, "a map limit", integer=True)
        fallback = found.get("fallback")
        fallback_value: s.Expr | None = None
        if fallback and fallback.value is not None:
            fallback_value = fallback.value
            if isinstance(fallback_value, s.Call):
                self.callee(fallback_value)
                self.check_args(fallback_value.args, allow_each=False)
            else:
                self.check_value(fallback_value, allow_each=False)
            reads += [r for r in self.check_refs(fallback_value) if r not in reads]
        when = found.get("when")
        if when and when.cond is not None:
            reads += [r for r in self.check_refs(when.cond) if r not in reads]
        mode: ir.CallMode = "sync" if "sync" in found else "thread" if "thread" in found else "await"
        if callee and callee.flow and mode != "await":
            self.errors.error(
                codes.CLAUSE_CONFLICT,
                f"`{mode}` does not apply to a flow: `{callee.flow}` is always awaited",
                found[mode].span,
            )
        if callee is None:
            return None
        limit = found.get("limit")
        return ir.Node(
            name=node.name,
            line=node.span.line,
            span=node.name_span,
            callee=callee,
            args=tuple((a.name, a.value) for a in call.args),
            mode=mode,
            is_map=node.is_map,
            map_limit=int(limit.number.value) if limit and limit.number and node.is_map else None,
            collect="collect" in found,
            policy=policy,
            fallback=fallback_value,
            when=when.cond if when else None,
            preds=preds,
            reads=tuple(reads),
        )


def type_help(name: str, imports: Iterable[str]) -> str:
    if name in typing.__all__:
        return f"import it: `from typing import {name}`"
    close = did_you_mean(name, list(imports) + sorted(BUILTIN_TYPES))
    return close or f"import it: `from MODULE import {name}`"


def number_text(number: s.Number | s.Duration) -> str:
    return number.text if isinstance(number, s.Duration) else repr(number.value)


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
