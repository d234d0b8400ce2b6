"""Regressions of the runtime found by the adversarial review of issue 20: cancellation
bookkeeping when a flow runs from cleanup code, the rate window under loop lag, observers
that raise, and slots held by an abandoned worker thread. Timings only bound things from
one side or with wide margins. (The same cancellation cases on every supported Python, and
the stress harness, are in `proof/test_stress.py`.)"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from flowc.codegen.runtime import NodeInfo, _call, _Policy, _Pool, _Run, _thread, _when

NODE = NodeInfo("f", "n", "f.flow:3")
BAD = NodeInfo("f", "bad", "f.flow:5")


# ---------------------------------------------------------------- cancellation


async def failing_run(delay: float) -> int:
    """A run whose spawned node fails after `delay` while its body waits inline."""
    run = _Run(None, None)

    async def bad() -> int:
        await asyncio.sleep(delay)
        raise ValueError("bad")

    try:
        task = run.spawn(bad, BAD)
        await asyncio.sleep(1)
        return await task
    except BaseException as exc:
        error = await run.abort(exc, None)
    raise error


def test_a_run_from_cleanup_code_surfaces_the_nodes_error() -> None:
    """The caller caught a cancellation (its `cancelling()` is 1) and runs a flow to clean
    up: the node's ValueError surfaces, as with `asyncio.TaskGroup`, and the caller's own
    count is left as it was."""

    async def victim() -> tuple[str, int]:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            try:
                await failing_run(0.001)
            except BaseException as error:
                return type(error).__name__, asyncio.current_task().cancelling()  # type: ignore[union-attr]
        return "not cancelled", 0

    async def main() -> tuple[str, int]:
        task = asyncio.create_task(victim())
        await asyncio.sleep(0)
        task.cancel()
        return await task

    assert asyncio.run(main()) == ("ValueError", 1)


def test_a_caller_cancelling_during_the_cleanup_run_still_wins() -> None:
    async def victim(started: asyncio.Event) -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            started.set()
            try:
                await failing_run(0.05)
            except BaseException as error:
                return type(error).__name__
        return "not cancelled"

    async def main() -> str:
        started = asyncio.Event()
        task = asyncio.create_task(victim(started))
        await asyncio.sleep(0)
        task.cancel()
        await started.wait()
        task.cancel()  # a second cancellation, while the cleanup run is running
        return await task

    assert asyncio.run(main()) == "CancelledError"


# ---------------------------------------------------------------- rate window


def test_pool_rate_holds_on_real_start_times_when_the_loop_lags() -> None:
    """`rate 5 per 100ms`: a 60 ms synchronous stall wakes the second five late; the third
    five must still wait a full window after the second five really started."""
    pool = _Pool("p", 20, rate=5, per=0.1)
    starts: list[float] = []

    async def one() -> None:
        await pool.acquire()
        starts.append(asyncio.get_running_loop().time())
        pool.release()

    async def stall() -> None:
        await asyncio.sleep(0.09)
        time.sleep(0.06)  # the loop runs nothing else meanwhile

    async def main() -> None:
        await asyncio.gather(stall(), *(one() for _ in range(15)))

    asyncio.run(main())
    assert len(starts) == 15
    # At most 5 starts in any window of 100 ms (the window shrunk by 5 ms: a wide margin).
    assert max(sum(1 for t in starts if s <= t < s + 0.095) for s in starts) <= 5


def test_pool_rate_under_lag_keeps_the_order_calls_got_their_slots() -> None:
    pool = _Pool("p", 1, rate=2, per=0.02)
    order: list[int] = []

    async def one(key: int) -> None:
        await pool.acquire()
        order.append(key)
        time.sleep(0.005)  # each call lags the loop a little
        pool.release()

    async def main() -> None:
        await asyncio.gather(*(one(key) for key in range(8)))

    asyncio.run(main())
    assert order == list(range(8))


# ---------------------------------------------------------------- observers that raise


class Raising:
    """An observer whose `raises` methods raise; it records every call."""

    def __init__(self, *raises: str) -> None:
        self.raises = set(raises)
        self.calls: list[str] = []

    def _event(self, name: str) -> None:
        self.calls.append(name)
        if name in self.raises:
            raise RuntimeError(f"observer bug in {name}")

    def node_started(self, *args: Any) -> None:
        self._event("started")

    def node_finished(self, *args: Any) -> None:
        self._event("finished")

    def node_retrying(self, *args: Any) -> None:
        self._event("retrying")

    def node_failed(self, *args: Any) -> None:
        self._event("failed")

    def node_skipped(self, *args: Any) -> None:
        self._event("skipped")


def observed(
    observer: Raising, policy: _Policy, make: Callable[[], Awaitable[int]]
) -> tuple[int | BaseException, list[dict[str, Any]]]:
    """`_call` with the observer; its outcome and what reached the loop's exception handler."""
    reported: list[dict[str, Any]] = []

    async def main() -> int:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        return await _call(_Run(observer, None), NODE, policy, make)

    try:
        return asyncio.run(main()), reported
    except BaseException as error:
        return error, reported


