"""The steps the benchmark flows call, and their synchronous twins for the floor.

The bench `.flow` files import from this module as `steps` (the harness puts `bench/` on
`sys.path`). Bodies are trivial on purpose so that the figures measure scheduling, not work;
the sleeping steps give the DAG and map makespan figures a known critical path.
"""

from __future__ import annotations

import asyncio

__all__ = [
    "IN_FLIGHT",
    "InFlight",
    "delay",
    "delay2",
    "ident",
    "inc",
    "inc_sync",
    "item_5ms",
    "merge",
    "merge_sync",
    "prepare",
    "prepare_sync",
    "spread",
    "src",
    "src_sync",
    "step_a",
    "step_a_sync",
    "step_b",
    "step_b_sync",
    "sum4",
    "total",
    "total_sync",
]

# ---------------------------------------------------------------- trivial async steps


async def prepare(x: int) -> int:
    return x + 1


async def step_a(x: int) -> int:
    return x + 1


async def step_b(x: int) -> int:
    return x + 1


async def merge(a: int, b: int) -> int:
    return a + b


async def inc(x: int) -> int:
    return x + 1


async def src(x: int) -> int:
    return x + 1


async def total(xs: list[int]) -> int:
    return sum(xs)


async def spread(x: int, n: int, tag: str) -> list[int]:
    """A list for the compiler-scale flows' maps to iterate."""
    return [x + i for i in range(n)]


async def ident(x: int) -> int:
    """The 1M-item map's step: returns its input object, so results allocate nothing new."""
    return x


# ---------------------------------------------------------------- synchronous twins (the floor)


def prepare_sync(x: int) -> int:
    return x + 1


def step_a_sync(x: int) -> int:
    return x + 1


def step_b_sync(x: int) -> int:
    return x + 1


def merge_sync(a: int, b: int) -> int:
    return a + b


def inc_sync(x: int) -> int:
    return x + 1


def src_sync(x: int) -> int:
    return x + 1


def total_sync(xs: list[int]) -> int:
    return sum(xs)


# ---------------------------------------------------------------- sleeping steps (skewed DAGs)


async def delay(x: int, ms: int) -> int:
    """Sleep `ms` milliseconds, then return `x + 1`."""
    await asyncio.sleep(ms / 1000)
    return x + 1


async def delay2(x: int, y: int, ms: int) -> int:
    """A node with two inputs: sleep `ms` milliseconds, then return `x + y`."""
    await asyncio.sleep(ms / 1000)
    return x + y


async def sum4(a: int, b: int, c: int, d: int) -> int:
    return a + b + c + d


# ---------------------------------------------------------------- the map step that counts


class InFlight:
    """How many calls are running now, and the most that ever ran at once."""

    __slots__ = ("current", "peak", "calls")

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self.calls = 0

    def reset(self) -> None:
        self.current = 0
        self.peak = 0
        self.calls = 0

    def enter(self) -> None:
        self.current += 1
        self.calls += 1
        if self.current > self.peak:
            self.peak = self.current

    def leave(self) -> None:
        self.current -= 1


IN_FLIGHT = InFlight()


async def item_5ms(x: int) -> int:
    """One map element: 5 ms of waiting, counted by `IN_FLIGHT`."""
    IN_FLIGHT.enter()
    try:
        await asyncio.sleep(0.005)
    finally:
        IN_FLIGHT.leave()
    return x + 1
