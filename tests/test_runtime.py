"""The helper code generated modules copy (`flowc/codegen/runtime.py`): notes, fail-fast and
cancellation of a run, retries, timeouts, pools, maps and fallbacks; and the section
markers the code generator cuts it by. Timings only bound things from one side or with
wide margins."""

from __future__ import annotations

import ast
import asyncio
import builtins
import functools
import gc
import random
import subprocess
import symtable
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from flowc.codegen import runtime
from flowc.codegen.runtime import (
    _PLAIN,
    FlowObserver,
    NodeInfo,
    _after,
    _call,
    _delay,
    _fallback,
    _fallback_call,
    _map,
    _map_collect,
    _note,
    _Policy,
    _Pool,
    _ready,
    _Run,
    _when,
)
from flowc.codegen.sections import load_sections

R = TypeVar("R")

NODE = NodeInfo("f", "n", "f.flow:3")
SLOW = NodeInfo("f", "slow", "f.flow:4")
BAD = NodeInfo("f", "bad", "f.flow:5")
INLINE = NodeInfo("f", "inline", "f.flow:6")
RUNTIME = Path(runtime.__file__)


def note(node: NodeInfo, index: int | None = None) -> str:
    element = "" if index is None else f", element {index}"
    return f"flowc: in flow `{node.flow}`, node `{node.node}`{element} ({node.location})"


def notes(exc: BaseException) -> list[str]:
    return list(getattr(exc, "__notes__", []))


class Recorder:
    """An observer that records every event (without durations)."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def node_started(self, node: NodeInfo, index: int | None, attempt: int) -> None:
        self.events.append(("started", node.node, index, attempt))

    def node_finished(self, node: NodeInfo, index: int | None, attempt: int, duration: float) -> None:
        assert duration >= 0
        self.events.append(("finished", node.node, index, attempt))

    def node_retrying(
        self, node: NodeInfo, index: int | None, attempt: int, error: BaseException, delay: float
    ) -> None:
        self.events.append(("retrying", node.node, index, attempt, type(error).__name__, delay))

    def node_failed(
        self, node: NodeInfo, index: int | None, attempt: int, error: BaseException, duration: float
    ) -> None:
        assert duration >= 0
        self.events.append(("failed", node.node, index, attempt, type(error).__name__))

    def node_skipped(self, node: NodeInfo) -> None:
        self.events.append(("skipped", node.node))


def observer(recorder: Recorder) -> FlowObserver:
    return recorder


def held(track: Track, key: int, seconds: float) -> Callable[[], Awaitable[int]]:
    return lambda: track.hold(key, seconds, key)


def only_task_left() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


class Stop(BaseException):
    """A BaseException that is not an Exception (like KeyboardInterrupt)."""


class Track:
    """Counts calls in flight and keeps the peak, the start order and the start times."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.started: list[int] = []
        self.times: list[float] = []
        self.cancelled: list[int] = []

    async def hold(self, key: int, seconds: float, result: R) -> R:
        self.now += 1
        self.peak = max(self.peak, self.now)
        self.started.append(key)
        self.times.append(asyncio.get_running_loop().time())
        try:
            await asyncio.sleep(seconds)
            return result
        except asyncio.CancelledError:
            self.cancelled.append(key)
            raise
        finally:
            self.now -= 1


# ---------------------------------------------------------------- _note


def test_note_is_added_once() -> None:
    error = ValueError("boom")
    _note(error, NODE)
    _note(error, NODE)
    assert notes(error) == ["flowc: in flow `f`, node `n` (f.flow:3)"]
    _note(error, BAD)  # the same run: the first note, where the error arose, wins
    assert notes(error) == [note(NODE)]
    caller = NodeInfo("outer", "call_f", "outer.flow:9")
    _note(error, caller)  # a sub-flow's caller names its own node
    assert notes(error) == [note(NODE), note(caller)]


def test_note_names_the_element_and_wins_over_the_plain_note() -> None:
    error = ValueError("boom")
    _note(error, NODE, 7)
    _note(error, NODE)
    _note(error, NODE, 7)
    assert notes(error) == ["flowc: in flow `f`, node `n`, element 7 (f.flow:3)"]


def test_note_does_not_confuse_flows_with_a_common_prefix() -> None:
    error = ValueError("boom")
    _note(error, NodeInfo("fa", "n", "f.flow:1"))
    _note(error, NodeInfo("f", "n", "f.flow:2"))
    assert len(notes(error)) == 2


# ---------------------------------------------------------------- _Run


async def cleanup_after_cancel(events: list[str], name: str, seconds: float = 10.0) -> int:
    """A node that runs long and, when cancelled, takes a moment to clean up."""
    try:
        await asyncio.sleep(seconds)
        return 1
    except asyncio.CancelledError:
        events.append(f"{name} cancelled")
        await asyncio.sleep(0.02)
        events.append(f"{name} cleaned up")
        raise


async def fail_after(seconds: float, error: BaseException) -> int:
    await asyncio.sleep(seconds)
    raise error


