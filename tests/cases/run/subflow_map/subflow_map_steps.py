"""Steps of the subflow_map case: they count the runs of the sub-flow and the `work` calls in
flight."""

import asyncio

runs = 0
runs_peak = 0
working = 0
working_peak = 0


def reset() -> None:
    global runs, runs_peak, working, working_peak
    runs = runs_peak = working = working_peak = 0


async def enter(x: int) -> int:
    global runs, runs_peak
    runs += 1
    runs_peak = max(runs_peak, runs)
    return x


async def work(x: int, factor: int) -> int:
    global working, working_peak
    working += 1
    working_peak = max(working_peak, working)
    try:
        await asyncio.sleep(0.02 + (x % 3) * 0.01)
    finally:
        working -= 1
    return x * factor


async def leave(x: int, left: int, right: int) -> int:
    global runs
    runs -= 1
    return left + right + x
