"""How a flow runs: which nodes run inline in the flow's own coroutine and which get a task,
and where in the inline sequence each task is created.

The inline nodes form one path of the DAG (the longest, so chains need no task at all). Every
other node becomes a task, created right after the last inline node upstream of it: at that
moment, at the latest, one of its predecessors has just finished, so the task can start the
moment its last predecessor finishes. This is critical-path scheduling for any DAG, with one
task fewer per inline node than a task per node.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..semantics import ir
from ..semantics.graph import ancestors, topological


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One inline node, with what the flow's coroutine does around it."""

    node: ir.Node
    awaits: tuple[str, ...]
    """Tasks to await (in order) before the node can run: its unfinished task predecessors."""
    spawns: tuple[Spawn, ...]
    """Tasks to create right after the node finishes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Spawn:
    """A node that runs in a task of its own."""

    node: ir.Node
    waits: tuple[str, ...]
    """Task predecessors that may still be running when the task is created."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    first: tuple[Spawn, ...]
    """Tasks created before the first inline node (nodes with no inline node upstream)."""
    steps: tuple[Step, ...]
    final_awaits: tuple[str, ...]
    """Tasks to await before returning: every task END waits for that is not awaited yet."""
    tasks: frozenset[str]


def longest_path(topo: list[str], preds: dict[str, tuple[str, ...]]) -> list[str]:
    """The path with the most nodes (ties: earliest in `topo`), as the inline sequence."""
    length: dict[str, int] = {}
    back: dict[str, str | None] = {}
    for name in topo:
        best: str | None = None
        for pred in preds[name]:
            if best is None or length[pred] > length[best]:
                best = pred
        length[name] = 1 + (length[best] if best else 0)
        back[name] = best
    if not topo:
        return []
    end = topo[max(range(len(topo)), key=lambda i: (length[topo[i]], -i))]
    path = [end]
    while (previous := back[path[-1]]) is not None:
        path.append(previous)
    return path[::-1]


def schedule(flow: ir.Flow) -> Schedule:
    nodes = {node.name: node for node in flow.nodes}
    preds = {node.name: node.preds for node in flow.nodes}
    topo = topological([n.name for n in flow.nodes], preds)
    rank = {name: i for i, name in enumerate(topo)}
    inline = longest_path(topo, preds)
    position = {name: i for i, name in enumerate(inline)}
    upstream = ancestors(topo, preds)
    bit = {name: 1 << rank[name] for name in topo}

    # The position of the last inline node upstream of each node (-1: none).
    latest: dict[str, int] = {}
    spawn_at: dict[int, list[str]] = {}
    for name in topo:
        latest[name] = max((position.get(p, latest[p]) for p in preds[name]), default=-1)
        if name not in position:
            spawn_at.setdefault(latest[name], []).append(name)

    done = 0  # bit set of nodes known finished at the current point of the inline sequence
    awaited: set[str] = set()
    tasks = frozenset(name for name in topo if name not in position)

    def spawns(after: int) -> tuple[Spawn, ...]:
        names = sorted(spawn_at.get(after, ()), key=rank.__getitem__)
        return tuple(
            Spawn(node=nodes[n], waits=tuple(p for p in preds[n] if p in tasks and not done & bit[p])) for n in names
        )

    first = spawns(-1)
    steps: list[Step] = []
    for i, name in enumerate(inline):
        pending = tuple(p for p in preds[name] if p in tasks and p not in awaited and not done & bit[p])
        awaited.update(pending)
        done |= upstream[name] | bit[name]
        steps.append(Step(node=nodes[name], awaits=pending, spawns=spawns(i)))
    final = tuple(p for p in flow.end_preds if p in tasks and p not in awaited and not done & bit[p])
    return Schedule(first=first, steps=tuple(steps), final_awaits=final, tasks=tasks)