async def two_tasks(run: _Run, first: Coroutine[Any, Any, int], second: Coroutine[Any, Any, int]) -> int:
    """A flow body as generated: two tasks, awaited in order."""
    at: NodeInfo | None = None
    try:
        a_task = run.spawn(lambda: first, SLOW)
        b_task = run.spawn(lambda: second, BAD)
        at = None
        a = await a_task
        b = await b_task
        return a + b
    except BaseException as exc:
        error = await run.abort(exc, at)
    raise error


def test_run_fails_fast_with_the_original_exception() -> None:
    events: list[str] = []

    async def main() -> None:
        run = _Run(None, None)
        with pytest.raises(ValueError) as caught:
            await two_tasks(run, cleanup_after_cancel(events, "slow"), fail_after(0.01, ValueError("bad")))
        assert type(caught.value) is ValueError
        assert notes(caught.value) == [note(BAD)]
        assert events == ["slow cancelled", "slow cleaned up"]  # cancelled and awaited
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        assert only_task_left()

    asyncio.run(main())


def test_run_inline_failure_is_noted_and_tasks_are_cancelled() -> None:
    events: list[str] = []

    async def main() -> None:
        run = _Run(None, None)
        at: NodeInfo | None = None
        try:
            run.spawn(lambda: cleanup_after_cancel(events, "slow"), SLOW)
            at = INLINE
            await fail_after(0.01, KeyError("inline"))
        except BaseException as exc:
            error = await run.abort(exc, at)
        assert type(error) is KeyError and notes(error) == [note(INLINE)]
        assert events == ["slow cancelled", "slow cleaned up"]
        assert only_task_left()

    asyncio.run(main())


def test_run_task_failure_interrupts_an_inline_node() -> None:
    events: list[str] = []

    async def main() -> None:
        run = _Run(None, None)
        at: NodeInfo | None = None
        try:
            run.spawn(lambda: fail_after(0.01, ValueError("task")), BAD)
            at = INLINE
            await cleanup_after_cancel(events, "inline")
        except BaseException as exc:
            error = await run.abort(exc, at)
        assert type(error) is ValueError and notes(error) == [note(BAD)]
        assert events == ["inline cancelled", "inline cleaned up"]
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        await asyncio.sleep(0)  # no cancellation is left pending on the caller's task
        assert only_task_left()

    asyncio.run(main())


def test_run_task_failing_before_its_callback_is_noted_when_awaited() -> None:
    async def boom() -> int:
        raise ValueError("at once")

    async def main() -> None:
        run = _Run(None, None)
        try:
            task = run.spawn(lambda: boom(), BAD)
            await asyncio.sleep(0)  # the task fails; its callback is not run yet
            await task
        except BaseException as exc:
            error = await run.abort(exc, None)
        assert type(error) is ValueError and notes(error) == [note(BAD)]  # at once
        await asyncio.sleep(0.01)
        assert notes(error) == [note(BAD)]

    asyncio.run(main())


def test_run_caller_cancellation_cancels_and_awaits_every_task() -> None:
    events: list[str] = []
    seen: list[int] = []

    async def flow() -> int:
        run = _Run(None, None)
        return await two_tasks(run, cleanup_after_cancel(events, "a"), cleanup_after_cancel(events, "b"))

    async def caller() -> int:
        try:
            return await flow()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            assert task is not None
            seen.append(task.cancelling())
            raise

    async def main() -> None:
        task = asyncio.create_task(caller())
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert sorted(events) == ["a cancelled", "a cleaned up", "b cancelled", "b cleaned up"]
        assert seen == [1]  # exactly the caller's own cancellation
        assert only_task_left()

    asyncio.run(main())


def test_run_caller_cancellation_wins_over_a_simultaneous_task_failure() -> None:
    seen: list[int] = []

    async def main() -> None:
        outer = asyncio.current_task()
        assert outer is not None

        async def cancel_caller_and_fail() -> int:
            await asyncio.sleep(0.01)
            outer.cancel()
            raise ValueError("task")

        events: list[str] = []
        run = _Run(None, None)
        try:
            await two_tasks(run, cleanup_after_cancel(events, "slow"), cancel_caller_and_fail())
        except asyncio.CancelledError:
            seen.append(outer.cancelling())
        assert seen == [1]
        assert events[0] == "slow cancelled"  # its clean-up may be cancelled again
        outer.uncancel()
        assert only_task_left()

    asyncio.run(main())


def test_run_keeps_waiting_for_its_tasks_when_cancelled_again() -> None:
    events: list[str] = []

    async def slow_cleanup() -> int:
        try:
            await asyncio.sleep(10)
            return 1
        except asyncio.CancelledError:
            await asyncio.sleep(0.1)
            events.append("cleaned up")
            raise

    async def flow() -> None:
        run = _Run(None, None)
        at: NodeInfo | None = None
        try:
            run.spawn(lambda: slow_cleanup(), SLOW)
            at = INLINE
            await asyncio.sleep(10)
        except BaseException as exc:
            error = await run.abort(exc, at)
        raise error

    async def main() -> None:
        task = asyncio.create_task(flow())
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.03)
        task.cancel()  # while the run waits for its task to clean up
        with pytest.raises(asyncio.CancelledError):
            await task
        assert events == ["cleaned up"]
        assert only_task_left()

    asyncio.run(main())


