"""Regressions of the runtime found by the adversarial review of issue 20: cancellation
bookkeeping when a flow runs from cleanup code, the rate window under loop lag. Timings only bound things from
one side or with wide margins. (The same cancellation cases on every supported Python, and
the stress harness, are in `proof/test_stress.py`.)"""

from __future__ import annotations

import asyncio
import time

from flowc.runtime import NodeInfo, _Pool, _Run

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
