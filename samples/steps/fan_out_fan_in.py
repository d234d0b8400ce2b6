"""Steps of `fan_out_fan_in.flow`: a batch of readings, three independent transforms, one summary."""

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Batch:
    items: list[int]
    size: int


@dataclass(frozen=True)
class Extremes:
    lowest: int
    highest: int


@dataclass(frozen=True)
class Summary:
    count: int
    total: int
    lowest: int
    highest: int
    buckets: dict[str, int]


async def load_source(data: list[int]) -> Batch:
    """The source node: the readings to process, as one batch."""
    await asyncio.sleep(0.005)
    return Batch(items=list(data), size=len(data))


def total(items: list[int]) -> int:
    """Processor 1 (plain function, called inline): the sum of the readings."""
    return sum(items)


async def extremes(items: list[int]) -> Extremes:
    """Processor 2: the lowest and highest reading."""
    await asyncio.sleep(0.02)
    return Extremes(lowest=min(items), highest=max(items))


async def bucket_counts(items: list[int], bounds: list[int]) -> dict[str, int]:
    """Processor 3: how many readings fall below each bound (and not below the previous one)."""
    await asyncio.sleep(0.015)
    counts = {f"<{bound}": 0 for bound in bounds}
    counts[f">={bounds[-1]}"] = 0
    for item in items:
        key = next((f"<{bound}" for bound in bounds if item < bound), f">={bounds[-1]}")
        counts[key] += 1
    return counts


async def combine_results(r1: int, r2: Extremes, r3: dict[str, int], count: int) -> Summary:
    """The fan-in: one summary of the three results."""
    await asyncio.sleep(0.001)
    return Summary(count=count, total=r1, lowest=r2.lowest, highest=r2.highest, buckets=r3)