def test_run_cancelled_while_closing_after_a_failure_raises_the_cancellation() -> None:
    events: list[str] = []

    async def flow() -> None:
        run = _Run(None, None)
        at: NodeInfo | None = None
        try:
            run.spawn(lambda: cleanup_after_cancel(events, "slow", 10), SLOW)
            at = INLINE
            await fail_after(0.01, ValueError("inline"))
        except BaseException as exc:
            error = await run.abort(exc, at)
        raise error

    async def main() -> None:
        task = asyncio.create_task(flow())
        await asyncio.sleep(0.015)  # the inline node failed; the task is cleaning up
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert events == ["slow cancelled", "slow cleaned up"]

    asyncio.run(main())


def test_run_cancels_every_task_at_once_on_a_failure() -> None:
    times: dict[str, float] = {}

    async def record(name: str, cleanup: float) -> int:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            times[name] = asyncio.get_running_loop().time()
            await asyncio.sleep(cleanup)
            raise
        return 1

    async def main() -> None:
        run = _Run(None, None)
        at: NodeInfo | None = None
        try:
            run.spawn(lambda: fail_after(0.01, ValueError("task")), BAD)
            run.spawn(lambda: record("sibling", 0), SLOW)
            at = INLINE
            await record("inline", 0.1)  # slow to reach `abort`
        except BaseException as exc:
            error = await run.abort(exc, at)
        assert type(error) is ValueError
        assert abs(times["sibling"] - times["inline"]) < 0.05

    asyncio.run(main())


def test_run_under_a_timeout_raises_timeout_error() -> None:
    events: list[str] = []

    async def main() -> None:
        run = _Run(None, None)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.03):
                await two_tasks(run, cleanup_after_cancel(events, "a"), cleanup_after_cancel(events, "b"))
        assert sorted(events) == ["a cancelled", "a cleaned up", "b cancelled", "b cleaned up"]
        assert only_task_left()

    asyncio.run(main())


def test_run_retrieves_every_task_exception() -> None:
    logged: list[dict[str, Any]] = []
    late: list[BaseException] = []

    async def fails_when_cancelled() -> int:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            late.append(RuntimeError("clean-up failed"))
            raise late[0] from None
        return 1

    async def flow() -> type[BaseException]:
        run = _Run(None, None)
        at: NodeInfo | None = None
        try:
            run.spawn(lambda: fails_when_cancelled(), SLOW)  # nobody awaits this task
            at = INLINE
            await fail_after(0.01, ValueError("inline"))
        except BaseException as exc:
            error = await run.abort(exc, at)
        return type(error)

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: logged.append(context))
        assert await flow() is ValueError
        await asyncio.sleep(0.01)
        gc.collect()  # a task whose exception nobody retrieved would log it now
        await asyncio.sleep(0.01)

    asyncio.run(main())
    assert logged == []
    assert notes(late[0]) == [note(SLOW)]


def test_run_success_leaves_nothing_behind() -> None:
    async def value(x: int) -> int:
        await asyncio.sleep(0.01)
        return x

    async def main() -> None:
        assert await two_tasks(_Run(None, None), value(1), value(2)) == 3
        assert only_task_left()

    asyncio.run(main())


# ---------------------------------------------------------------- _call: retries


