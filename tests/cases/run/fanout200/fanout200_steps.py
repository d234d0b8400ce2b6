"""Steps of the fanout200 case: each `work` call waits, with a deadline, until all 200 are in
flight at once, so the run fails unless the fan-out is truly concurrent."""

import asyncio

WIDTH = 200
in_flight = 0
peak = 0
all_in: asyncio.Event | None = None


def reset() -> None:
    global in_flight, peak, all_in
    in_flight = peak = 0
    all_in = asyncio.Event()


async def source(x: int) -> int:
    return x * 1000


async def work(i: int, base: int) -> int:
    global in_flight, peak
    assert all_in is not None, "call reset() first"
    in_flight += 1
    peak = max(peak, in_flight)
    if in_flight == WIDTH:
        all_in.set()
    try:
        await asyncio.wait_for(all_in.wait(), timeout=5)
    finally:
        in_flight -= 1
    # Finish in the reverse order of the start, so that the join's order cannot come from it.
    await asyncio.sleep((WIDTH - i) * 0.00005)
    return base + i


async def join(values: list[int]) -> list[int]:
    return values
