import asyncio
from types import ModuleType

import pytest


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["flow_limits"] == []


def test_limit_bounds_the_node_calls_of_a_run(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    xs = list(range(10, 18))
    assert asyncio.run(flow_module.limited(tag="r", xs=xs)) == 1 + 2 + 3 + 1 + sum(xs)
    # 4 nodes and 8 map elements wanted to run, but never more than 3 at once.
    assert steps.peaks["r"] == 3
    assert steps.in_flight["r"] == 0
    assert len(steps.spans) == 12


def test_limit_is_per_run(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> list[int]:
        runs = [flow_module.limited(tag=f"r{i}", xs=[1, 2, 3, 4]) for i in range(4)]
        return list(await asyncio.gather(*runs))

    steps.reset()
    assert asyncio.run(main()) == [1 + 2 + 3 + 1 + 10] * 4
    assert [steps.peaks[f"r{i}"] for i in range(4)] == [3, 3, 3, 3]
    # Concurrent runs do not share their limit: together they had more than 3 in flight.
    assert 3 < steps.overall_peak <= 12


def test_sub_flow_call_counts_as_one(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    assert asyncio.run(flow_module.one_at_a_time(tag="s")) == 31
    left, right, plain = steps.spans["s", "left10"], steps.spans["s", "right20"], steps.spans["s", "plain1"]
    # The sub-flow holds the one slot while its own two nodes run together;
    # `plain` runs entirely before or entirely after it.
    assert left[0] < right[1] and right[0] < left[1]
    assert plain[1] <= min(left[0], right[0]) or plain[0] >= max(left[1], right[1])


def test_timeout_cancels_the_run(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> int:
        async with asyncio.timeout(5) as guard:  # the flow's own timeout is 100 ms
            with pytest.raises(TimeoutError):
                await flow_module.bounded(x=1)
        assert not guard.expired()
        return len(asyncio.all_tasks()) - 1

    steps.reset()
    assert asyncio.run(main()) == 0
    assert sorted(steps.cancelled) == ["one", "two"]


def test_run_within_its_timeout_returns(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    assert asyncio.run(flow_module.quick(x=4)) == 4
