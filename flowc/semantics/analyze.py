"""The front end: `.flow` text to a checked IR, or every error of the file at once.

parse (and build) → resolve (module scope, then each flow) → check (graph, then rules across
flows). Every stage reports into one collector; `CompileError` carries all of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Iterator

from .. import codes
from ..diagnostics import Collector
from ..source import Source, Span
from ..syntax import tree as s
from ..syntax.parse import parse
from . import ir
from .graph_rules import (
    Edges,
    check_graph,
    check_pool_deadlock,
    check_recursion,
    check_subflow_depth,
    check_unbound,
)
from .imports import Loader
from .lints import lint
from .names import GeneratedNames
from .resolve import FlowResolver
from .results import flow_result, flow_returns
from .scope import ModuleScope
from .settings import check_positive


def analyze(source: Source, generated: GeneratedNames, loader: Loader | None = None) -> ir.Module:
    """Parse, build, resolve and check one file; raises `CompileError` with every error.
    `generated` are the names the generated module binds, which the file cannot use;
    `loader` says which imports name other `.flow` files, and what those hold."""
    errors = Collector(source)
    try:
        with paused_gc():
            module = analyze_into(source, errors, generated, loader)
    except RecursionError:  # pragma: no cover - the lexer refuses input nested this deeply
        errors.error(codes.TOO_DEEP, "this file is nested too deeply for flowc", Span.point(1, 1))
        module = None
    errors.raise_if_any()
    assert module is not None
    return dataclasses.replace(module, warnings=tuple(errors.warnings))


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: the front end allocates many small objects and
    no cycles, and collections that find nothing to free would double its time on large
    files. Whatever is garbage is collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def analyze_into(
    source: Source, errors: Collector, generated: GeneratedNames, loader: Loader | None
) -> ir.Module | None:
    if not encodable(source, errors):
        return None
    module = parse(source.text, errors)
    if module is None or too_many_nodes(module, errors):
        return None
    if not module.flows and not module.pools:
        # A file of pools alone is a module other files import them from.
        what = "is empty" if not module.imports else "declares no flow"
        errors.error(
            codes.EMPTY, f"the file {what}", Span.point(1, 1), help="declare a flow: `flow NAME(x: int) -> int { ... }`"
        )
    scope = ModuleScope(module, errors, generated, loader)
    for pool in module.pools:
        check_positive(errors, pool.limit, "a pool limit", integer=True)
        check_positive(errors, pool.rate, "a pool rate", integer=True)
        check_positive(errors, pool.per, "a rate window", integer=False)
    flows: list[ir.Flow] = []
    node_spans: dict[tuple[str, str], Span] = {}
    for flow in module.flows:
        resolved = resolve_flow(flow, scope, errors)
        if resolved is not None:
            flows.append(resolved)
        node_spans.update({(flow.name, n.name): n.name_span for n in flow.nodes})
    result = ir.Module(
        path=source.path,
        name=source.name,
        text=source.text,
        imports=tuple(
            ir.Import(module=".".join(i.module), name=i.name, alias=i.alias, written=i.written)
            for i in scope.all_imports
        ),
        pools=tuple(ir_pool(p, scope.may_export(p.name)) for p in scope.pools.values()),
        flows=tuple(flows),
        executors=tuple(scope.executors),
        flow_imports=tuple(scope.flow_imports.values()),
    )
    check_recursion(result, errors, node_spans)
    if check_subflow_depth(result, errors, node_spans):  # else the deadlock check would take depth x flows
        check_pool_deadlock(result, errors, node_spans)
    if not errors:
        lint(module, result, errors)
    return result


MAX_NODES = 10_000
"""The most nodes in one file. A flow is one Python function whose lambdas read its locals,
and CPython's time to compile such a function grows with the number of lambdas times the
number of locals (3.11 also compares every pair of identical lambdas in a module): at the
bound, the generated module takes seconds to compile at its first import (docs/language.md,
"Bounds"); at ten times the bound it would take many minutes."""


def too_many_nodes(module: s.Module, errors: Collector) -> bool:
    """Report the first node past `MAX_NODES`; the rest of the file is not analysed then."""
    nodes = [node for flow in module.flows for node in flow.nodes]
    if len(nodes) <= MAX_NODES:
        return False
    errors.error(
        codes.TOO_LARGE,
        f"this file has {len(nodes):,} nodes; flowc accepts at most {MAX_NODES:,} in one file",
        nodes[MAX_NODES].name_span,
        help="split it into several files: a flow of one generated module can be imported into another file and called as a step",
    )
    return True


def encodable(source: Source, errors: Collector) -> bool:
    """Text given as a `str` (not decoded from bytes) may hold lone surrogates."""
    try:
        source.text.encode("utf-8")
        return True
    except UnicodeEncodeError as error:
        char = source.text[error.start]
        errors.error(
            codes.ENCODING,
            f"the text contains U+{ord(char):04X}, a lone surrogate, which UTF-8 cannot encode",
            Span.point(*source.position(error.start)),
            help='remove it, or write it as an escape inside a string: `"\\ud800"`',
        )
        return False


def ir_pool(pool: s.Pool, public: bool) -> ir.Pool:
    return ir.Pool(
        name=pool.name,
        limit=int(pool.limit.value),
        rate=int(pool.rate.value) if pool.rate else None,
        per=pool.per.seconds if pool.per else None,
        public=public,
    )


def resolve_flow(flow: s.Flow, scope: ModuleScope, errors: Collector) -> ir.Flow | None:
    """One flow's IR (None when an error makes it meaningless; the errors are reported)."""
    resolver = FlowResolver(flow, scope)
    flow_options(flow, errors)
    limit = resolver.settings.count(flow.limit, "a flow limit", "limit")
    timeout = resolver.settings.seconds(flow.timeout, "a flow timeout", "timeout")
    params = flow_params(flow, scope, resolver, errors)
    result = flow_result(flow, scope, errors)
    edges = Edges(flow, errors)
    topo = check_graph(flow, edges, errors)
    nodes = []
    for node in flow.nodes:
        resolved = resolver.node(node, tuple(p for p in edges.preds[node.name] if p != "START"))
        if resolved is not None:
            nodes.append(resolved)
    returns, return_spans = flow_returns(flow, resolver, result, errors)
    if len(nodes) != len(flow.nodes):
        return None
    resolved_flow = ir.Flow(
        name=flow.name,
        line=flow.span.line,
        params=params,
        result=result,
        limit=limit,
        timeout=timeout,
        nodes=tuple(nodes),
        end_preds=tuple(p for p in edges.preds["END"] if p != "START"),
        returns=returns,
    )
    if topo is not None and not resolver.has_duplicates and not edges.broken:
        check_unbound(resolved_flow, topo, resolver.read_spans, return_spans, errors)
    return resolved_flow


def flow_options(flow: s.Flow, errors: Collector) -> None:
    seen: set[str] = set()
    for option in flow.options:
        if option.keyword in seen:
            errors.error(
                codes.DUPLICATE_CLAUSE,
                f"`{option.keyword}` is given twice on flow `{flow.name}`",
                option.span,
                help=f"keep one `{option.keyword}`",
            )
        seen.add(option.keyword)


def flow_params(flow: s.Flow, scope: ModuleScope, resolver: FlowResolver, errors: Collector) -> tuple[ir.Param, ...]:
    params = []
    with_default: s.Param | None = None
    for param in flow.params:
        if param.default is not None:
            resolver.exprs.value(param.default)
            with_default = with_default or param
        elif with_default is not None:
            errors.error(
                codes.PARAMETER_ORDER,
                f"parameter `{param.name}` has no default but follows `{with_default.name}`, which has one",
                param.span,
                help=f"move `{param.name}` before the parameters with defaults, or give it a default",
            )
        params.append(ir.Param(name=param.name, type=scope.type_text(param.type), default=param.default))
    return tuple(params)
