"""Steps of the executor case: plain functions that say where they ran and count calls."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Coroutine
from typing import Any, cast

lock = threading.Lock()
calls: dict[str, int] = {}
threads: list[str] = []
pids: list[int] = []
running = 0
peak = 0
ended = 0
events: dict[str, threading.Event] = {}


def reset() -> None:
    global running, peak, ended
    with lock:
        calls.clear()
        threads.clear()
        pids.clear()
        events.clear()
        running = peak = ended = 0


def event(key: str) -> threading.Event:
    with lock:
        return events.setdefault(key, threading.Event())


def _enter(key: str) -> None:
    global running, peak
    with lock:
        calls[key] = calls.get(key, 0) + 1
        threads.append(threading.current_thread().name)
        pids.append(os.getpid())
        running += 1
        peak = max(peak, running)


def _leave() -> None:
    global running, ended
    with lock:
        running -= 1
        ended += 1


def work(x: int) -> int:
    _enter(f"work {x}")
    time.sleep(0.01)
    _leave()
    return x * 2


def wait_for(key: str) -> int:
    """Waits until `event(key)` is set (at most 10 s); `fail` fails at once."""
    _enter(key)
    try:
        if key.startswith("fail"):
            raise LookupError(key)
        event(key).wait(10)
        return len(key)
    finally:
        _leave()


def local_value(key: str) -> int:
    _enter(f"fallback {key}")
    _leave()
    return -1


def flaky(key: str) -> int:
    """Fails its first call for a key."""
    _enter(key)
    _leave()
    if calls[key] == 1:
        raise ValueError(key)
    return calls[key]


def block(seconds: float) -> int:
    _enter("block")
    time.sleep(seconds)
    _leave()
    return 1


async def _value(x: int) -> int:
    await asyncio.sleep(0)
    return x


def sneaky(x: int) -> int:
    """Typed as plain, but returns a coroutine: the generated code refuses it."""
    return cast(int, cast(Coroutine[Any, Any, int], _value(x)))
