"""Hand-written equivalents of the bench flows, the yardsticks for the generated code.

For each DAG, three ways a person would write it:

* ``*_tasks``: one task per node, each awaiting the tasks of its predecessors, under an
  `asyncio.TaskGroup` (fail fast, nothing outlives the run). Starts every node as soon as
  its own inputs are ready, so it reaches the critical path on any DAG.
* ``*_gather``: direct awaits plus `asyncio.gather` where branches are independent, level by
  level: what a careful person writes by hand. Fastest on series-parallel DAGs, but waits for
  a whole level on DAGs that are not series-parallel.
* ``*_sync``: plain synchronous calls of the same bodies, the floor.

For maps: an `asyncio.Semaphore` bounding `asyncio.gather` over every item (the common
idiom, one task per item), and a fixed pool of worker tasks pulling from a shared iterator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from steps import (
    delay,
    delay2,
    inc,
    inc_sync,
    merge,
    merge_sync,
    prepare,
    prepare_sync,
    src,
    src_sync,
    step_a,
    step_a_sync,
    step_b,
    step_b_sync,
    sum4,
    total,
    total_sync,
)

__all__ = [
    "chain_gather",
    "chain_sync",
    "chain_tasks",
    "diamond_gather",
    "diamond_sync",
    "diamond_tasks",
    "fanout_gather",
    "fanout_sync",
    "fanout_tasks",
    "map_semaphore",
    "map_workers",
    "skew_n_gather",
    "skew_n_tasks",
    "skew_w_gather",
    "skew_w_tasks",
]

# ---------------------------------------------------------------- diamond


async def diamond_tasks(x: int) -> int:
    async with asyncio.TaskGroup() as tg:
        t_prepare = tg.create_task(prepare(x))

        async def node_a() -> int:
            return await step_a(await t_prepare)

        async def node_b() -> int:
            return await step_b(await t_prepare)

        t_a = tg.create_task(node_a())
        t_b = tg.create_task(node_b())

        async def node_merge() -> int:
            return await merge(await t_a, await t_b)

        t_merge = tg.create_task(node_merge())
    return t_merge.result()


async def diamond_gather(x: int) -> int:
    p = await prepare(x)
    a, b = await asyncio.gather(step_a(p), step_b(p))
    return await merge(a, b)


def diamond_sync(x: int) -> int:
    p = prepare_sync(x)
    return merge_sync(step_a_sync(p), step_b_sync(p))


# ---------------------------------------------------------------- fan-out / fan-in


async def fanout_tasks(x: int, width: int = 200) -> int:
    async with asyncio.TaskGroup() as tg:
        t_src = tg.create_task(src(x))

        async def branch() -> int:
            return await inc(await t_src)

        t_branches = [tg.create_task(branch()) for _ in range(width)]

        async def join() -> int:
            return await total([await t for t in t_branches])

        t_join = tg.create_task(join())
    return t_join.result()


async def fanout_gather(x: int, width: int = 200) -> int:
    s = await src(x)
    values = await asyncio.gather(*(inc(s) for _ in range(width)))
    return await total(list(values))


def fanout_sync(x: int, width: int = 200) -> int:
    s = src_sync(x)
    return total_sync([inc_sync(s) for _ in range(width)])


# ---------------------------------------------------------------- chain


async def chain_tasks(x: int, length: int = 200) -> int:
    async def link(before: Awaitable[int]) -> int:
        return await inc(await before)

    async with asyncio.TaskGroup() as tg:
        last = tg.create_task(inc(x))
        for _ in range(length - 1):
            last = tg.create_task(link(last))
    return last.result()


async def chain_gather(x: int, length: int = 200) -> int:
    """Direct awaits (a chain has nothing to gather)."""
    value = x
    for _ in range(length):
        value = await inc(value)
    return value


def chain_sync(x: int, length: int = 200) -> int:
    value = x
    for _ in range(length):
        value = inc_sync(value)
    return value


# ---------------------------------------------------------------- skewed DAGs (see flows/skewed.flow)


async def skew_n_tasks(x: int) -> int:
    async with asyncio.TaskGroup() as tg:
        t_a = tg.create_task(delay(x, 50))
        t_b = tg.create_task(delay(x, 10))

        async def node_c() -> int:
            return await delay2(await t_a, await t_b, 10)

        async def node_d() -> int:
            return await delay(await t_b, 60)

        t_c = tg.create_task(node_c())
        t_d = tg.create_task(node_d())
    return await merge(t_c.result(), t_d.result())


async def skew_n_gather(x: int) -> int:
    a, b = await asyncio.gather(delay(x, 50), delay(x, 10))
    c, d = await asyncio.gather(delay2(a, b, 10), delay(b, 60))
    return await merge(c, d)


async def skew_w_tasks(x: int) -> int:
    async with asyncio.TaskGroup() as tg:
        t_p = tg.create_task(delay(x, 10))
        t_q = tg.create_task(delay(x, 40))
        t_r = tg.create_task(delay(x, 10))

        async def node_u() -> int:
            return await delay(await t_p, 60)

        async def node_v() -> int:
            return await delay2(await t_p, await t_q, 10)

        async def node_w() -> int:
            return await delay2(await t_q, await t_r, 10)

        async def node_z() -> int:
            return await delay(await t_r, 60)

        t_u = tg.create_task(node_u())
        t_v = tg.create_task(node_v())
        t_w = tg.create_task(node_w())
        t_z = tg.create_task(node_z())
    return await sum4(t_u.result(), t_v.result(), t_w.result(), t_z.result())


async def skew_w_gather(x: int) -> int:
    p, q, r = await asyncio.gather(delay(x, 10), delay(x, 40), delay(x, 10))
    u, v, w, z = await asyncio.gather(delay(p, 60), delay2(p, q, 10), delay2(q, r, 10), delay(r, 60))
    return await sum4(u, v, w, z)


# ---------------------------------------------------------------- maps


async def map_semaphore(fn: Callable[[int], Awaitable[int]], items: Iterable[int], limit: int) -> list[int]:
    """`asyncio.Semaphore` + `asyncio.gather`: one task per item, at most `limit` inside."""
    semaphore = asyncio.Semaphore(limit)

    async def one(item: int) -> int:
        async with semaphore:
            return await fn(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


async def map_workers(fn: Callable[[int], Awaitable[int]], items: list[int], limit: int) -> list[int]:
    """`limit` worker tasks pulling (index, item) pairs from one shared iterator."""
    results: list[int] = [0] * len(items)
    pending = enumerate(items)

    async def worker() -> None:
        for index, item in pending:
            results[index] = await fn(item)

    async with asyncio.TaskGroup() as tg:
        for _ in range(min(limit, len(items))):
            tg.create_task(worker())
    return results
