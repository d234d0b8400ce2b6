"""Steps of the sync_thread case: plain functions that record the thread they ran on."""

import asyncio
import threading

threads: dict[str, int] = {}
loop_running: dict[str, bool] = {}
barrier = threading.Barrier(2, timeout=5)


def reset() -> None:
    threads.clear()
    loop_running.clear()
    barrier.reset()


def record(name: str) -> None:
    threads[name] = threading.get_ident()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop_running[name] = False
    else:
        loop_running[name] = True


def on_loop(x: int) -> int:
    record("on_loop")
    return x + 1


def in_thread(x: int) -> int:
    record("in_thread")
    return x * 2


def meet(name: str) -> str:
    """Returns only once the other `meet` call is running too, in another thread."""
    record(name)
    barrier.wait()
    return name


def where(tag: str) -> str:
    record(tag)
    return tag.upper()
