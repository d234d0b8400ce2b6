import asyncio
import random
from types import ModuleType
from typing import Any

import pytest

MS = 0.001  # the clock's slack allowed on a lower bound


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_retry"] == []


class Delays:
    """An observer keeping the delay of every retry."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def node_retrying(self, node: Any, index: Any, attempt: int, error: BaseException, delay: float) -> None:
        self.delays.append(delay)

    def node_started(self, *args: Any) -> None: ...

    def node_finished(self, *args: Any) -> None: ...

    def node_failed(self, *args: Any) -> None: ...

    def node_skipped(self, *args: Any) -> None: ...


@pytest.fixture
def script(steps: ModuleType) -> Any:
    """Give `key` its attempts' outcomes; fresh records for every test."""
    steps.scripts.clear()
    steps.starts.clear()

    def give(key: str, *outcomes: object) -> str:
        steps.scripts[key] = list(outcomes)
        return key

    return give


def gaps(steps: ModuleType, key: str) -> list[float]:
    starts = steps.starts[key]
    return [b - a for a, b in zip(starts, starts[1:])]


def test_retries_until_an_attempt_succeeds(flow_module: ModuleType, steps: ModuleType, script: Any) -> None:
    key = script("two-errors", ValueError("one"), OSError("two"), 7, 8)
    assert asyncio.run(flow_module.plain(key=key)) == 7
    assert len(steps.starts[key]) == 3
    assert steps.scripts[key] == [8]


def test_gives_up_after_n_retries_with_the_last_error(flow_module: ModuleType, steps: ModuleType, script: Any) -> None:
    last = RuntimeError("fourth")
    key = script("four-errors", ValueError(), KeyError(), OSError(), last, 1)
    with pytest.raises(RuntimeError) as caught:
        asyncio.run(flow_module.plain(key=key))
    assert caught.value is last
    assert len(steps.starts[key]) == 4
    assert steps.scripts[key] == [1]


def test_on_retries_the_listed_classes_and_their_subclasses(
    flow_module: ModuleType, steps: ModuleType, script: Any
) -> None:
    key = script("listed", steps.Blip(), KeyError("k"), steps.Transient(), 5)
    assert asyncio.run(flow_module.listed(key=key)) == 5
    assert len(steps.starts[key]) == 4


@pytest.mark.parametrize(
    ("raised", "attempts"),
    [
        (["ValueError"], 1),  # the base class of a listed one
        (["TypeError"], 1),
        (["Transient", "TypeError"], 2),  # after a listed one
    ],
)
def test_on_does_not_retry_other_errors(
    flow_module: ModuleType, steps: ModuleType, script: Any, raised: list[str], attempts: int
) -> None:
    classes = {"ValueError": ValueError, "TypeError": TypeError, "Transient": steps.Transient}
    errors = [classes[name]() for name in raised]
    key = script("unlisted", *errors, 1)
    with pytest.raises((ValueError, TypeError)) as caught:
        asyncio.run(flow_module.listed(key=key))
    assert caught.value is errors[-1]
    assert len(steps.starts[key]) == attempts


def test_without_backoff_retries_at_once(flow_module: ModuleType, steps: ModuleType, script: Any) -> None:
    key = script("at-once", ValueError(), ValueError(), ValueError(), 1)
    assert asyncio.run(flow_module.plain(key=key)) == 1
    assert sum(gaps(steps, key)) < 0.05


def test_backoff_doubles(flow_module: ModuleType, steps: ModuleType, script: Any) -> None:
    key = script("doubling", ValueError(), ValueError(), ValueError(), 3)
    assert asyncio.run(flow_module.backed(key=key)) == 3
    measured = gaps(steps, key)
    assert [gap >= nominal - MS for gap, nominal in zip(measured, [0.02, 0.04, 0.08])] == [True] * 3
    assert sum(measured) < 0.14 + 0.1  # not one doubling more (0.28)


def test_max_caps_the_backoff(flow_module: ModuleType, steps: ModuleType, script: Any) -> None:
    key = script("capped", *[ValueError()] * 4, 2)
    assert asyncio.run(flow_module.capped(key=key)) == 2
    measured = gaps(steps, key)
    assert [gap >= nominal - MS for gap, nominal in zip(measured, [0.02, 0.03, 0.03, 0.03])] == [True] * 4
    assert sum(measured) < 0.11 + 0.1  # uncapped: 0.02 + 0.04 + 0.08 + 0.16 = 0.3


