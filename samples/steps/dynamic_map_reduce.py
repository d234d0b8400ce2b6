"""Steps of `dynamic_map_reduce.flow`: a planner choosing sequential or chunked parallel mapping."""

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    mapper_id: int
    items: list[str]


@dataclass(frozen=True)
class MapPlan:
    strategy: str
    chunks: list[Chunk]
    total_items: int


@dataclass(frozen=True)
class Mapped:
    results: list[str]
    stats: dict[str, int]


@dataclass(frozen=True)
class FinalResult:
    strategy: str
    total_processed: int
    results: list[str]
    stats: dict[str, int]


def plan_map(items: Sequence[str], sequential_max: int, mappers: int) -> MapPlan:
    """Up to `sequential_max` items: sequential; more: `mappers` chunks of near-equal size."""
    if len(items) <= sequential_max:
        return MapPlan(strategy="sequential", chunks=[], total_items=len(items))
    size = math.ceil(len(items) / mappers)
    chunks = [Chunk(mapper_id=i + 1, items=list(items[i * size : (i + 1) * size])) for i in range(mappers)]
    return MapPlan(strategy="parallel", chunks=chunks, total_items=len(items))


async def single_mapper(items: Sequence[str]) -> Mapped:
    """Process every item in one go."""
    await asyncio.sleep(0.002 * len(items))
    return Mapped(results=[f"Processed: {item}" for item in items], stats={"mode_sequential_items": len(items)})


async def chunk_mapper(chunk: Chunk) -> Mapped:
    """Process one mapper's chunk."""
    await asyncio.sleep(0.002 * len(chunk.items) + 0.001)
    return Mapped(
        results=[f"Mapper{chunk.mapper_id} processed: {item}" for item in chunk.items],
        stats={f"mapper_{chunk.mapper_id}_items": len(chunk.items)},
    )


async def reduce_phase(strategy: str, single: Mapped | None, chunked: Sequence[Mapped] | None) -> FinalResult:
    """Combine whichever mapping ran."""
    await asyncio.sleep(0.001)
    parts = ([single] if single is not None else []) + list(chunked or [])
    results = [r for part in parts for r in part.results]
    stats = {key: value for part in parts for key, value in part.stats.items()}
    return FinalResult(strategy=strategy, total_processed=len(results), results=results[:5], stats=stats)
