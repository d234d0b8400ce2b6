"""The rules that need a whole flow or the whole file: edges, graph shape, unbound inputs,
returns, sub-flow calls, recursion and pool deadlocks. One function per rule."""

from __future__ import annotations

from . import codes
from . import ir
from . import syntax as s
from .diagnostics import Collector, did_you_mean
from .graph import ancestors, find_cycle, reachable, topological
from .source import Span

START, END = "START", "END"


class Edges:
    """A flow's edges: predecessors and successors of every node, START and END included."""

    def __init__(self, flow: s.Flow, errors: Collector) -> None:
        self.nodes = [n.name for n in flow.nodes]
        known = set(self.nodes)
        params = {p.name for p in flow.params}
        self.preds: dict[str, list[str]] = {name: [] for name in self.nodes + [END]}
        self.succs: dict[str, list[str]] = {name: [] for name in self.nodes + [START]}
        self.spans: dict[tuple[str, str], Span] = {}
        for statement in flow.edges:
            for left, right in zip(statement.terms, statement.terms[1:]):
                for name, span in left.names + right.names:
                    if name in (START, END) or name in known:
                        continue
                    what = f"`{name}` is a parameter, not a node" if name in params else f"no node named `{name}`"
                    errors.error(
                        codes.UNDEFINED_NODE,
                        f"{what} in flow `{flow.name}`",
                        span,
                        help=did_you_mean(name, known) if name not in params else "edges connect nodes only",
                    )
                for name, span in right.names:
                    if name == START:
                        errors.error(codes.INVALID_EDGE, "nothing can come before `START`", span)
                for name, span in left.names:
                    if name == END:
                        errors.error(codes.INVALID_EDGE, "nothing can come after `END`", span)
                for a, a_span in left.names:
                    for b, b_span in right.names:
                        if a in known | {START} and b in known | {END} and (a, b) not in self.spans:
                            self.spans[(a, b)] = Span(a_span.line, a_span.column, b_span.end_line, b_span.end_column)
                            self.succs[a].append(b)
                            self.preds[b].append(a)


def check_graph(flow: s.Flow, edges: Edges, errors: Collector) -> list[str] | None:
    """Cycles, reachability; returns a topological order, or None if the graph has a cycle."""
    spans = {n.name: n.name_span for n in flow.nodes}
    cycle = find_cycle(edges.nodes, edges.succs)
    if cycle:
        errors.error(
            codes.CYCLE,
            f"these edges form a cycle: {' >> '.join(cycle)}",
            edges.spans.get((cycle[0], cycle[1]), spans[cycle[0]]),
            help="remove one of the edges of the cycle",
        )
    from_start = reachable([START], edges.succs)
    to_end = reachable([END], edges.preds)
    for name in edges.nodes:
        if name not in from_start:
            errors.error(
                codes.UNREACHABLE,
                f"node `{name}` cannot be reached from START",
                spans[name],
                help=f"add an edge to it, for example `START >> {name}`",
            )
        if name not in to_end:
            errors.error(
                codes.DEAD_END,
                f"node `{name}` never reaches END",
                spans[name],
                help=f"add an edge from it, for example `{name} >> END`",
            )
    if cycle:
        return None
    return topological(edges.nodes, edges.preds)


def check_unbound(flow: ir.Flow, topo: list[str], return_spans: dict[str, Span], errors: Collector) -> None:
    """Every node, condition and return may read only nodes upstream of it."""
    preds = {node.name: node.preds for node in flow.nodes} | {END: flow.end_preds}
    upstream = ancestors(topo + [END], preds)
    index = {name: i for i, name in enumerate(topo)}
    for node in flow.nodes:
        for name in node.reads:
            if not (upstream[node.name] >> index[name]) & 1:
                errors.error(
                    codes.UNBOUND_INPUT,
                    f"node `{node.name}` reads `{name}`, which is not upstream of it",
                    node.span,
                    help=f"add the edge `{name} >> {node.name}`",
                )
    for name, span in return_spans.items():
        if name in index and not (upstream[END] >> index[name]) & 1:
            errors.error(
                codes.UNBOUND_INPUT,
                f"the return reads `{name}`, which is not upstream of END",
                span,
                help=f"add the edge `{name} >> END`",
            )


