"""Steps of the guard_rate case: `stamp` records when each call started."""

import asyncio

starts: list[float] = []  # event-loop times
running = 0
peak = 0


async def stamp(v: int, hold: float) -> int:
    global running, peak
    starts.append(asyncio.get_running_loop().time())
    running += 1
    peak = max(peak, running)
    try:
        await asyncio.sleep(hold)
    finally:
        running -= 1
    return v
