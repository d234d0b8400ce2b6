import asyncio
from types import ModuleType

import pytest

PER = 0.1
SLACK = 0.035  # a call may start a little after its turn, shortening the gap to a later one


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_rate"] == []


@pytest.fixture(autouse=True)
def fresh(steps: ModuleType) -> None:
    steps.starts.clear()
    steps.peak = 0


def shortest_window(starts: list[float], rate: int) -> float:
    """The shortest time in which `rate + 1` calls started: every sliding window, not only
    windows on a grid (which would let 2 * rate calls through around a boundary)."""
    times = sorted(starts)
    return min(later - earlier for earlier, later in zip(times, times[rate:]))


def test_a_burst_is_paced(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.burst(items=list(range(9)))) == list(range(9))
    assert len(steps.starts) == 9
    assert shortest_window(steps.starts, 3) >= PER - SLACK
    # Three at a time, one window after another: neither faster nor much slower.
    assert 2 * PER - SLACK <= max(steps.starts) - min(steps.starts) < 2 * PER + 0.2


def test_the_rate_is_shared_by_runs_of_every_flow(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> list[object]:
        return await asyncio.gather(
            flow_module.burst(items=[1, 2, 3]),
            flow_module.single(x=4),
            flow_module.burst(items=[5, 6]),
            flow_module.single(x=7),
        )

    assert asyncio.run(main()) == [[1, 2, 3], 4, [5, 6], 7]
    assert len(steps.starts) == 7
    assert shortest_window(steps.starts, 3) >= PER - SLACK


def test_the_rate_counts_calls_of_an_earlier_run(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> None:
        await flow_module.burst(items=[1, 2, 3])
        await flow_module.burst(items=[4, 5, 6])

    asyncio.run(main())
    assert shortest_window(steps.starts, 3) >= PER - SLACK


def test_the_rate_holds_on_one_event_loop_after_another(flow_module: ModuleType, steps: ModuleType) -> None:
    for _ in range(2):
        steps.starts.clear()
        assert asyncio.run(flow_module.burst(items=[1, 2, 3, 4])) == [1, 2, 3, 4]
        assert shortest_window(steps.starts, 3) >= PER - SLACK


def test_limit_and_rate_together(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.held(items=list(range(12)))) == list(range(12))
    assert steps.peak == 2
    assert shortest_window(steps.starts, 5) >= PER - SLACK
