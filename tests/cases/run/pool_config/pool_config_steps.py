"""Steps of the pool_config case: `hold` counts the calls in flight and, while `gated`, holds
its slot until the test opens its gate."""

import asyncio

running = 0
peak = 0
started: list[int] = []
gated = False
gates: dict[int, asyncio.Event] = {}


def reset(gate: bool = False) -> None:
    global running, peak, gated
    running = peak = 0
    started.clear()
    gates.clear()
    gated = gate


def gate(x: int) -> asyncio.Event:
    return gates.setdefault(x, asyncio.Event())


async def hold(x: int) -> int:
    global running, peak
    running += 1
    peak = max(peak, running)
    started.append(x)
    try:
        if gated:
            await gate(x).wait()
        else:
            await asyncio.sleep(0.005)
    finally:
        running -= 1
    return x


async def count(values: list[int]) -> int:
    return len(values)
