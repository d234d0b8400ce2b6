import asyncio
import time
from pathlib import Path
from types import ModuleType

import pytest

FLOW = (Path(__file__).parent / "guard_timeout.flow").read_text(encoding="utf-8").splitlines()
ONCE_LINE = next(n for n, line in enumerate(FLOW, 1) if "node wait = pause" in line)


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_timeout"] == []


def kinds(steps: ModuleType) -> list[str]:
    return [what for what, _ in steps.events]


def test_an_attempt_within_its_timeout_returns(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.events.clear()
    assert asyncio.run(flow_module.once(delay=0.005)) == 0.005
    assert kinds(steps) == ["start", "done"]


def test_a_late_attempt_is_cancelled_and_raises_timeout_error(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.events.clear()
    begin = time.perf_counter()
    with pytest.raises(TimeoutError) as caught:
        asyncio.run(flow_module.once(delay=5.0))
    elapsed = time.perf_counter() - begin
    assert kinds(steps) == ["start", "cancelled"]
    assert 0.04 <= steps.events[1][1] - steps.events[0][1]
    assert elapsed < 2.0  # the 5 s sleep was cut short
    assert any("node `wait`" in note and f"guard_timeout.flow:{ONCE_LINE}" in note for note in caught.value.__notes__)


def test_each_retry_has_its_own_timeout(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.events.clear()
    # Two attempts time out; the third takes 20 ms, within its own 80 ms though the run is
    # long past 80 ms by then.
    steps.scripts["slow-slow-ok"] = [5.0, 5.0, 0.02]
    begin = time.perf_counter()
    assert asyncio.run(flow_module.again(key="slow-slow-ok")) == 0.02
    assert kinds(steps) == ["start", "cancelled", "start", "cancelled", "start", "done"]
    assert time.perf_counter() - begin >= 0.08 + 0.08 + 0.02
    starts = [t for what, t in steps.events if what == "start"]
    ends = [t for what, t in steps.events if what != "start"]
    assert [end - start >= 0.08 for start, end in zip(starts, ends)] == [True, True, False]


def test_timeouts_use_up_the_retries(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.events.clear()
    steps.scripts["always-slow"] = [5.0, 5.0, 5.0, 0.0]
    with pytest.raises(TimeoutError):
        asyncio.run(flow_module.again(key="always-slow"))
    assert kinds(steps) == ["start", "cancelled"] * 3
    assert steps.scripts["always-slow"] == [0.0]


def test_a_timeout_is_not_retried_unless_listed_in_on(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.events.clear()
    steps.scripts["slow"] = [5.0, 0.0]
    with pytest.raises(TimeoutError):
        asyncio.run(flow_module.not_on(key="slow"))
    assert kinds(steps) == ["start", "cancelled"]
    steps.events.clear()
    steps.scripts["error-then-ok"] = [ValueError("listed"), 0.01]
    assert asyncio.run(flow_module.not_on(key="error-then-ok")) == 0.01
    assert kinds(steps) == ["raise", "start", "done"]


@pytest.mark.parametrize("flow", ["queued", "limited"])
def test_the_timeout_does_not_count_the_wait_for_a_slot(flow_module: ModuleType, steps: ModuleType, flow: str) -> None:
    steps.events.clear()
    both = asyncio.run(getattr(flow_module, flow)(delay=0.1))
    assert (both.a, both.b) == (0.1, 0.1)
    # One after the other: the second started once the first was done, 100 ms after the run
    # began, and still ran its full 100 ms: 200 ms after the run began, past its timeout.
    assert kinds(steps) == ["start", "done", "start", "done"]
    assert steps.events[3][1] - steps.events[0][1] >= 0.2


def test_a_timeout_cancels_a_whole_sub_flow_run_each_attempt(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.events.clear()

    async def main() -> list[asyncio.Task[object]]:
        with pytest.raises(TimeoutError):
            await flow_module.outer(delay=5.0)
        return [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]

    assert asyncio.run(main()) == []  # no task of either sub-flow run is left
    # Two attempts, each a run of `pair` with its two nodes in parallel, all cancelled.
    assert sorted(kinds(steps)) == ["cancelled"] * 4 + ["start"] * 4
    assert kinds(steps)[:2] == ["start", "start"]
    steps.events.clear()
    both = asyncio.run(flow_module.outer(delay=0.005))
    assert (both.a, both.b) == (0.005, 0.005)
