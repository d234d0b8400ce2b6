"""Steps of the wide_joins case: numbers to join, and values that are `None` but one."""

import asyncio


async def num(i: int, x: int) -> int:
    await asyncio.sleep(0.001 * (5 - i))
    return x + i


async def total(values: list[int], i: int) -> int:
    return sum(values) * 10 + i


async def maybe(i: int, hit: int) -> int | None:
    await asyncio.sleep(0)
    return i * 100 if i == hit else None


async def label(i: int, hit: int) -> str | None:
    return "label" if i == hit else None
