"""Steps of the param_limits case: `busy` counts the calls in flight per tag, `flaky` fails
its first calls per key, `nap` sleeps as long as it is told."""

import asyncio
from collections import Counter

in_flight: Counter[str] = Counter()
peaks: Counter[str] = Counter()
calls: Counter[str] = Counter()
tries: Counter[str] = Counter()


def reset() -> None:
    in_flight.clear()
    peaks.clear()
    calls.clear()
    tries.clear()


async def busy(tag: str, x: int) -> int:
    calls[tag] += 1
    in_flight[tag] += 1
    peaks[tag] = max(peaks[tag], in_flight[tag])
    try:
        await asyncio.sleep(0.005)
    finally:
        in_flight[tag] -= 1
    return x


async def flaky(key: str, fails: int) -> int:
    """Fail the first `fails` calls for `key`, then return how many calls it took."""
    tries[key] += 1
    if tries[key] <= fails:
        raise ConnectionError(f"call {tries[key]} of {key}")
    return tries[key]


async def nap(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


async def total(values: list[int], more: int) -> int:
    return sum(values) + more