class Flaky:
    """Fails with the given errors, one per call, then returns "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.times: list[float] = []

    async def __call__(self) -> str:
        self.calls += 1
        self.times.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0)
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def call(policy: _Policy, make: Callable[[], Awaitable[R]], recorder: Recorder | None = None) -> R:
    async def main() -> R:
        return await _call(_Run(recorder, None), NODE, policy, make)

    return asyncio.run(main())


def test_call_fast_path_returns_the_value() -> None:
    assert call(_PLAIN, lambda: _ready(5)) == 5


def test_call_retries_until_success_and_reports_each_attempt() -> None:
    flaky = Flaky(ValueError("1"), ValueError("2"))
    recorder = Recorder()
    assert call(_Policy(retries=2), flaky, recorder) == "ok"
    assert flaky.calls == 3
    assert recorder.events == [
        ("started", "n", None, 1),
        ("failed", "n", None, 1, "ValueError"),
        ("retrying", "n", None, 1, "ValueError", 0.0),
        ("started", "n", None, 2),
        ("failed", "n", None, 2, "ValueError"),
        ("retrying", "n", None, 2, "ValueError", 0.0),
        ("started", "n", None, 3),
        ("finished", "n", None, 3),
    ]


def test_call_raises_the_last_error_when_retries_run_out() -> None:
    last = ValueError("3")
    flaky = Flaky(ValueError("1"), ValueError("2"), last)
    with pytest.raises(ValueError) as caught:
        call(_Policy(retries=2), flaky)
    assert caught.value is last and flaky.calls == 3


def test_call_retry_on_limits_what_is_retried() -> None:
    flaky = Flaky(ValueError("not listed"))
    with pytest.raises(ValueError):
        call(_Policy(retries=3, retry_on=(KeyError, ConnectionError)), flaky)
    assert flaky.calls == 1
    flaky = Flaky(ConnectionResetError("a subclass"), KeyError("k"))
    assert call(_Policy(retries=3, retry_on=(KeyError, ConnectionError)), flaky) == "ok"
    assert flaky.calls == 3


def test_call_never_retries_a_cancelled_error() -> None:
    flaky = Flaky(asyncio.CancelledError())

    async def main() -> None:
        with pytest.raises(asyncio.CancelledError):
            await _call(_Run(None, None), NODE, _Policy(retries=3, retry_on=(BaseException,)), flaky)

    asyncio.run(main())
    assert flaky.calls == 1


def test_call_cancelled_from_outside_is_not_retried() -> None:
    track = Track()

    async def main() -> None:
        policy = _Policy(retries=3, retry_on=(BaseException,))
        task = asyncio.create_task(_call(_Run(None, None), NODE, policy, lambda: track.hold(0, 10, 0)))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert track.started == [0] and track.cancelled == [0]


def test_call_never_retries_a_base_exception() -> None:
    flaky = Flaky(Stop())
    with pytest.raises(Stop):
        call(_Policy(retries=3, retry_on=(BaseException,)), flaky)
    assert flaky.calls == 1


def test_call_backoff_doubles() -> None:
    flaky = Flaky(ValueError(), ValueError(), ValueError())
    recorder = Recorder()
    assert call(_Policy(retries=3, backoff=0.05), flaky, recorder) == "ok"
    delays = [e[-1] for e in recorder.events if e[0] == "retrying"]
    assert delays == [0.05, 0.1, 0.2]
    gaps = [b - a for a, b in zip(flaky.times, flaky.times[1:])]
    for gap, delay in zip(gaps, [0.05, 0.1, 0.2]):
        assert delay - 0.005 <= gap < delay + 0.2


def test_call_backoff_is_capped() -> None:
    recorder = Recorder()
    flaky = Flaky(*[ValueError() for _ in range(4)])
    assert call(_Policy(retries=4, backoff=0.01, max_delay=0.025), flaky, recorder) == "ok"
    assert [e[-1] for e in recorder.events if e[0] == "retrying"] == [0.01, 0.02, 0.025, 0.025]


def test_delay_without_backoff_is_zero_and_never_overflows() -> None:
    assert _delay(_Policy(retries=5), 3) == 0.0
    assert _delay(_Policy(retries=5000, backoff=1.0, max_delay=60.0), 5000) == 60.0


def test_jitter_spreads_each_delay_then_caps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = _Policy(retries=9, backoff=1.0, max_delay=5.0, jitter=True)
    asked: list[tuple[float, float]] = []

    def fixed(factor: float) -> Callable[[float, float], float]:
        def uniform(low: float, high: float) -> float:
            asked.append((low, high))
            return factor

        return uniform

    monkeypatch.setattr(random, "uniform", fixed(0.5))
    assert [_delay(policy, k) for k in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 5.0]
    monkeypatch.setattr(random, "uniform", fixed(1.5))
    assert [_delay(policy, k) for k in (1, 2, 3)] == [1.5, 3.0, 5.0]
    assert set(asked) == {(0.5, 1.5)}
    monkeypatch.undo()
    for k in range(1, 5):
        for _ in range(50):
            assert 0.5 * 2 ** (k - 1) <= _delay(policy, k) <= min(1.5 * 2 ** (k - 1), 5.0)


# ---------------------------------------------------------------- _call: timeouts, limits


def test_call_timeout_cancels_the_attempt_and_raises_timeout_error() -> None:
    track = Track()
    recorder = Recorder()
    with pytest.raises(TimeoutError):
        call(_Policy(timeout=0.02, retries=1), lambda: track.hold(len(track.started), 10, 0), recorder)
    assert track.started == [0, 1] and track.cancelled == [0, 1]
    assert [e for e in recorder.events if e[0] == "failed"] == [
        ("failed", "n", None, 1, "TimeoutError"),
        ("failed", "n", None, 2, "TimeoutError"),
    ]


def test_call_timeout_excludes_the_wait_for_a_pool_slot() -> None:
    pool = _Pool("p", 1)

    async def main() -> str:
        run = _Run(None, None)
        holder = asyncio.create_task(_call(run, NODE, _Policy(pool=pool), lambda: asyncio.sleep(0.3)))
        await asyncio.sleep(0.01)
        policy = _Policy(pool=pool, timeout=0.15)
        value = await _call(run, NODE, policy, lambda: Track().hold(0, 0.01, "done"))
        await holder
        return value

    assert asyncio.run(main()) == "done"


def test_call_timeout_excludes_the_wait_for_the_flow_limit() -> None:
    async def main() -> list[str]:
        run = _Run(None, 1)
        slow = _call(run, NODE, _PLAIN, lambda: Track().hold(0, 0.3, "slow"))
        quick = _call(run, NODE, _Policy(timeout=0.15), lambda: Track().hold(0, 0.01, "quick"))
        return list(await asyncio.gather(slow, quick))

    assert asyncio.run(main()) == ["slow", "quick"]


def test_call_flow_limit_holds() -> None:
    track = Track()

    async def main() -> None:
        run = _Run(None, 2)
        await asyncio.gather(*(_call(run, NODE, _PLAIN, held(track, i, 0.01)) for i in range(8)))
        assert run.limit is not None and not run.limit.locked()

    asyncio.run(main())
    assert track.peak == 2


def test_call_holds_no_pool_slot_while_waiting_to_retry() -> None:
    pool = _Pool("p", 1)
    order: list[str] = []

    async def main() -> None:
        run = _Run(None, None)
        flaky = Flaky(ValueError())

        async def first() -> str:
            order.append("first attempt")
            return await flaky()

        async def other() -> str:
            order.append("other")
            assert pool.in_use() == 1
            return "other"

        retrying = asyncio.create_task(_call(run, NODE, _Policy(retries=1, backoff=0.1, pool=pool), first))
        await asyncio.sleep(0.03)  # the first attempt failed; the retry waits
        assert pool.in_use() == 0
        assert await _call(run, NODE, _Policy(pool=pool), other) == "other"
        assert await retrying == "ok"
        assert pool.in_use() == 0

    asyncio.run(main())
    assert order == ["first attempt", "other", "first attempt"]


def test_call_reports_the_element_index() -> None:
    recorder = Recorder()

    async def main() -> None:
        await _call(_Run(recorder, None), NODE, _PLAIN, lambda: _ready(1), 3)

    asyncio.run(main())
    assert recorder.events == [("started", "n", 3, 1), ("finished", "n", 3, 1)]


def test_call_reports_a_sync_failure() -> None:
    recorder = Recorder()

    def broken() -> int:
        raise KeyError("k")

    with pytest.raises(KeyError):
        call(_PLAIN, lambda: _ready(broken()), recorder)
    assert recorder.events == [("started", "n", None, 1), ("failed", "n", None, 1, "KeyError")]


# ---------------------------------------------------------------- _Pool


def test_pool_limit_holds_across_runs_and_event_loops() -> None:
    pool = _Pool("api", 3)
    policy = _Policy(pool=pool)
    track = Track()

    async def one_run(r: int) -> None:
        run = _Run(None, None)
        for i in range(5):
            await _call(
                run, NODE, policy, functools.partial(track.hold, r * 100 + i, random.uniform(0.001, 0.01), None)
            )

    async def main() -> None:
        await asyncio.gather(*(one_run(r) for r in range(4)))
        assert pool.in_use() == 0

    for _ in range(2):  # the same pool, a new event loop
        track.peak = 0
        asyncio.run(main())
        assert track.peak == 3
        assert len(track.started) % 20 == 0


def test_pool_serves_waiters_first_come_first_served() -> None:
    pool = _Pool("p", 1)
    order: list[int] = []

    async def user(i: int) -> None:
        await pool.acquire()
        order.append(i)
        await asyncio.sleep(0.001)
        pool.release()

    async def main() -> None:
        tasks = []
        for i in range(6):
            tasks.append(asyncio.create_task(user(i)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert order == list(range(6))


def test_pool_rate_limits_starts_in_any_window() -> None:
    pool = _Pool("search", 10, rate=3, per=0.1)
    track = Track()

    async def main() -> None:
        run = _Run(None, None)
        policy = _Policy(pool=pool)
        await asyncio.gather(*(_call(run, NODE, policy, held(track, i, 0)) for i in range(9)))

    asyncio.run(main())
    times = sorted(track.times)
    for first, fourth in zip(times, times[3:]):
        assert fourth - first >= 0.1 - 0.015  # margin: a busy machine may pause between two steps
    assert times[-1] - times[0] >= 0.2 - 0.015
    assert times[2] - times[0] < 0.05  # the first three start at once


def test_pool_rate_holds_across_calls_started_later() -> None:
    pool = _Pool("search", 1, rate=2, per=0.1)
    starts: list[float] = []

    async def main() -> None:
        for _ in range(5):
            await pool.acquire()
            starts.append(asyncio.get_running_loop().time())
            pool.release()
            await asyncio.sleep(0.02)

    asyncio.run(main())
    for first, third in zip(starts, starts[2:]):
        assert third - first >= 0.1 - 0.015  # margin: a busy machine may pause between two steps


def test_pool_slots_are_free_after_failures_timeouts_and_cancellation() -> None:
    pool = _Pool("p", 2)

    async def main() -> None:
        run = _Run(None, None)
        with pytest.raises(ValueError):
            await _call(run, NODE, _Policy(pool=pool, retries=1), Flaky(ValueError(), ValueError()))
        assert pool.in_use() == 0
        with pytest.raises(TimeoutError):
            await _call(run, NODE, _Policy(pool=pool, timeout=0.01), lambda: asyncio.sleep(1))
        assert pool.in_use() == 0
        tasks = [asyncio.create_task(_call(run, NODE, _Policy(pool=pool), lambda: asyncio.sleep(1))) for _ in range(5)]
        await asyncio.sleep(0.01)
        assert pool.in_use() == 2
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert pool.in_use() == 0

    asyncio.run(main())


def test_pool_waiter_cancelled_while_waiting_loses_no_slot() -> None:
    pool = _Pool("p", 1)

    async def main() -> None:
        await pool.acquire()
        waiter = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        assert not pool._state().waiters  # no trace of it left
        pool.release()
        assert pool.in_use() == 0
        await asyncio.wait_for(pool.acquire(), 1)
        pool.release()

    asyncio.run(main())


def test_pool_waiter_cancelled_just_after_its_grant_passes_the_slot_on() -> None:
    pool = _Pool("p", 1)

    async def main() -> None:
        await pool.acquire()
        first = asyncio.create_task(pool.acquire())
        second = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0)
        pool.release()  # the slot goes to `first`...
        first.cancel()  # ...which is cancelled before it runs again
        await asyncio.gather(first, return_exceptions=True)
        assert first.cancelled()
        await asyncio.wait_for(second, 1)  # so `second` gets it
        assert pool.in_use() == 1
        pool.release()
        assert pool.in_use() == 0

    asyncio.run(main())


def test_pool_cancelled_while_waiting_for_the_rate_releases_its_slot() -> None:
    pool = _Pool("p", 1, rate=1, per=10)

    async def main() -> None:
        await pool.acquire()
        pool.release()
        waiting = asyncio.create_task(pool.acquire())  # holds the slot, waits ~10 s
        await asyncio.sleep(0.01)
        assert pool.in_use() == 1
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        assert pool.in_use() == 0

    asyncio.run(main())


# ---------------------------------------------------------------- _map, _map_collect


def run_map(
    items: Any, element: Callable[[Any, int], Awaitable[R]], limit: int | None, collect: bool = False
) -> list[Any]:
    async def main() -> list[Any]:
        helper = _map_collect if collect else _map
        result = await helper(_Run(None, None), NODE, items, element, limit)
        assert only_task_left()
        return result

    return asyncio.run(main())


def test_map_keeps_input_order_and_starts_in_input_order() -> None:
    track = Track()
    items = list(range(12))
    result = run_map(items, lambda x, i: track.hold(i, random.uniform(0.001, 0.02), x * 10), 3)
    assert result == [x * 10 for x in items]
    assert track.started == items
    assert track.peak == 3


def test_map_without_limit_runs_every_element_at_once() -> None:
    track = Track()
    assert run_map(range(20), lambda x, i: track.hold(i, 0.01, -x), None) == [-x for x in range(20)]
    assert track.peak == 20 and track.started == list(range(20))


def test_map_of_empty_input_makes_no_task() -> None:
    async def main() -> None:
        before = len(asyncio.all_tasks())
        assert await _map(_Run(None, None), NODE, [], lambda x, i: _ready(x), 4) == []
        assert await _map(_Run(None, None), NODE, iter(()), lambda x, i: _ready(x), None) == []
        assert len(asyncio.all_tasks()) == before

    asyncio.run(main())


def test_map_takes_any_iterable() -> None:
    assert run_map((x for x in "abc"), lambda x, i: _ready(x * (i + 1)), 2) == ["a", "bb", "ccc"]


def test_map_does_not_copy_a_sequence() -> None:
    class Indexed(Sequence[int]):
        def __init__(self, n: int) -> None:
            self.n = n

        def __len__(self) -> int:
            return self.n

        def __getitem__(self, i: Any) -> Any:
            if not 0 <= i < self.n:
                raise IndexError(i)
            return i * i

        def __iter__(self) -> Iterator[int]:
            raise AssertionError("copied")

    assert run_map(Indexed(50), lambda x, i: _ready(x), 4) == [i * i for i in range(50)]


def test_map_of_sync_elements_runs_in_the_calling_task() -> None:
    async def main() -> None:
        before = asyncio.all_tasks()
        result = await _map(_Run(None, None), NODE, range(1000), lambda x, i: _ready(x + 1), 8)
        assert result == list(range(1, 1001))
        assert asyncio.all_tasks() == before

    asyncio.run(main())


@pytest.mark.parametrize("failing", [0, 4])  # the calling task's worker, a task's worker
def test_map_fails_fast_naming_the_element(failing: int) -> None:
    track = Track()
    error = ValueError("element")

    async def element(x: int, i: int) -> int:
        if i == failing:
            await asyncio.sleep(0.01)
            raise error
        return await track.hold(i, 10, x)

    with pytest.raises(ValueError) as caught:
        run_map(list(range(8)), element, 5)
    assert caught.value is error
    assert notes(error) == [note(NODE, failing)]
    assert sorted(track.cancelled) == sorted(track.started) and len(track.started) == 4
    assert track.now == 0


def test_map_fail_fast_inside_a_run_keeps_one_note() -> None:
    async def element(x: int, i: int) -> int:
        if i == 2:
            raise KeyError(i)
        await asyncio.sleep(1)
        return x

    async def main() -> None:
        run = _Run(None, None)
        at: NodeInfo | None = None
        try:
            at = NODE
            await _map(run, NODE, range(5), element, None)
        except BaseException as exc:
            error = await run.abort(exc, at)
        assert type(error) is KeyError and notes(error) == [note(NODE, 2)]
        assert only_task_left()

    asyncio.run(main())


def test_map_cancelled_by_its_caller_cancels_every_element() -> None:
    track = Track()

    async def main() -> None:
        task = asyncio.create_task(_map(_Run(None, None), NODE, range(6), lambda x, i: track.hold(i, 10, x), 4))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert only_task_left()

    asyncio.run(main())
    assert sorted(track.cancelled) == [0, 1, 2, 3] and track.now == 0


def test_map_collect_isolates_failures() -> None:
    track = Track()

    async def element(x: int, i: int) -> int:
        if x % 3 == 1:
            raise ValueError(x)
        return await track.hold(i, 0.01, x)

    result = run_map(range(7), element, 2, collect=True)
    assert [r if isinstance(r, int) else type(r) for r in result] == [0, ValueError, 2, 3, ValueError, 5, 6]
    assert notes(result[4]) == [note(NODE, 4)]
    assert track.cancelled == []


def test_map_collect_never_collects_cancellation() -> None:
    async def element(x: int, i: int) -> int:
        if i == 1:
            raise asyncio.CancelledError
        await asyncio.sleep(0.01)
        return x

    async def main() -> None:
        with pytest.raises(asyncio.CancelledError):
            await _map_collect(_Run(None, None), NODE, range(3), element, None)
        assert only_task_left()

    asyncio.run(main())


def test_map_elements_report_their_index() -> None:
    recorder = Recorder()

    async def main() -> list[int]:
        run = _Run(recorder, None)
        return await _map(run, NODE, [5, 6], lambda x, i: _call(run, NODE, _PLAIN, lambda: _ready(x), i), 1)

    assert asyncio.run(main()) == [5, 6]
    assert recorder.events == [
        ("started", "n", 0, 1),
        ("finished", "n", 0, 1),
        ("started", "n", 1, 1),
        ("finished", "n", 1, 1),
    ]


# ---------------------------------------------------------------- _fallback, _when, _after


def test_fallback_is_used_only_on_failure() -> None:
    used: list[str] = []

    def alt() -> str:
        used.append("alt")
        return "alt"

    async def alt_call() -> str:
        used.append("alt call")
        return "alt call"

    async def main() -> None:
        run = _Run(None, None)
        assert await _fallback(run, NODE, "alt", lambda: _ready(1), alt) == 1
        assert await _fallback_call(run, NODE, "alt", lambda: _ready(2), alt_call) == 2
        assert used == []
        assert await _fallback(run, NODE, "alt", Flaky(ValueError()), alt) == "alt"
        assert await _fallback_call(run, NODE, "alt", Flaky(TimeoutError()), alt_call) == "alt call"
        assert used == ["alt", "alt call"]

    asyncio.run(main())


def test_fallback_does_not_swallow_cancellation_or_base_exceptions() -> None:
    async def main() -> None:
        run = _Run(None, None)
        for helper in (_fallback, _fallback_call):
            with pytest.raises(asyncio.CancelledError):
                await helper(run, NODE, "alt", Flaky(asyncio.CancelledError()), lambda: pytest.fail("alt"))
            with pytest.raises(Stop):
                await helper(run, NODE, "alt", Flaky(Stop()), lambda: pytest.fail("alt"))
        task = asyncio.create_task(_fallback(run, NODE, "alt", lambda: asyncio.sleep(10), lambda: None))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


async def never() -> int:
    raise AssertionError("ran")


def test_when_skips_and_reports() -> None:
    recorder = Recorder()

    async def main() -> None:
        run = _Run(recorder, None)
        assert await _when(run, NODE, True, lambda: _ready(3)) == 3
        assert await _when(run, NODE, False, never) is None

    asyncio.run(main())
    assert recorder.events == [("skipped", "n")]


def test_after_waits_for_its_tasks() -> None:
    order: list[str] = []

    async def step(name: str, seconds: float) -> str:
        await asyncio.sleep(seconds)
        order.append(name)
        return name

    async def main() -> str:
        run = _Run(None, None)
        a = run.spawn(lambda: step("a", 0.03), SLOW)
        b = run.spawn(lambda: step("b", 0.01), BAD)
        c = run.spawn(lambda: _after((a, b), lambda: step(a.result() + b.result(), 0)), NODE)
        return await c

    assert asyncio.run(main()) == "ab"
    assert order == ["b", "a", "ab"]


# ---------------------------------------------------------------- the section markers


SECTIONS = (
    "T",
    "U",
    "X",
    "observer",
    "notify",
    "journal",
    "run",
    "policy",
    "settings",
    "policies",
    "pool",
    "ready",
    "call",
    "C",
    "watch",
    "watch_sync",
    "P",
    "plain",
    "in_thread",
    "worker_thread",
    "thread",
    "executor",
    "when",
    "after",
    "fallback",
    "fallback_call",
    "map",
    "map_collect",
)


def sections() -> dict[str, tuple[list[str], list[str], str]]:
    """Each section's needs, imports and code: the markers parsed strictly here, what each
    section needs as flowc reads it from the code."""
    found: dict[str, tuple[list[str], list[str], str]] = {}
    derived = load_sections()
    lines = RUNTIME.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith("# flowc:"):
            continue
        assert line.startswith("# flowc:begin "), f"line {i}: {line!r} outside a section"
        name = line.split()[2]
        assert line == f"# flowc:begin {name}" and name not in found
        body: list[str] = []
        while lines[i] != f"# flowc:end {name}":
            assert not lines[i].startswith("# flowc:"), f"line {i + 1}: misplaced marker in {name}"
            body.append(lines[i])
            i += 1
        i += 1
        assert derived[name].code == "\n".join(body).strip("\n")
        found[name] = (list(derived[name].needs), list(derived[name].imports), "\n".join(body))
    return found


def closure(found: dict[str, tuple[list[str], list[str], str]], *names: str) -> str:
    """The sections and all they need, as a module of their own, the way generated
    modules get them."""
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        current = stack.pop()
        if current not in wanted:
            wanted.add(current)
            stack.extend(found[current][0])
    chosen = [n for n in found if n in wanted]
    imports = sorted({line for n in chosen for line in found[n][1]})
    return "\n".join(imports + [found[n][2] for n in chosen]) + "\n"


def test_sections_are_well_formed() -> None:
    found = sections()
    assert tuple(found) == SECTIONS
    order = list(found)
    for name, (needs, imports, code) in found.items():
        for need in needs:
            assert need in found and order.index(need) < order.index(name), (name, need)
        for line in imports:
            statement = ast.parse(line).body
            assert len(statement) == 1 and isinstance(statement[0], (ast.Import, ast.ImportFrom)), line
            module = statement[0].module if isinstance(statement[0], ast.ImportFrom) else statement[0].names[0].name
            assert module is not None and module.split(".")[0] in sys.stdlib_module_names, line
        assert code.strip(), name


def imported_names(statements: list[ast.stmt]) -> set[str]:
    """`module.name` for every name the import statements bind."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, ast.ImportFrom):
            names |= {f"{statement.module}.{alias.name}" for alias in statement.names}
        elif isinstance(statement, ast.Import):
            names |= {alias.name for alias in statement.names}
    return names