def counted(outcomes: list[int | Exception]) -> tuple[list[int], Callable[[], Awaitable[int]]]:
    """A step giving `outcomes` one call after the other; `calls[0]` counts its calls."""
    calls = [0]

    async def step() -> int:
        outcome = outcomes[calls[0]]
        calls[0] += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return calls, step


@pytest.mark.parametrize("method", ["started", "finished"])
def test_an_observer_that_raises_never_retries_a_step_that_succeeded(method: str) -> None:
    calls, step = counted([7, 8])
    observer = Raising(method)
    outcome, reported = observed(observer, _Policy(retries=3), step)
    assert outcome == 7
    assert calls == [1]  # the step's side effects happened once
    assert observer.calls == ["started", "finished"]
    assert len(reported) == 1  # reported once, to the loop's exception handler
    assert isinstance(reported[0]["exception"], RuntimeError)
    assert f"node_{method} raised on node `n` of flow `f` (f.flow:3)" in reported[0]["message"]


def test_an_observer_that_raises_never_masks_the_steps_error() -> None:
    calls, step = counted([ValueError("step"), ValueError("step again")])
    observer = Raising("failed", "retrying")
    outcome, reported = observed(observer, _Policy(retries=1), step)
    assert isinstance(outcome, ValueError) and str(outcome) == "step again"
    assert calls == [2]  # the retry was made, as `retry 1` says
    assert observer.calls == ["started", "failed", "retrying", "started", "failed"]
    assert len(reported) == 3


def test_an_observer_that_raises_on_a_skip_skips() -> None:
    reported: list[dict[str, Any]] = []

    async def never() -> int:
        raise AssertionError("a skipped node runs nothing")

    async def main() -> int | None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        return await _when(_Run(Raising("skipped"), None), NODE, False, never)

    assert asyncio.run(main()) is None
    assert len(reported) == 1


# ---------------------------------------------------------------- thread + timeout


class Threads:
    """Counts the worker threads running a blocking call, and the peak."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = self.ran = 0

    def block(self, seconds: float) -> int:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(seconds)
        with self.lock:
            self.now -= 1
            self.ran += 1
        return 1


def test_an_abandoned_thread_holds_its_pool_slot_until_it_ends() -> None:
    """`thread timeout 10ms pool db` with `pool db limit 2`: each call times out, and its
    slot stays taken until its thread really ends, so at most 2 threads run at once."""
    threads = Threads()
    pool = _Pool("db", 2)
    policy = _Policy(timeout=0.01, pool=pool)

    async def one(run: _Run) -> str:
        try:
            await _call(run, NODE, policy, lambda: _thread(threads.block, 0.05))
        except TimeoutError:
            return "timeout"
        return "returned"

    async def main() -> tuple[list[str], int]:
        run = _Run(None, None)
        outcomes = await asyncio.gather(*(one(run) for _ in range(6)))
        while pool.in_use():  # the slots come back as the threads end
            await asyncio.sleep(0.01)
        return outcomes, threads.ran

    outcomes, ran = asyncio.run(main())
    assert outcomes == ["timeout"] * 6
    assert ran == 6
    assert threads.peak <= 2


def test_an_abandoned_thread_holds_its_flow_limit_slot_until_it_ends() -> None:
    threads = Threads()
    policy = _Policy(timeout=0.01)

    async def main() -> list[BaseException | int]:
        run = _Run(None, 2)
        return await asyncio.gather(
            *(_call(run, NODE, policy, lambda: _thread(threads.block, 0.04)) for _ in range(5)),
            return_exceptions=True,
        )

    outcomes = asyncio.run(main())  # asyncio.run waits for the worker threads
    assert [type(o).__name__ for o in outcomes] == ["TimeoutError"] * 5
    assert threads.ran == 5
    assert threads.peak <= 2


def test_a_thread_call_cancelled_before_its_thread_started_never_runs() -> None:
    threads = Threads()
    pool = _Pool("db", 1)

    async def main() -> int:
        run = _Run(None, None)
        started = [asyncio.create_task(_call(run, NODE, _Policy(pool=pool), lambda: _thread(threads.block, 0.0)))]
        started[0].cancel()  # cancelled before its first step: nothing was submitted
        await asyncio.gather(*started, return_exceptions=True)
        return pool.in_use()

    assert asyncio.run(main()) == 0
    assert threads.ran == 0


def test_a_thread_call_returns_its_value_and_frees_its_slot() -> None:
    threads = Threads()
    pool = _Pool("db", 1)

    async def main() -> tuple[int, int]:
        value = await _call(_Run(None, None), NODE, _Policy(timeout=1, pool=pool), lambda: _thread(threads.block, 0.0))
        return value, pool.in_use()

    assert asyncio.run(main()) == (1, 0)
