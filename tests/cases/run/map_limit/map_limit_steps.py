"""Steps of the map_limit case: they count the elements in flight and record the order in
which elements start and end."""

import asyncio

in_flight = 0
peak = 0
started: list[int] = []
ended: list[int] = []
all_in: asyncio.Event | None = None


def reset() -> None:
    global in_flight, peak, all_in
    in_flight = peak = 0
    started.clear()
    ended.clear()
    all_in = asyncio.Event()


def enter(x: int) -> None:
    global in_flight, peak
    started.append(x)
    in_flight += 1
    peak = max(peak, in_flight)


def leave(x: int) -> None:
    global in_flight
    in_flight -= 1
    ended.append(x)


async def slow_square(x: int) -> int:
    enter(x)
    try:
        # Uneven delays: elements end in another order than they start.
        await asyncio.sleep(0.002 + (9 - x % 10) * 0.002)
    finally:
        leave(x)
    return x * x


async def gate(x: int, total: int) -> str:
    """Ends only once `total` elements are in flight together (or fails after a deadline)."""
    assert all_in is not None, "call reset() first"
    enter(x)
    if in_flight == total:
        all_in.set()
    try:
        await asyncio.wait_for(all_in.wait(), timeout=5)
        await asyncio.sleep((total - x) * 0.0005)
    finally:
        leave(x)
    return f"#{x}"
