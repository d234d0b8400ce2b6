"""Steps of the diamond case; each records when it started and finished."""

import asyncio
import time

events: list[tuple[str, str, float]] = []


def log(name: str, what: str) -> None:
    events.append((name, what, time.perf_counter()))


async def prepare(x: int) -> int:
    log("prepare", "start")
    await asyncio.sleep(0.01)
    log("prepare", "end")
    return x + 1


async def double(x: int) -> int:
    log("double", "start")
    await asyncio.sleep(0.05)
    log("double", "end")
    return x * 2


async def triple(x: int) -> int:
    log("triple", "start")
    await asyncio.sleep(0.05)
    log("triple", "end")
    return x * 3


async def add(a: int, b: int) -> int:
    log("add", "start")
    return a + b