def test_outside_the_sections_only_the_docstring_and_the_sections_imports() -> None:
    text = RUNTIME.read_text(encoding="utf-8")
    outside = text[: text.index("\n# flowc:begin ")]
    assert text.rstrip().endswith("# flowc:end map_collect")
    top = ast.parse(outside).body
    assert isinstance(top[0], ast.Expr) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in top[1:])
    wanted = [line for _, imports, _ in sections().values() for line in imports]
    assert imported_names(top) == imported_names([ast.parse(line).body[0] for line in wanted])
    inside, between = False, []
    for line in text[len(outside) :].splitlines():
        if line.startswith(("# flowc:begin ", "# flowc:end ")):
            inside = line.startswith("# flowc:begin ")
        elif not inside and line.strip():
            between.append(line)
    assert between == [], "code between sections is never copied"


def global_names(code: str) -> set[str]:
    """Names a module reads as globals anywhere (module level or inside functions)."""
    names: set[str] = set()

    def visit(table: symtable.SymbolTable) -> None:
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (symbol.is_global() or table.get_type() == "module"):
                names.add(symbol.get_name())
        for child in table.get_children():
            visit(child)

    visit(symtable.symtable(code, "<section>", "exec"))
    return names


@pytest.mark.parametrize("name", SECTIONS)
def test_each_section_stands_alone(name: str) -> None:
    code = closure(sections(), name)
    namespace: dict[str, Any] = {"__name__": f"section_{name}"}
    exec(compile(code, f"<section {name}>", "exec", dont_inherit=True), namespace)  # definitions only
    unknown = global_names(code) - set(namespace) - set(dir(builtins))
    assert not unknown, f"section {name} uses {sorted(unknown)} without needing them"


