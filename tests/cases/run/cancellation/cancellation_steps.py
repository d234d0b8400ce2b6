"""Steps of the cancellation case: they record which calls started, which saw a cancellation
and which finished cleaning up after it."""

import asyncio

started: list[str] = []
cancelled: list[str] = []
cleaned: list[str] = []


def reset() -> None:
    started.clear()
    cancelled.clear()
    cleaned.clear()


async def hold(name: str, x: int) -> int:
    started.append(name)
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        cancelled.append(name)
        raise
    return x


async def slow_cleanup(name: str, x: int) -> int:
    """Takes a while to clean up once cancelled: the run must wait for it."""
    started.append(name)
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        cancelled.append(name)
        await asyncio.sleep(0.05)
        cleaned.append(name)
        raise
    return x


async def total(values: list[int]) -> int:
    return sum(values)