def check_subflow_calls(module: ir.Module, flows: dict[str, s.Flow], errors: Collector, spans: dict[tuple[str, str], Span]) -> None:
    """A sub-flow call passes every required parameter once and nothing else."""
    for flow in module.flows:
        for node in flow.nodes:
            target = flows.get(node.callee.flow or "")
            if target is None:
                continue
            span = spans[(flow.name, node.name)]
            names = [p.name for p in target.params]
            given: list[str] = []
            positional = [a for a in node.args if a[0] is None]
            if len(positional) > len(names):
                errors.error(
                    codes.SUBFLOW_ARGUMENTS,
                    f"flow `{target.name}` takes {len(names)} parameters but {len(positional)} positional arguments are given",
                    span,
                )
            given += names[: len(positional)]
            for name, _ in node.args:
                if name is None:
                    continue
                if name not in names:
                    errors.error(
                        codes.SUBFLOW_ARGUMENTS,
                        f"flow `{target.name}` has no parameter `{name}`",
                        span,
                        help=did_you_mean(name, names),
                    )
                elif name in given:
                    errors.error(codes.SUBFLOW_ARGUMENTS, f"parameter `{name}` of `{target.name}` is given twice", span)
                given.append(name)
            missing = [p.name for p in target.params if p.default is None and p.name not in given]
            if missing:
                errors.error(
                    codes.SUBFLOW_ARGUMENTS,
                    f"the call of flow `{target.name}` misses {', '.join(f'`{m}`' for m in missing)}",
                    span,
                    help="pass " + ", ".join(f"{m}=..." for m in missing),
                )


def check_recursion(module: ir.Module, errors: Collector, spans: dict[tuple[str, str], Span]) -> None:
    """No flow may call itself, directly or through other flows."""
    calls = {f.name: sorted({n.callee.flow for n in f.nodes if n.callee.flow}) for f in module.flows}
    cycle = find_cycle([f.name for f in module.flows], calls)
    if cycle:
        caller, callee = cycle[0], cycle[1]
        node = next(n for f in module.flows if f.name == caller for n in f.nodes if n.callee.flow == callee)
        errors.error(
            codes.RECURSION,
            f"flows cannot be recursive: {' -> '.join(cycle)}",
            spans[(caller, node.name)],
            help="a flow's call graph must be acyclic; unroll the recursion or move it into a step",
        )


def pools_used(module: ir.Module) -> dict[str, set[str]]:
    """Every pool a flow may hold, through its nodes and its sub-flows."""
    direct = {f.name: {n.policy.pool for n in f.nodes if n.policy.pool} for f in module.flows}
    calls = {f.name: {n.callee.flow for n in f.nodes if n.callee.flow} for f in module.flows}
    used: dict[str, set[str]] = {}
    for name in direct:
        flows = reachable([name], {k: sorted(v) for k, v in calls.items() if True})
        used[name] = {p for f in flows for p in direct.get(f, set()) if p is not None}
    return used


def check_pool_deadlock(module: ir.Module, errors: Collector, spans: dict[tuple[str, str], Span]) -> None:
    """A node holding pool P must not call a sub-flow that needs P."""
    used = pools_used(module)
    for flow in module.flows:
        for node in flow.nodes:
            pool, target = node.policy.pool, node.callee.flow
            if pool and target and pool in used.get(target, set()):
                errors.error(
                    codes.POOL_DEADLOCK,
                    f"node `{node.name}` holds pool `{pool}` while flow `{target}` also needs it, which can deadlock",
                    spans[(flow.name, node.name)],
                    help=f"drop `pool {pool}` from `{node.name}`; the sub-flow's own nodes already take the slots",
                )
