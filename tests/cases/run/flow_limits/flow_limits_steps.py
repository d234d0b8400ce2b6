"""Steps of the flow_limits case: `busy` counts the calls in flight per run and overall and
records when each call ran; `hold` sleeps long and records its cancellation."""

import asyncio
import time
from collections import Counter

in_flight: Counter[str] = Counter()
peaks: Counter[str] = Counter()
overall_peak = 0
spans: dict[tuple[str, str], tuple[float, float]] = {}
cancelled: list[str] = []


def reset() -> None:
    global overall_peak
    in_flight.clear()
    peaks.clear()
    overall_peak = 0
    spans.clear()
    cancelled.clear()


async def busy(run_id: str, name: str, x: int) -> int:
    global overall_peak
    in_flight[run_id] += 1
    peaks[run_id] = max(peaks[run_id], in_flight[run_id])
    overall_peak = max(overall_peak, in_flight.total())
    start = time.perf_counter()
    try:
        await asyncio.sleep(0.02)
    finally:
        in_flight[run_id] -= 1
    spans[run_id, f"{name}{x}"] = (start, time.perf_counter())
    return x


async def hold(name: str, x: int) -> int:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        cancelled.append(name)
        raise
    return x


async def total(values: list[int]) -> int:
    return sum(values)


async def add_all(values: list[int], more: list[int]) -> int:
    return sum(values) + sum(more)
