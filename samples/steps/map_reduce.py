"""Steps of `map_reduce.flow`: a word count split over four mappers and two reducers."""

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: int


@dataclass(frozen=True)
class MapperResult:
    mapped_data: list[KeyValue]
    partition_id: int
    records_processed: int


@dataclass(frozen=True)
class KeyValues:
    key: str
    values: list[int]


@dataclass(frozen=True)
class KeyCount:
    key: str
    count: int


@dataclass(frozen=True)
class ReducerResult:
    reduced_data: list[KeyCount]
    reducer_id: int


def split_input(records: Sequence[Mapping[str, str]], partitions: int) -> list[list[dict[str, str]]]:
    """Deal the records round-robin into `partitions` partitions (some may be empty)."""
    parts: list[list[dict[str, str]]] = [[] for _ in range(partitions)]
    for index, record in enumerate(records):
        parts[index % partitions].append(dict(record))
    return parts


async def map_words(data_partition: Sequence[Mapping[str, str]], partition_id: int) -> MapperResult:
    """A mapper: one `(word, 1)` pair per word of each record's text."""
    await asyncio.sleep(0.005 + 0.002 * len(data_partition))
    mapped = [KeyValue(key=word, value=1) for r in data_partition for word in r.get("text", "").lower().split()]
    return MapperResult(mapped_data=mapped, partition_id=partition_id, records_processed=len(data_partition))


async def shuffle(mapper_results: Sequence[MapperResult], reducers: int) -> dict[str, list[KeyValues]]:
    """The shuffler: group the pairs by key, deal the sorted keys out to the reducers."""
    await asyncio.sleep(0.002)
    grouped: defaultdict[str, list[int]] = defaultdict(list)
    for result in mapper_results:
        for item in result.mapped_data:
            grouped[item.key].append(item.value)
    assigned: dict[str, list[KeyValues]] = {f"partition_{i}": [] for i in range(reducers)}
    for index, key in enumerate(sorted(grouped)):
        assigned[f"partition_{index % reducers}"].append(KeyValues(key=key, values=grouped[key]))
    return assigned


async def reduce_counts(assigned_keys: Sequence[KeyValues], reducer_id: int) -> ReducerResult:
    """A reducer: the sum of each assigned key's values."""
    await asyncio.sleep(0.005)
    reduced = [KeyCount(key=item.key, count=sum(item.values)) for item in assigned_keys]
    return ReducerResult(reduced_data=reduced, reducer_id=reducer_id)


def combine_output(reducer_results: Sequence[ReducerResult]) -> dict[str, int]:
    """The output combiner: every word's count, most frequent first, then alphabetically."""
    counts = [item for result in reducer_results for item in result.reduced_data]
    return {item.key: item.count for item in sorted(counts, key=lambda c: (-c.count, c.key))}