USAGE = """
import asyncio
from typing import assert_type

async def check(run: _Run, node: NodeInfo) -> None:
    async def one(x: int) -> str:
        return str(x)

    assert_type(await _call(run, node, _PLAIN, lambda: one(1)), str)
    assert_type(await _call(run, node, _PLAIN, lambda: _ready(1.5)), float)
    assert_type(await _map(run, node, [1, 2], lambda x, i: one(x + i), 2), list[str])
    assert_type(await _map_collect(run, node, (1,), lambda x, i: one(x), None), list[str | Exception])
    assert_type(await _fallback(run, node, "None", lambda: one(1), lambda: None), str | None)
    assert_type(await _fallback_call(run, node, "zero", lambda: one(1), lambda: _ready(0)), str | int)
    assert_type(await _watch(run, node, one)(x=1), str)
    assert_type(_watch_sync(run, node, len)([1]), int)
    assert_type(await _when(run, node, True, lambda: one(1)), str | None)
    task = run.spawn(lambda: one(1), node)
    assert_type(task, asyncio.Task[str])
    assert_type(await _after((task,), lambda: _ready(task.result())), str)
"""


def test_sections_type_check_alone_and_infer_the_users_types(tmp_path: Path) -> None:
    found = sections()
    files = []
    for name in SECTIONS:
        path = tmp_path / f"section_{name}.py"
        path.write_text(closure(found, name), encoding="utf-8")
        files.append(str(path))
    usage = tmp_path / "usage.py"
    usage.write_text(
        closure(
            found, "call", "ready", "watch", "watch_sync", "map_collect", "fallback", "fallback_call", "when", "after"
        )
        + USAGE,
        encoding="utf-8",
    )
    files.append(str(usage))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11", *files],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
