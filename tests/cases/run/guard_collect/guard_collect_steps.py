"""Steps of the guard_collect case: each item's attempts follow its plan."""

import asyncio

# item -> what each attempt does in turn: sleep that long then return item * 2, or raise
plans: dict[int, list[float | Exception]] = {}
# (item, "start" | "done" | "raised" | "cancelled") in order
events: list[tuple[int, str]] = []
running = 0
peak = 0


async def check(v: int) -> int:
    global running, peak
    events.append((v, "start"))
    plan = plans.get(v)
    step = plan.pop(0) if plan else 0.0
    running += 1
    peak = max(peak, running)
    try:
        if isinstance(step, Exception):
            events.append((v, "raised"))
            raise step
        await asyncio.sleep(step)
    except asyncio.CancelledError:
        events.append((v, "cancelled"))
        raise
    finally:
        running -= 1
    events.append((v, "done"))
    return v * 2


def tally(results: list[int | Exception]) -> int:
    return sum(1 for result in results if not isinstance(result, Exception))
