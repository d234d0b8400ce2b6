"""Nodes started in tasks: eager from Python 3.12 (no trip through the event loop for a node
that never suspends), plain tasks before. Either way the run's semantics are the same."""

from __future__ import annotations

import asyncio
import sys

import pytest

from flowc.codegen.runtime import NodeInfo, _Run

FIRST = NodeInfo("f", "first", "f.flow:4")
SECOND = NodeInfo("f", "second", "f.flow:5")
EAGER = sys.version_info >= (3, 12)


async def value(x: int) -> int:
    return x


async def fails() -> int:
    raise ValueError("at once")


async def sleeps(events: list[str]) -> int:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        events.append("cancelled")
        raise
    return 0


def test_a_node_that_never_suspends_is_done_when_spawned_from_3_12() -> None:
    async def main() -> tuple[bool, int]:
        run = _Run(None, None)
        task = run.spawn(lambda: value(7), FIRST)
        done_at_once = task.done()
        return done_at_once, await task

    done_at_once, result = asyncio.run(main())
    assert result == 7
    assert done_at_once is EAGER


def test_a_node_that_suspends_runs_in_its_own_task() -> None:
    async def inner() -> bool:
        await asyncio.sleep(0)
        return asyncio.current_task() is not parent

    async def main() -> bool:
        nonlocal parent
        parent = asyncio.current_task()
        run = _Run(None, None)
        return await run.spawn(lambda: inner(), FIRST)

    parent: asyncio.Task[bool] | None = None
    assert asyncio.run(main()) is True


def test_the_eager_part_runs_in_the_node_task_and_context() -> None:
    async def inner() -> tuple[bool, bool]:
        own = asyncio.current_task() is not parent
        async with asyncio.timeout(5):  # binds to the current task: must be the node's own
            await asyncio.sleep(0)
        return own, asyncio.current_task() is not parent

    async def main() -> tuple[bool, bool]:
        nonlocal parent
        parent = asyncio.current_task()
        return await _Run(None, None).spawn(lambda: inner(), FIRST)

    parent: asyncio.Task[object] | None = None
    assert asyncio.run(main()) == (True, True)


def test_a_node_failing_before_it_suspends_fails_the_run_and_cancels_the_others() -> None:
    events: list[str] = []

    async def main() -> BaseException:
        run = _Run(None, None)
        at: NodeInfo | None = None
        try:
            run.spawn(lambda: sleeps(events), FIRST)
            task = run.spawn(lambda: fails(), SECOND)
            at = None
            await task
        except BaseException as exc:
            return await run.abort(exc, at)
        raise AssertionError("the run did not fail")

    error = asyncio.run(main())
    assert isinstance(error, ValueError)
    assert error.__notes__ == ["flowc: in flow `f`, node `second` (f.flow:5)"]
    assert events == ["cancelled"]


def test_a_node_cancelled_before_it_suspends_is_awaited_as_cancelled() -> None:
    async def cancels() -> int:
        raise asyncio.CancelledError

    async def main() -> None:
        run = _Run(None, None)
        task = run.spawn(lambda: cancels(), FIRST)
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task in (run.tasks or {})

    asyncio.run(main())
