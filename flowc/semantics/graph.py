"""Graph algorithms over a flow's nodes, all iterative and linear in nodes plus edges."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence


def find_cycle(order: Sequence[str], succs: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One cycle as a list of names (first repeated at the end), or None if the graph is a DAG."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in order:
        if root in state:
            continue
        path: list[str] = [root]
        iterators = [iter(succs.get(root, ()))]
        state[root] = 1
        while iterators:
            child = next(iterators[-1], None)
            if child is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(child) == 1:
                return path[path.index(child) :] + [child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                iterators.append(iter(succs.get(child, ())))
    return None


def reachable(starts: Iterable[str], succs: Mapping[str, Sequence[str]]) -> set[str]:
    """Every name reachable from `starts` (included) along `succs`."""
    seen = set(starts)
    stack = list(seen)
    while stack:
        for child in succs.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def topological(order: Sequence[str], preds: Mapping[str, Sequence[str]]) -> list[str]:
    """The names of a DAG, each after all of its predecessors; ties keep `order`.

    Predecessors that are not in `order` (START) are ignored."""
    rank = {name: i for i, name in enumerate(order)}
    waiting = dict.fromkeys(order, 0)
    succs: dict[str, list[str]] = {name: [] for name in order}
    for name in order:
        for pred in preds.get(name, ()):
            if pred in rank:
                succs[pred].append(name)
                waiting[name] += 1
    ready = [rank[name] for name in order if waiting[name] == 0]
    heapq.heapify(ready)
    result: list[str] = []
    while ready:
        name = order[heapq.heappop(ready)]
        result.append(name)
        for child in succs[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, rank[child])
    return result


def ancestors(topo: Sequence[str], preds: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """For each name, a bit set (an int, bit i for `topo[i]`) of every name upstream of it."""
    bit = {name: 1 << i for i, name in enumerate(topo)}
    upstream: dict[str, int] = {}
    for name in topo:
        mask = 0
        for pred in preds.get(name, ()):
            mask |= upstream[pred] | bit[pred]
        upstream[name] = mask
    return upstream
