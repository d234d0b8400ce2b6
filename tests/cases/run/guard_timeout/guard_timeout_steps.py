"""Steps of the guard_timeout case: each attempt records its start and how it ended."""

import asyncio
import time
from dataclasses import dataclass

# (what, time): "start", "done" or "cancelled"
events: list[tuple[str, float]] = []
# key -> what each attempt does in turn: sleep that long, or raise that error
scripts: dict[str, list[float | Exception]] = {}


@dataclass
class Hold:
    a: float
    b: float


async def pause(delay: float) -> float:
    events.append(("start", time.perf_counter()))
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        events.append(("cancelled", time.perf_counter()))
        raise
    events.append(("done", time.perf_counter()))
    return delay


async def scripted(key: str) -> float:
    step = scripts[key].pop(0)
    if isinstance(step, Exception):
        events.append(("raise", time.perf_counter()))
        raise step
    return await pause(step)
