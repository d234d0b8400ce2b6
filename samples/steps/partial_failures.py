"""Steps of `partial_failures.flow`: parse `name:quantity` records, some of them malformed."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass


class ProcessingError(Exception):
    """A record that cannot be processed."""


@dataclass(frozen=True)
class Record:
    name: str
    quantity: int


@dataclass(frozen=True)
class Partition:
    successful: list[Record]
    failed: list[str]


async def process(item: str) -> Record:
    """Process one record; raises `ProcessingError` or `ValueError` for a bad one."""
    await asyncio.sleep(0.001 * len(item))
    name, sep, quantity = item.partition(":")
    if not sep:
        raise ProcessingError("malformed record (expected name:quantity)")
    count = int(quantity)
    if count < 0:
        raise ProcessingError(f"negative quantity {count}")
    return Record(name=name, quantity=count)


def split_results(items: Sequence[str], results: Sequence[Record | Exception]) -> Partition:
    """The filter node: successful records, and one line per failed item."""
    successful = [r for r in results if isinstance(r, Record)]
    failed = [f"{item}: {type(r).__name__}: {r}" for item, r in zip(items, results) if isinstance(r, Exception)]
    return Partition(successful=successful, failed=failed)
