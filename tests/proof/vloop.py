"""An asyncio event loop on a virtual clock, so that runs are fast and their timing exact.

The loop is a real `SelectorEventLoop`; only its clock is virtual. Whenever it would wait
for its next timer with nothing ready, the clock jumps to that timer instead. Every timer
based thing (`asyncio.sleep`, `asyncio.timeout`, `call_later`, a pool's rate) therefore
behaves as on a real clock, but without waiting, and code that takes no virtual time (the
generated module's own work) takes exactly none: a node that starts "as soon as its last
predecessor finished" starts at exactly that virtual instant.

Worker threads (`thread` steps) run in real time: while any is busy the clock stands still
and the loop really waits for it. A loop with nothing scheduled, nothing ready and no thread
busy can never wake up again; it raises `Deadlock` instead of hanging.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import selectors
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Deadlock(RuntimeError):
    """The loop has nothing left to do, yet the run has not ended."""


class _Selector(selectors.BaseSelector):
    def __init__(self) -> None:
        self.real = selectors.DefaultSelector()
        self.loop: VirtualClockLoop | None = None

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self.real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self.real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self.real.modify(fileobj, events, data)

    def get_map(self) -> Any:
        return self.real.get_map()

    def close(self) -> None:
        self.real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        loop = self.loop
        events = self.real.select(0)
        if events or (timeout is not None and timeout <= 0) or loop is None:
            return events
        if loop.threads:
            return self.real.select(0.01 if timeout is None else min(timeout, 0.01))
        if timeout is None:
            events = self.real.select(loop.idle_limit)
            if not events and loop.running_flow:
                raise Deadlock("nothing is scheduled, nothing is ready, no thread is busy")
            return events
        loop.clock += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose `time()` is virtual (seconds from 0)."""

    def __init__(self) -> None:
        selector = _Selector()
        self.clock = 0.0
        self.threads = 0
        self.idle_limit = 5.0
        self.running_flow = False
        super().__init__(selector)
        selector.loop = self
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=8)
        self.set_default_executor(self.executor)

    def time(self) -> float:
        return self.clock

    def run_in_executor(self, executor: Any, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.threads += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: object) -> None:
        self.threads -= 1


def run_virtual(main: Callable[[VirtualClockLoop], Coroutine[Any, Any, T]]) -> T:
    """Run `main(loop)` to completion on a fresh virtual-clock loop, then close the loop."""
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(main(loop))
    finally:
        loop.running_flow = False
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.executor.shutdown(wait=True)
            loop.close()
