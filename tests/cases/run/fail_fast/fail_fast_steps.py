"""Steps of the fail_fast case: `nap` sleeps long and records whether it was cancelled;
`explode` and `boom_at` fail."""

import asyncio

cancelled: list[str] = []
finished: list[str] = []


def reset() -> None:
    cancelled.clear()
    finished.clear()


async def nap(name: str, x: int) -> int:
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        cancelled.append(name)
        raise
    finished.append(name)
    return x


async def explode(x: int) -> int:
    await asyncio.sleep(0.01)
    raise ValueError(f"bad input {x}")


async def add(a: int, b: int) -> int:
    return a + b


async def boom_at(x: int, bad: int) -> int:
    """Element `bad` fails soon; the others sleep long."""
    if x == bad:
        await asyncio.sleep(0.01)
        raise KeyError(x)
    await nap(f"element {x}", x)
    return x


def refuse(x: int) -> int:
    """A plain function (called `sync` or in a `thread`) that fails when `x` is negative."""
    if x < 0:
        raise RuntimeError(f"refused {x}")
    return x
