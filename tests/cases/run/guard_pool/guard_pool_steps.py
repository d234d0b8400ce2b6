"""Steps of the guard_pool case: `hold` counts how many calls run at once."""

import asyncio

running = 0
peak = 0
# (what, event-loop time)
stamps: list[tuple[str, float]] = []


async def hold(v: int) -> int:
    """Hold the pool 20 ms (5 s for v >= 1000); fail at the end for v < 0."""
    global running, peak
    running += 1
    peak = max(peak, running)
    try:
        await asyncio.sleep(5.0 if v >= 1000 else 0.02)
        if v < 0:
            raise ValueError(v)
    finally:
        running -= 1
    return v


def add(a: int, b: int) -> int:
    return a + b


def now() -> float:
    return asyncio.get_running_loop().time()


async def flaky(x: int) -> int:
    """Fail the first attempt (in the 1st, 3rd, ... call) at once."""
    stamps.append(("early start", now()))
    if sum(1 for what, _ in stamps if what == "early start") % 2:
        raise ConnectionError("first attempt")
    return x


async def pause(delay: float) -> None:
    await asyncio.sleep(delay)


async def stamp(name: str) -> None:
    stamps.append((f"{name} start", now()))
    await asyncio.sleep(0.02)
    stamps.append((f"{name} end", now()))
