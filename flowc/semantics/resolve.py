"""Syntax tree to IR, one flow at a time: every name looked up, every clause validated and
normalised into a `Policy`.

Graph rules (cycles, reachability, unbound inputs) and rules across flows are `check`'s;
this module reports what can be judged one declaration at a time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import assert_never

from .. import codes
from ..diagnostics import did_you_mean
from ..source import Span
from ..syntax import tree as s
from . import ir
from .expressions import ExprRules, walk_refs
from .names import BUILTIN_EXCEPTIONS, BUILTIN_TYPES, rename_help, reserved_reason
from .scope import ModuleScope
from .settings import Settings


@dataclass(slots=True, kw_only=True)
class NodeClauses:
    """A node's clauses by kind: the first of each kind (a repeated one is reported)."""

    timeout: s.Timeout | None = None
    retry: s.Retry | None = None
    fallback: s.Fallback | None = None
    when: s.When | None = None
    limit: s.Limit | None = None
    pool: s.PoolClause | None = None
    executor: s.ExecutorClause | None = None
    collect: s.Collect | None = None
    sync: s.Sync | None = None
    thread: s.Thread | None = None

    def add(self, clause: s.Clause) -> None:
        """Record the clause under its kind, replacing any earlier one."""
        match clause:
            case s.Timeout():
                self.timeout = clause
            case s.Retry():
                self.retry = clause
            case s.Fallback():
                self.fallback = clause
            case s.When():
                self.when = clause
            case s.Limit():
                self.limit = clause
            case s.PoolClause():
                self.pool = clause
            case s.ExecutorClause():
                self.executor = clause
            case s.Collect():
                self.collect = clause
            case s.Sync():
                self.sync = clause
            case s.Thread():
                self.thread = clause
            case _:
                assert_never(clause)


