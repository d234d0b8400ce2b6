"""The rules that need a whole flow or the whole file: edges, graph shape, unbound inputs,
recursion and pool deadlocks. One function per rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import assert_never

from .. import codes
from ..diagnostics import Collector, did_you_mean
from ..source import Span
from ..syntax import tree as s
from . import ir
from .expressions import walk_refs
from .graph import ancestors, find_cycle, reachable, topological

START, END = "START", "END"


class Edges:
    """A flow's edges: predecessors and successors of every node, START and END included."""

    def __init__(self, flow: s.Flow, errors: Collector) -> None:
        self.nodes = [n.name for n in flow.nodes]
        self.preds: dict[str, list[str]] = {name: [] for name in self.nodes + [END]}
        self.succs: dict[str, list[str]] = {name: [] for name in self.nodes + [START]}
        self.spans: dict[tuple[str, str], Span] = {}
        self.touched: set[str] = set()
        # An edge naming an unknown node: its edge is missing, so reachability and unbound
        # inputs would only report that edge again, each in its own words.
        self.broken = False
        known = set(self.nodes)
        sources, targets = known | {START}, known | {END}
        params = {p.name for p in flow.params}
        for statement in flow.edges:
            for term in statement.terms:
                if self.check_names(term, known, params, flow.name, errors):
                    self.broken = True
            for left, right in zip(statement.terms, statement.terms[1:]):
                self.check_ends(left, right, errors)
                for a in left.names:
                    for b in right.names:
                        if a.name in sources and b.name in targets:
                            span = Span(a.span.line, a.span.column, b.span.end_line, b.span.end_column)
                            self.add(a.name, b.name, span)

    def add(self, a: str, b: str, span: Span) -> None:
        self.touched.update((a, b))
        if (a, b) not in self.spans:
            self.spans[(a, b)] = span
            self.succs[a].append(b)
            self.preds[b].append(a)

    @staticmethod
    def check_names(term: s.EdgeTerm, known: set[str], params: set[str], flow: str, errors: Collector) -> bool:
        """Report names in the term that are no node; whether there were any."""
        bad = False
        for item in term.names:
            name, span = item.name, item.span
            if name in (START, END) or name in known:
                continue
            bad = True
            if name in params:
                errors.error(
                    codes.UNDEFINED_NODE,
                    f"`{name}` is a parameter, not a node, in flow `{flow}`",
                    span,
                    help="edges connect nodes; a parameter is available to every node from the start",
                )
            else:
                errors.error(
                    codes.UNDEFINED_NODE,
                    f"no node named `{name}` in flow `{flow}`",
                    span,
                    help=did_you_mean(name, known),
                )
        return bad

    @staticmethod
    def check_ends(left: s.EdgeTerm, right: s.EdgeTerm, errors: Collector) -> None:
        for item in right.names:
            if item.name == START:
                errors.error(
                    codes.INVALID_EDGE,
                    "nothing can come before `START`",
                    item.span,
                    help="START begins an edge statement",
                )
        for item in left.names:
            if item.name == END:
                errors.error(
                    codes.INVALID_EDGE, "nothing can come after `END`", item.span, help="END ends an edge statement"
                )


def check_graph(flow: s.Flow, edges: Edges, errors: Collector) -> list[str] | None:
    """Cycles and reachability; returns a topological order, or None if there is a cycle."""
    spans = {n.name: n.name_span for n in flow.nodes}
    cycle = find_cycle(edges.nodes, edges.succs)
    if cycle:
        errors.error(
            codes.CYCLE,
            f"these edges form a cycle: {' >> '.join(cycle)}",
            edges.spans.get((cycle[-2], cycle[-1]), spans[cycle[0]]),
            help=f"remove one of these edges, such as the one that closes the cycle: `{cycle[-2]} >> {cycle[-1]}`",
        )
    if edges.broken:
        return None if cycle else topological(edges.nodes, edges.preds)
    from_start = reachable([START], edges.succs)
    to_end = reachable([END], edges.preds)
    for name in edges.nodes:
        if name not in edges.touched:
            errors.error(
                codes.UNREACHABLE,
                f"node `{name}` is not connected by any edge",
                spans[name],
                help=f"add it to the edges, for example `START >> {name} >> END`",
            )
            continue
        if name not in from_start:
            errors.error(
                codes.UNREACHABLE,
                f"node `{name}` cannot be reached from START",
                spans[name],
                help=f"add an edge into it, for example `START >> {name}`",
            )
        if name not in to_end:
            reader = next((n.name for n in flow.nodes if n.name != name and reads(n, name)), None)
            errors.error(
                codes.DEAD_END,
                f"node `{name}` never reaches END",
                spans[name],
                help=(
                    f"add an edge to the node that reads it: `{name} >> {reader}`"
                    if reader is not None
                    else f"add an edge out of it, for example `{name} >> END`"
                ),
            )
    return None if cycle else topological(edges.nodes, edges.preds)


