"""Steps of the guard_when_first case; `calls` says which ran."""

from dataclasses import dataclass

calls: list[str] = []


async def small(x: int) -> int:
    calls.append("small")
    return x * 10


async def large(x: int) -> int:
    calls.append("large")
    return x * 1000


def show(v: int | None) -> str:
    calls.append("show")
    return repr(v)


@dataclass
class Order:
    kind: str
    size: int


async def classify(x: int) -> Order:
    kinds = {0: "rush", 1: "bulk", 2: "pallet"}
    return Order(kind=kinds.get(x % 4, "other"), size=x)


async def fetch(size: int) -> int:
    calls.append("fetch")
    if size > 100:
        raise ValueError(f"too large: {size}")
    return size + 1


async def backup(size: int) -> int:
    calls.append("backup")
    return -size


def total(v: int) -> int:
    return v


def count(v: list[int] | None) -> int:
    return -1 if v is None else len(v)
