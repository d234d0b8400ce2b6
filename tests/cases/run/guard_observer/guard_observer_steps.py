"""Steps of the guard_observer case."""

import asyncio

# key -> the outcome of each attempt in turn: a value or an error to raise
scripts: dict[str, list[int | Exception]] = {}


async def step(x: int) -> int:
    await asyncio.sleep(0.01)
    return x * 2


def add_one(x: int) -> int:
    return x + 1


async def flaky(key: str) -> int:
    await asyncio.sleep(0)
    outcome = scripts[key].pop(0)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


async def slow(delay: float) -> float:
    await asyncio.sleep(delay)
    return delay