def reads(node: s.Node, name: str) -> bool:
    """Whether the node's call or clauses read node `name`."""
    exprs = [node.call, *(clause_expr(c) for c in node.clauses)]
    return any(ref.name == name for expr in exprs for ref in walk_refs(expr))


def clause_expr(clause: s.Clause) -> s.Expr | s.Cond | None:
    """What a clause reads: a fallback's value or call, a `when` condition; else nothing."""
    match clause:
        case s.Fallback(value=value):
            return value
        case s.When(cond=cond):
            return cond
        case (
            s.Timeout()
            | s.Retry()
            | s.Limit()
            | s.PoolClause()
            | s.ExecutorClause()
            | s.Collect()
            | s.Sync()
            | s.Thread()
        ):
            return None
        case _:
            assert_never(clause)


def check_unbound(
    flow: ir.Flow,
    topo: list[str],
    read_spans: Mapping[tuple[str, str], Span],
    return_spans: Mapping[str, Span],
    errors: Collector,
) -> None:
    """Every node, condition and return may read only nodes upstream of it."""
    preds = {node.name: node.preds for node in flow.nodes} | {END: flow.end_preds}
    returned = {name for name in return_spans if name in preds and name != END}
    if all(set(node.reads) <= set(node.preds) for node in flow.nodes) and returned <= set(flow.end_preds):
        return  # the common case, decided without the ancestor sets (quadratic in a long chain)
    upstream = ancestors(topo + [END], preds)
    index = {name: i for i, name in enumerate(topo)}
    for node in flow.nodes:
        for name in node.reads:
            if (upstream[node.name] >> index[name]) & 1:
                continue
            span = read_spans.get((node.name, name), node.span)
            if name == node.name:
                errors.error(
                    codes.UNBOUND_INPUT,
                    f"node `{name}` reads its own value",
                    span,
                    help="a node's value exists only after it has run; read another node or a parameter",
                )
            elif (upstream[name] >> index[node.name]) & 1:
                errors.error(
                    codes.UNBOUND_INPUT,
                    f"node `{node.name}` reads `{name}`, which runs after it",
                    span,
                    help=downstream_help(flow, node, name),
                )
            else:
                errors.error(
                    codes.UNBOUND_INPUT,
                    f"node `{node.name}` reads `{name}`, which is not upstream of it",
                    span,
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


def downstream_help(flow: ir.Flow, node: ir.Node, name: str) -> str:
    """What fixes a read of a node that runs after the reader: reordering the edges, unless
    the node read needs the reader's value itself, when `name >> node` would be a cycle."""
    reads = {n.name: n.reads for n in flow.nodes}
    needed, stack = set(), [name]
    while stack:
        for read in reads.get(stack.pop(), ()):
            if read not in needed:
                needed.add(read)
                stack.append(read)
    if node.name not in needed:
        return f"the edges make `{name}` wait for `{node.name}`; reorder them so that `{name} >> {node.name}`"
    in_condition = node.when is not None and any(ref.name == name for ref in walk_refs(node.when))
    if in_condition:
        return (
            f"`{name}` needs the value of `{node.name}`, so `{node.name}` cannot wait for it (a cycle): "
            f"put the `when` on a node after `{name}`, or compare a node that runs before `{node.name}`"
        )
    return (
        f"`{name}` needs the value of `{node.name}`, so `{node.name}` cannot wait for it (a cycle): "
        f"read a node that runs before `{node.name}`"
    )


def flow_calls(flow: ir.Flow, *, imported: bool = False) -> list[tuple[str, str]]:
    """(node, flow) for every call of a flow of this file (with `imported`, of a flow another
    `.flow` file declares, by its name here), fallback calls included."""
    callees = [(n.name, n.callee) for n in flow.nodes]
    callees += [(n.name, n.fallback.callee) for n in flow.nodes if isinstance(n.fallback, ir.FallbackCall)]
    return [(node, c.flow) for node, c in callees if c.flow and (c.origin is not None) == imported]


def check_recursion(module: ir.Module, errors: Collector, spans: Mapping[tuple[str, str], Span]) -> None:
    """No flow may call itself, directly or through other flows; each cycle is reported once."""
    calls = {f.name: sorted({callee for _, callee in flow_calls(f)}) for f in module.flows}
    order = [f.name for f in module.flows]
    while cycle := find_cycle(order, calls):
        caller, callee = cycle[0], cycle[1]
        node = next(n for f in module.flows if f.name == caller for n, c in flow_calls(f) if c == callee)
        what = "calls itself" if len(cycle) == 2 else "calls itself through other flows"
        errors.error(
            codes.RECURSION,
            f"flow `{caller}` {what}: {' -> '.join(cycle)}",
            spans[(caller, node)],
            help="flows cannot be recursive; unroll the recursion or move it into a step",
        )
        on_cycle = set(cycle)
        order = [name for name in order if name not in on_cycle]
        calls = {
            name: [c for c in callees if c not in on_cycle] for name, callees in calls.items() if name not in on_cycle
        }


MAX_SUBFLOW_DEPTH = 100
"""The deepest chain of sub-flow calls (a flow that calls none has depth 1). Each level of a
run nests a few Python frames (the flow, `_call`, `_attempt`, `_when`, `_fallback`), so a
deeper chain would end in `RecursionError` under Python's default limit of 1,000 frames."""


def check_subflow_depth(module: ir.Module, errors: Collector, spans: Mapping[tuple[str, str], Span]) -> bool:
    """Report the first flow whose sub-flow calls nest deeper than `MAX_SUBFLOW_DEPTH`; False then."""
    node_calls = {f.name: sorted(flow_calls(f)) for f in module.flows}
    calls = {name: sorted({callee for _, callee in pairs}) for name, pairs in node_calls.items()}
    depth: dict[str, int] = {}
    deepest: dict[str, tuple[str, str]] = {}  # flow -> (node, flow it calls) on its deepest chain
    for name in topological(list(calls), calls):
        for node, callee in node_calls[name]:
            if depth.get(callee, 0) > depth.get(deepest.get(name, ("", ""))[1], 0):
                deepest[name] = (node, callee)
        depth[name] = 1 + (depth[deepest[name][1]] if name in deepest else 0)
        if depth[name] > MAX_SUBFLOW_DEPTH:
            chain = [name]
            while chain[-1] in deepest:
                chain.append(deepest[chain[-1]][1])
            shown = " -> ".join(chain[:3] + ["…"] + chain[-2:]) if len(chain) > 6 else " -> ".join(chain)
            errors.error(
                codes.TOO_DEEP,
                f"flow `{name}` nests sub-flow calls {depth[name]} deep ({shown}); flowc accepts at most {MAX_SUBFLOW_DEPTH}",
                spans[(name, deepest[name][0])],
                help="flatten the chain: call several of these flows from one flow, side by side",
            )
            return False
    return True


def pools_used(module: ir.Module) -> dict[str, frozenset[str]]:
    """Every pool (its identity across files, `path:name`) a flow's runs may hold: through
    its nodes, its sub-flows, and the flows it imports from other `.flow` files."""
    imported = {item.alias: item.pool_ids for item in module.flow_imports if item.kind == "flow"}
    direct = {f.name: {module.pool_id(n.policy.pool) for n in f.nodes if n.policy.pool} for f in module.flows}
    for f in module.flows:
        direct[f.name].update(p for _, alias in flow_calls(f, imported=True) for p in imported.get(alias, ()))
    calls = {f.name: sorted({callee for _, callee in flow_calls(f)}) for f in module.flows}
    return {name: frozenset(p for f in reachable([name], calls) for p in direct.get(f, set())) for name in direct}


def pool_waits(module: ir.Module) -> dict[str, frozenset[tuple[str, str]]]:
    """For each flow, every (pool held, pool then waited for) its runs may create: a node
    that holds P while calling a flow that needs Q; through its sub-flows and the flows it
    imports too, so that a file that runs two imported flows sees both halves of a cycle."""
    used = callee_pools(module)
    imported = {item.alias: item.waits for item in module.flow_imports if item.kind == "flow"}
    direct: dict[str, set[tuple[str, str]]] = {}
    for flow in module.flows:
        pairs: set[tuple[str, str]] = set()
        for node in flow.nodes:
            pool, target = node.policy.pool, node.callee.flow
            if pool and target:
                pairs |= {(module.pool_id(pool), needed) for needed in used.get(target, frozenset())}
        for _, alias in flow_calls(flow, imported=True):
            pairs.update(imported.get(alias, ()))
        direct[flow.name] = pairs
    calls = {f.name: sorted({callee for _, callee in flow_calls(f)}) for f in module.flows}
    return {name: frozenset(p for f in reachable([name], calls) for p in direct.get(f, set())) for name in direct}


def callee_pools(module: ir.Module) -> dict[str, frozenset[str]]:
    """The pools each flow a node may call needs: this file's flows and imported ones."""
    used = pools_used(module)
    for item in module.flow_imports:
        if item.kind == "flow":
            used[item.alias] = frozenset(item.pool_ids)
    return used


def check_pool_deadlock(module: ir.Module, errors: Collector, spans: Mapping[tuple[str, str], Span]) -> None:
    """A node holding pool P must not call a sub-flow that needs P, nor one that needs a pool
    Q while some node holding Q calls a sub-flow that needs P (holders waiting in a cycle).
    Pools are told apart by identity (`path:name`), so a pool imported from another file is
    the pool that file's flows take; the holds of imported flows count too, so that a cycle
    split across files is found by the file that runs its parts."""
    used = callee_pools(module)
    shown = {module.pool_id(p.name): p.name for p in module.pools}
    shown |= {i.pool_ids[0]: i.alias for i in module.flow_imports if i.kind == "pool"}

    def name(pool: str) -> str:
        """A pool as this file names it, else by its own name (its identity is `path:name`)."""
        return shown.get(pool, pool.rpartition(":")[2])

    holds: list[tuple[ir.Flow, ir.Node, str, str]] = []  # (flow, node, pool held, sub-flow)
    for flow in module.flows:
        for node in flow.nodes:
            pool, target = node.policy.pool, node.callee.flow
            held = module.pool_id(pool) if pool else None
            if held and target and held in used.get(target, frozenset()):
                errors.error(
                    codes.POOL_DEADLOCK,
                    f"node `{node.name}` holds pool `{pool}` while flow `{target}` also needs it, which can deadlock",
                    spans[(flow.name, node.name)],
                    help=f"drop `pool {pool}` from `{node.name}`; the sub-flow's own nodes already take the slots",
                )
            elif held and target:
                holds.append((flow, node, held, target))
    waits: dict[str, list[str]] = {}  # pool held -> pools then waited for
    for _, _, held, target in holds:
        waits.setdefault(held, []).extend(sorted(used.get(target, frozenset())))
    imported = {item.alias: item for item in module.flow_imports if item.kind == "flow"}
    calling = [
        (f, n, imported[alias]) for f in module.flows for n, alias in flow_calls(f, imported=True) if alias in imported
    ]
    for _, _, item in calling:
        for held, needed in sorted(item.waits):
            waits.setdefault(held, []).append(needed)
    for flow, node, held, target in holds:
        for needed in sorted(used.get(target, frozenset())):
            cycle = pool_cycle(needed, held, waits)
            if cycle is None:
                continue
            errors.error(
                codes.POOL_DEADLOCK,
                f"node `{node.name}` holds pool `{name(held)}` while flow `{target}` needs pool `{name(needed)}`, and "
                f"holders of `{name(needed)}` wait for `{name(held)}` in turn "
                f"({' -> '.join(name(p) for p in [held, *cycle])}): this can deadlock",
                spans[(flow.name, node.name)],
                help=f"drop `pool {name(held)}` from `{node.name}`, or keep the sub-flows it calls out of pool `{name(needed)}`",
            )
            break
    for flow, node_name, item in calling:
        for held, needed in sorted(item.waits):
            cycle = pool_cycle(needed, held, waits)
            if cycle is None:
                continue
            errors.error(
                codes.POOL_DEADLOCK,
                f"node `{node_name}` runs flow `{item.alias}` ({item.path}), whose runs hold pool `{name(held)}` while "
                f"they need `{name(needed)}`, and holders of `{name(needed)}` wait for `{name(held)}` in turn "
                f"({' -> '.join(name(p) for p in [held, *cycle])}): this can deadlock",
                spans[(flow.name, node_name)],
                help=f"keep one of the flows that take these pools from holding `{name(held)}` or `{name(needed)}` while calling the other",
            )
            break


def pool_cycle(start: str, goal: str, waits: Mapping[str, Sequence[str]]) -> list[str] | None:
    """Pools from `start` to `goal` along `waits` (held -> waited for), if `goal` is reached."""
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        pool = queue.pop(0)
        if pool == goal:
            return paths[pool]
        for nxt in waits.get(pool, ()):
            if nxt not in paths:
                paths[nxt] = [*paths[pool], nxt]
                queue.append(nxt)
    return None