def retry_delays(flow: Any, steps: ModuleType, script: Any, runs: int) -> list[list[float]]:
    """The delays an observer was told of, three retries per run; each was waited."""
    delays: list[list[float]] = []
    for run in range(runs):
        key = script(f"{flow.__name__}-{run}", ValueError(), ValueError(), ValueError(), run)
        observer = Delays()
        assert asyncio.run(flow(key=key, observer=observer)) == run
        assert len(observer.delays) == 3
        assert all(gap >= delay - MS for gap, delay in zip(gaps(steps, key), observer.delays))
        delays.append(observer.delays)
    return delays


def test_jitter_spreads_each_delay_within_half_of_it(flow_module: ModuleType, steps: ModuleType, script: Any) -> None:
    random.seed(1)
    delays = retry_delays(flow_module.jittered, steps, script, runs=5)
    ratios = [delay / nominal for run in delays for delay, nominal in zip(run, [0.01, 0.02, 0.04])]
    assert all(0.5 <= ratio <= 1.5 for ratio in ratios)
    assert min(ratios) < 0.9 and max(ratios) > 1.1  # spread, not the nominal delays


def test_max_caps_the_jittered_delay(flow_module: ModuleType, steps: ModuleType, script: Any) -> None:
    random.seed(2)
    delays = retry_delays(flow_module.jittered_capped, steps, script, runs=5)
    assert all(0.01 <= delay <= 0.025 for run in delays for delay in run)
    assert [run[2] for run in delays] == [0.025] * 5  # the third (80 ms, jittered 40 ms at least)


@pytest.mark.parametrize("flow", ["plain", "cancel_listed"])
def test_a_cancelled_error_raised_by_the_call_is_never_retried(
    flow_module: ModuleType, steps: ModuleType, script: Any, flow: str
) -> None:
    key = script("cancels", asyncio.CancelledError(), 1)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(getattr(flow_module, flow)(key=key))
    assert len(steps.starts[key]) == 1


@pytest.mark.parametrize(
    ("flow", "outcomes"),
    [
        ("plain", [5.0, 1]),  # cancelled during the attempt
        ("cancel_listed", [5.0, 1]),
        ("backed", [ValueError(), 1]),  # cancelled while waiting 20 ms to retry
    ],
)
def test_a_cancelled_run_makes_no_more_attempts(
    flow_module: ModuleType, steps: ModuleType, script: Any, flow: str, outcomes: list[object]
) -> None:
    key = script("cut", *outcomes)

    async def main() -> None:
        run = asyncio.create_task(getattr(flow_module, flow)(key=key))
        await asyncio.sleep(0.01)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        await asyncio.sleep(0.05)

    asyncio.run(main())
    assert len(steps.starts[key]) == 1
    assert steps.scripts[key] == [1]


def test_a_node_waiting_to_retry_holds_no_slot_of_the_flow_limit(
    flow_module: ModuleType, steps: ModuleType, script: Any
) -> None:
    early = script("early", ValueError(), 3)
    wait, late = script("wait", 0.01), script("late", 0.02)
    assert asyncio.run(flow_module.limited(key=early, wait_key=wait, late_key=late)) == 3
    first, retry = steps.starts[early]
    assert retry - first >= 0.1 - MS
    # `late` ran its 20 ms while `early` waited to retry.
    assert first < steps.starts[late][0] <= retry - 0.02


def test_a_map_element_waiting_to_retry_stays_in_flight_for_the_map_limit(
    flow_module: ModuleType, steps: ModuleType, script: Any
) -> None:
    """docs/language.md: an element waiting to retry keeps its place in the map's `limit`."""
    a, b = script("a", ValueError(), 1), script("b", 0.02)
    assert asyncio.run(flow_module.map_limited(keys=[a, b])) == [1, 0]
    first, retry = steps.starts[a]
    assert retry - first >= 0.1 - MS
    # `b` starts only once `a` has retried and ended.
    assert steps.starts[b][0] >= retry
