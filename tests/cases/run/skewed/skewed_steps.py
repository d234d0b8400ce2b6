"""Steps of the skewed case: one step that records when each named node started and ended."""

import asyncio
import time

started: dict[str, float] = {}
ended: dict[str, float] = {}


async def step(name: str, delay: float, inputs: list[int]) -> int:
    started[name] = time.perf_counter()
    await asyncio.sleep(delay)
    ended[name] = time.perf_counter()
    return sum(inputs) + 1