class FlowResolver:
    """Resolves one flow: its namespace (parameters and nodes), nodes, clauses and return."""

    def __init__(self, flow: s.Flow, scope: ModuleScope) -> None:
        self.flow = flow
        self.scope = scope
        self.errors = scope.errors
        self.exprs = ExprRules(scope.errors)
        self.locals: dict[str, Span] = {}
        # With two nodes of one name, which one an edge or a read means is unknowable, so
        # the checks of reads against edges are skipped (the duplicate is reported).
        self.has_duplicates = False
        for param in flow.params:
            self.declare(param.name, param.span, "parameter")
        for node in flow.nodes:
            self.declare(node.name, node.name_span, "node")
        self.node_names = {n.name for n in flow.nodes}
        self.settings = Settings(flow, scope, self.node_names)
        # Where each node first reads each other node, for errors about that read.
        self.read_spans: dict[tuple[str, str], Span] = {}

    def declare(self, name: str, span: Span, kind: str) -> None:
        reason = reserved_reason(name)
        if reason is None and name in self.scope.generated.keywords:
            reason = f"`{name}` is a keyword argument every generated flow takes"
        if reason:
            self.errors.error(codes.RESERVED_NAME, f"{reason} and cannot name a {kind}", span, help=rename_help(name))
        elif kind == "parameter":
            self.hidden_by_parameter(name, span)
        if name in self.locals:
            self.has_duplicates = True
            self.errors.error(
                codes.DUPLICATE_NAME,
                f"`{name}` is already defined at line {self.locals[name].line} in flow `{self.flow.name}`",
                span,
                help="parameters and nodes of a flow share one namespace; rename one of them",
            )
        else:
            self.locals[name] = span

    # ---------------------------------------------------------------- references

    def hidden_by_parameter(self, name: str, span: Span) -> None:
        """A parameter keeps its name in the generated function (it is a keyword argument), so
        it must not hide a flow, an import or a name of the generated module there."""
        if name in self.scope.flows or name in self.scope.imports:
            kind = "flow" if name in self.scope.flows else "import"
            self.errors.error(
                codes.RESERVED_NAME,
                f"parameter `{name}` would hide the {kind} `{name}` inside flow `{self.flow.name}`",
                span,
                help=rename_help(name),
            )
        elif self.scope.generated.hidden_by_parameter(name):
            self.errors.error(
                codes.RESERVED_NAME,
                f"parameter `{name}` would hide `{name}`, which the generated module uses",
                span,
                help=rename_help(name),
            )

    def reads(self, expr: s.Expr | s.Cond | None, reader: str | None = None) -> dict[str, None]:
        """Report unknown references; return the node names read, in order, once each."""
        found: dict[str, None] = {}
        for ref in walk_refs(expr):
            if ref.name not in self.locals:
                self.undefined(ref)
            elif ref.name in self.node_names and ref.name not in found:
                found[ref.name] = None
                if reader is not None:
                    self.read_spans.setdefault((reader, ref.name), ref.name_span)
        return found

    def undefined(self, ref: s.Ref) -> None:
        if ref.name in self.scope.imports or ref.name in self.scope.flows:
            what = "imported" if ref.name in self.scope.imports else "a flow"
            help = f"`{ref.name}` is {what}: it can be called by a node, and the node passed instead"
        elif ref.name.lower() in ("true", "false", "none") and not ref.steps:
            help = f"the constant is written `{ref.name.capitalize()}`"
        else:
            help = did_you_mean(ref.name, self.locals) or f"declare it: `node {ref.name} = CALLEE(ARGS)`"
        self.errors.error(
            codes.UNDEFINED_REF,
            f"`{ref.name}` is not a parameter or node of flow `{self.flow.name}`",
            ref.name_span,
            help=help,
        )

    def callee(self, call: s.Call, fallback_of: s.Call | None = None) -> ir.Callee | None:
        """What `call` calls (None if nothing: reported); `fallback_of`, the node's own call
        when `call` is its fallback's."""
        head = call.callee[0]
        if not self.scope.python_names(call.callee, call.callee_span):
            return None
        if head in self.scope.flows and len(call.callee) == 1:
            return ir.Callee(parts=call.callee, flow=head)
        if head in self.scope.failed_imports:
            return None  # what the import names is unknown; the import's error says why
        imported = self.scope.flow_imports.get(head)
        if imported is not None and imported.kind == "flow" and len(call.callee) == 1:
            return ir.Callee(parts=call.callee, flow=head, origin=imported.path)
        if imported is not None:
            what = f"pool `{imported.name}` of {imported.path}" if imported.kind == "pool" else f"flow `{head}`"
            self.errors.error(
                codes.UNDEFINED_CALLEE,
                f"`{'.'.join(call.callee)}` cannot be called: `{head}` is the {what}",
                call.callee_span,
                help=f"name it in a clause: `pool {head}`" if imported.kind == "pool" else f"call it: `{head}(...)`",
            )
            return None
        if head in self.scope.imports:
            return ir.Callee(parts=call.callee)
        notes: tuple[str, ...] = ()
        if head in self.locals:
            help = f"`{head}` is a {'node' if head in self.node_names else 'parameter'}; only imported names and flows can be called"
        elif fallback_of is not None:
            # A fallback is most often another function named like the node's own
            # (`fetch` → `fetch_backup`): "did you mean `fetch`" would mislead.
            help = f"import it: `{self.import_line(head, fallback_of)}`"
            close = did_you_mean(head, set(self.scope.callables) - {fallback_of.callee[0]})
            notes = (f"or, if it is a misspelling: {close}",) if close else ()
        else:
            help = self.close_callee(call.callee) or f"import it: `{self.import_line(head, None)}`"
        self.errors.error(
            codes.UNDEFINED_CALLEE,
            f"`{'.'.join(call.callee)}` is neither imported nor a flow of this file",
            call.callee_span,
            help=help,
            notes=notes,
        )
        return None

    def close_callee(self, parts: tuple[str, ...]) -> str | None:
        """ "Did you mean" a callable, or for `lm.summarize` an attribute of a module imported
        under a close name (`llm.summarize`)."""
        if len(parts) == 1:
            return did_you_mean(parts[0], self.scope.callables)
        rest = ".".join(parts[1:])
        modules = [alias for alias, item in self.scope.imports.items() if item.name is None]
        return did_you_mean(".".join(parts), [f"{alias}.{rest}" for alias in modules])

    def import_line(self, name: str, beside: s.Call | None) -> str:
        """How to import `name`: from the module the node's own callee comes from, if known."""
        if beside is not None and len(beside.callee) == 1:
            item = self.scope.imports.get(beside.callee[0])
            if item is not None and item.name is not None:
                return f"from {'.'.join(item.module)} import {name}"
        return f"from MODULE import {name}"

    # ---------------------------------------------------------------- clauses

    def clauses(self, node: s.Node) -> NodeClauses:
        found = NodeClauses()
        seen: set[str] = set()
        for clause in node.clauses:
            if clause.keyword in seen:
                self.errors.error(
                    codes.DUPLICATE_CLAUSE,
                    f"`{clause.keyword}` is given twice on node `{node.name}`",
                    clause.span,
                    help=f"keep one `{clause.keyword}` clause",
                )
                continue
            seen.add(clause.keyword)
            found.add(clause)
        self.clause_rules(node, found)
        return found

    def clause_rules(self, node: s.Node, found: NodeClauses) -> None:
        for clause in (found.limit, found.collect):
            if clause is not None and not node.is_map:
                self.errors.error(
                    codes.MAP_ONLY_CLAUSE,
                    f"`{clause.keyword}` applies only to `map` nodes, and `{node.name}` is not one",
                    clause.span,
                    help=f"remove `{clause.keyword}`, or make the node a map: `node {node.name} = map CALLEE(x=each ITEMS)`",
                )
        if found.fallback and found.collect:
            self.errors.error(
                codes.FALLBACK_COLLECT,
                "`fallback` cannot be combined with `collect`: a collected element's error is its value",
                found.fallback.span,
                help="drop `fallback`, or drop `collect` to replace failed elements with the fallback",
            )
        if found.sync and found.thread:
            self.errors.error(
                codes.CLAUSE_CONFLICT,
                "a node is either `sync` or `thread`, not both",
                found.thread.span,
                help="keep one",
            )
        executor = found.executor
        if executor is not None and (found.sync or found.thread):
            other = found.sync or found.thread
            assert other is not None
            self.errors.error(
                codes.EXECUTOR_MODE,
                f"a node runs on an executor or is `{other.keyword}`, not both",
                max(executor.span, other.span, key=lambda span: (span.line, span.column)),
                help=f"keep `executor {executor.name}` to run the call on the executor, or `{other.keyword}` alone",
            )
        if executor is not None and executor.name not in self.scope.executors:
            self.errors.error(
                codes.UNDEFINED_EXECUTOR,
                f"no executor named `{executor.name}`",
                executor.name_span,
                help=did_you_mean(executor.name, list(self.scope.executors))
                or f"declare it at module level: `executor {executor.name}`",
            )
        if found.sync and found.timeout:
            self.errors.error(
                codes.CLAUSE_CONFLICT,
                "`timeout` cannot interrupt a `sync` call, which blocks the event loop",
                found.timeout.span,
                help="use `thread` to run the function in a worker thread that the timeout can abandon",
            )

    def policy(self, found: NodeClauses) -> ir.Policy:
        timeout, retry, pool = found.timeout, found.retry, found.pool
        seconds = self.settings.seconds(timeout.duration if timeout else None, "a timeout", "timeout")
        retry_on: list[str] = []
        retries: int | ir.FromParam | None = None
        backoff = max_delay = None
        if retry:
            retries = self.settings.count(retry.count, "a retry count", "retry", least=0)
            backoff = self.settings.seconds(retry.backoff, "a backoff", "backoff")
            max_delay = self.settings.seconds(retry.max_delay, "a maximum delay", "max")
            self.retry_rules(retry)
            retry_on = [self.exception_name(name) for name in retry.on]
        if pool and pool.name not in self.scope.pool_names and pool.name not in self.scope.failed_imports:
            self.errors.error(
                codes.UNDEFINED_POOL,
                f"no pool named `{pool.name}`",
                pool.name_span,
                help=did_you_mean(pool.name, self.scope.pool_names) or f"declare it: `pool {pool.name} limit 4`",
            )
        return ir.Policy(
            timeout=seconds,
            retries=retries or 0,
            backoff=backoff,
            max_delay=max_delay,
            jitter=bool(retry and retry.jitter),
            retry_on=tuple(retry_on),
            pool=pool.name if pool else None,
        )

    def retry_rules(self, retry: s.Retry) -> None:
        """A cap shorter than the first delay, both written as durations (from parameters,
        the run checks it)."""
        if not isinstance(retry.backoff, s.Duration) or not isinstance(retry.max_delay, s.Duration):
            return
        if 0 < retry.max_delay.seconds < retry.backoff.seconds:
            self.errors.error(
                codes.CLAUSE_CONFLICT,
                f"the maximum delay `{retry.max_delay.text}` is shorter than the first delay `{retry.backoff.text}`",
                retry.max_delay.span,
                help="make `max` at least the `backoff` delay",
            )

    def exception_name(self, name: s.TypeName) -> str:
        text = ".".join(name.parts)
        head = name.parts[0]
        if head in self.scope.flow_imports:
            item = self.scope.flow_imports[head]
            self.errors.error(
                codes.UNDEFINED_EXCEPTION,
                f"`{text}` is the {item.kind} `{item.name}` of {item.path}, not an exception class",
                name.span,
                help="name exception classes, such as `ValueError` or `TimeoutError`",
            )
            return text
        if not self.scope.python_names(name.parts, name.span) or head in self.scope.imports:
            return text
        if len(name.parts) == 1 and head in BUILTIN_EXCEPTIONS:
            return text
        if len(name.parts) == 1 and head in BUILTIN_TYPES:
            message = f"`{text}` is a builtin type, not an exception class"
            help = "name exception classes, such as `ValueError` or `TimeoutError`"
        else:
            message = f"exception class `{text}` is neither a builtin exception nor imported"
            candidates = list(self.scope.imports) + sorted(BUILTIN_EXCEPTIONS)
            # Only a near miss: every builtin ends in `Error`, so `HTTPError` is "close" to
            # `TabError`; an exception not imported is the likelier mistake.
            help = did_you_mean(head, candidates, cutoff=0.8) or f"import it: `from MODULE import {head}`"
        self.errors.error(codes.UNDEFINED_EXCEPTION, message, name.span, help=help)
        return text

    # ---------------------------------------------------------------- nodes

    def node(self, node: s.Node, preds: tuple[str, ...]) -> ir.Node | None:
        """The IR of one node (None if it has no valid callee; the errors are reported)."""
        found = self.clauses(node)
        policy = self.policy(found)
        call = node.call
        if not isinstance(call, s.Call):
            self.not_a_call(node, call)
            return None
        callee = self.callee(call)
        self.exprs.args(call.args, is_map=node.is_map)
        if callee is not None and callee.flow:
            self.subflow_args(call, self.target(callee))
        if node.is_map:
            self.map_each(node, call)
        reads = self.reads(call, node.name)
        fallback = self.fallback(found.fallback, node, reads)
        when = found.when
        if when:
            self.exprs.condition(when.cond)
            reads.update(self.reads(when.cond, node.name))
        limit = found.limit if node.is_map else None
        map_limit = self.settings.count(limit.count if limit else None, "a map limit", "limit")
        mode = self.mode(found, callee, fallback.callee if isinstance(fallback, ir.FallbackCall) else None)
        if callee is None:
            return None
        return ir.Node(
            name=node.name,
            line=node.span.line,
            span=node.name_span,
            callee=callee,
            callee_span=call.callee_span,
            args=call.args,
            mode=mode,
            executor=found.executor.name if mode == "executor" and found.executor else None,
            is_map=node.is_map,
            map_limit=map_limit,
            collect=found.collect is not None,
            policy=policy,
            fallback=fallback,
            when=when.cond if when else None,
            preds=preds,
            reads=tuple(reads),
        )

    def not_a_call(self, node: s.Node, value: s.Expr) -> None:
        name = value.name if isinstance(value, s.Ref) else None
        if name is not None and name in self.scope.callables:
            message, help = f"node `{node.name}` must call `{name}`, not name it", f"write `{name}(ARGS)`"
        else:
            message, help = f"node `{node.name}` must call something", f"write `node {node.name} = CALLEE(ARGS)`"
            self.exprs.value(value)
            self.reads(value)
        self.errors.error(codes.INVALID_CALL, message, value.span, help=help)

    def map_each(self, node: s.Node, call: s.Call) -> None:
        whole = [a for a in call.args if isinstance(a.value, s.Each)]
        if len(whole) > 1:
            self.errors.error(
                codes.MAP_EACH,
                f"a `map` iterates over one argument, but `{node.name}` marks {len(whole)} with `each`",
                whole[1].span,
                help="keep one `each`; pass the other iterables whole, or zip them in a step of your own",
            )
        elif not whole and not any(contains_each(a.value) for a in call.args):
            self.errors.error(
                codes.MAP_EACH,
                f"map node `{node.name}` has no `each` argument",
                call.span,
                help="mark the iterable with `each`, as in `map f(x=each items)`",
            )

    def target(self, callee: ir.Callee) -> s.Flow | ir.Flow:
        """The flow a sub-flow call calls: one of this file, or one imported."""
        assert callee.flow is not None
        imported = self.scope.imported_flow(callee.flow)
        if imported is not None and imported.flow is not None:
            return imported.flow
        return self.scope.flows[callee.flow]

    def subflow_args(self, call: s.Call, target: s.Flow | ir.Flow) -> None:
        """A call of a flow of this file passes each parameter without a default, once, and
        nothing else."""
        names = [p.name for p in target.params]
        positional = [a for a in call.args if a.name is None]
        for extra in positional[len(names) :]:
            self.errors.error(
                codes.SUBFLOW_ARGUMENTS,
                f"flow `{target.name}` takes {plural(len(names), 'parameter')}, but "
                f"{plural(len(positional), 'positional argument')} {'is' if len(positional) == 1 else 'are'} given",
                extra.span,
            )
        by_position = set(names[: len(positional)])
        given = set(by_position)
        for arg in call.args:
            if arg.name is None:
                continue
            if arg.name not in names:
                self.errors.error(
                    codes.SUBFLOW_ARGUMENTS,
                    f"flow `{target.name}` has no parameter `{arg.name}`",
                    arg.span,
                    help=did_you_mean(arg.name, names) or parameters_help(target),
                )
            elif arg.name in by_position:
                self.errors.error(
                    codes.SUBFLOW_ARGUMENTS, f"parameter `{arg.name}` of flow `{target.name}` is given twice", arg.span
                )
            given.add(arg.name)
        missing = [p.name for p in target.params if p.default is None and p.name not in given]
        if missing:
            self.errors.error(
                codes.SUBFLOW_ARGUMENTS,
                f"the call of flow `{target.name}` misses {', '.join(f'`{m}`' for m in missing)}",
                call.callee_span,
                help="pass " + ", ".join(f"`{m}=...`" for m in missing),
            )

    def fallback(self, clause: s.Fallback | None, node: s.Node, reads: dict[str, None]) -> ir.Fallback | None:
        """The fallback's value or call (None when there is none, or its callee is unknown,
        which is reported); the nodes it reads are added to `reads`."""
        if clause is None:
            return None
        value = clause.value
        if not isinstance(value, s.Call):
            self.exprs.value(value)
            reads.update(self.reads(value, node.name))
            return ir.FallbackValue(value=value, span=value.span)
        callee = self.callee(value, fallback_of=node.call if isinstance(node.call, s.Call) else None)
        self.exprs.args(value.args, is_map=False)
        if callee is not None and callee.flow:
            self.subflow_args(value, self.target(callee))
        reads.update(self.reads(value, node.name))
        return ir.FallbackCall(call=value, callee=callee, span=value.span) if callee is not None else None

    def mode(self, found: NodeClauses, *callees: ir.Callee | None) -> ir.CallMode:
        """How the callee (and a fallback call) is called; a flow can only be awaited."""
        if found.executor is not None and not found.sync and not found.thread:
            chosen = found.executor
            callee, *fallback = callees
            if callee is not None and callee.flow:
                self.errors.error(
                    codes.EXECUTOR_SUBFLOW,
                    f"`executor` does not apply to a flow: `{callee.flow}` runs its own nodes on the event loop",
                    chosen.span,
                    help=f"remove `executor {chosen.name}`, and put it on the nodes inside `{callee.flow}` that should run on the executor",
                )
            elif fallback and fallback[0] is not None and fallback[0].flow:
                self.errors.error(
                    codes.EXECUTOR_SUBFLOW,
                    f"`executor` does not apply to a flow: the fallback `{fallback[0].flow}` is a flow, awaited on the event loop",
                    chosen.span,
                    help=f"remove `executor {chosen.name}`, or fall back to a plain function",
                )
            return "executor"
        clause = found.sync or found.thread
        mode: ir.CallMode = "sync" if found.sync else "thread" if found.thread else "await"
        flows = [c.flow for c in callees if c is not None and c.flow]
        if clause is not None and flows:
            self.errors.error(
                codes.CLAUSE_CONFLICT,
                f"`{mode}` does not apply to a flow: `{flows[0]}` is always awaited",
                clause.span,
                help=f"remove `{mode}`",
            )
        return mode


def parameters_help(flow: s.Flow | ir.Flow) -> str:
    if not flow.params:
        return f"flow `{flow.name}` takes no parameters"
    return f"the parameters of `{flow.name}` are " + ", ".join(f"`{p.name}`" for p in flow.params)


def contains_each(expr: s.Expr) -> bool:
    match expr:
        case s.Each():
            return True
        case s.ListExpr(items=items) | s.First(items=items):
            return any(contains_each(i) for i in items)
        case s.DictExpr(items=items):
            return any(contains_each(i.value) for i in items)
    return False


def source_hash(text: str) -> str:
    """The SHA-256 of a source text, as recorded in the generated module's header."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
