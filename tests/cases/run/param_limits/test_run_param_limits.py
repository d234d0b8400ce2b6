import asyncio
from types import ModuleType
from typing import Any

import pytest


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["param_limits"] == []


@pytest.fixture(autouse=True)
def fresh(steps: ModuleType) -> None:
    steps.reset()


@pytest.mark.parametrize("width", [1, 3, 5])
def test_a_map_limit_from_a_parameter_is_the_peak(flow_module: ModuleType, steps: ModuleType, width: int) -> None:
    xs = list(range(12))
    assert asyncio.run(flow_module.fan(tag="fan", xs=xs, width=width)) == xs
    assert steps.peaks["fan"] == width
    assert steps.calls["fan"] == 12


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_flow_limit_from_a_parameter_is_the_peak(
    flow_module: ModuleType, steps: ModuleType, concurrency: int
) -> None:
    xs = list(range(10))
    assert asyncio.run(flow_module.limited(tag="lim", xs=xs, concurrency=concurrency)) == sum(xs) + 100
    assert steps.peaks["lim"] == concurrency


def test_a_flow_limit_takes_its_default(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.limited(tag="dflt", xs=list(range(10)))) == 145
    assert steps.peaks["dflt"] == 2


def test_runs_with_other_limits_at_once_keep_their_own(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> list[list[int]]:
        return list(
            await asyncio.gather(
                flow_module.fan(tag="two", xs=list(range(8)), width=2),
                flow_module.fan(tag="six", xs=list(range(8)), width=6),
                flow_module.nested(tag="sub", xs=list(range(8)), width=3),
            )
        )

    assert asyncio.run(main()) == [list(range(8))] * 3
    assert (steps.peaks["two"], steps.peaks["six"], steps.peaks["sub"]) == (2, 6, 3)


def test_a_flow_timeout_from_a_parameter(flow_module: ModuleType) -> None:
    assert asyncio.run(flow_module.bounded(seconds=0.001, wait=5.0)) == 0.001
    with pytest.raises(TimeoutError):
        asyncio.run(flow_module.bounded(seconds=5.0, wait=0.02))


def test_a_node_timeout_from_a_parameter(flow_module: ModuleType) -> None:
    assert asyncio.run(flow_module.hasty(seconds=0.001, wait=5.0)) == 0.001
    assert asyncio.run(flow_module.hasty(seconds=5.0, wait=0.02)) == -1.0  # timed out: the fallback
    assert asyncio.run(flow_module.patient(seconds=0.001, wait=5)) == 0.001  # whole seconds, an int


@pytest.mark.parametrize(("attempts", "calls"), [(0, 1), (1, 2), (3, 3)])
def test_a_retry_count_from_a_parameter(flow_module: ModuleType, steps: ModuleType, attempts: int, calls: int) -> None:
    """`flaky` fails twice: with `attempts` retries it is called `calls` times."""
    key = f"k{attempts}"
    if attempts >= 2:
        assert asyncio.run(flow_module.retried(key=key, fails=2, attempts=attempts)) == 3
    else:
        with pytest.raises(ConnectionError):
            asyncio.run(flow_module.retried(key=key, fails=2, attempts=attempts))
    assert steps.tries[key] == calls


class Observer:
    def __init__(self) -> None:
        self.events: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.events.append(name)


@pytest.mark.parametrize(
    ("flow", "arguments", "message"),
    [
        ("fan", {"tag": "t", "xs": [1], "width": 0}, "flow `fan`, node `items` (param_limits.flow:7): `limit width`"),
        (
            "limited",
            {"tag": "t", "xs": [1], "concurrency": -2},
            "flow `limited` (param_limits.flow:13): `limit concurrency`",
        ),
        (
            "nested",
            {"tag": "t", "xs": [1], "width": 1_000_000_001},
            "flow `fan`, node `items` (param_limits.flow:7): `limit width`",
        ),
        ("bounded", {"seconds": 0.0, "wait": 0.0}, "flow `bounded` (param_limits.flow:29): `timeout wait`"),
        (
            "hasty",
            {"seconds": 0.0, "wait": float("nan")},
            "flow `hasty`, node `slept` (param_limits.flow:42): `timeout wait`",
        ),
        (
            "retried",
            {"key": "t", "fails": 0, "attempts": -1},
            "flow `retried`, node `value` (param_limits.flow:50): `retry attempts`",
        ),
        (
            "retried",
            {"key": "t", "fails": 0, "attempts": 1, "delay": -1.0},
            "flow `retried`, node `value` (param_limits.flow:50): `backoff delay`",
        ),
        (
            "retried",
            {"key": "t", "fails": 0, "attempts": 1, "delay": 0.5, "cap": 0.1},
            "`max cap` needs at least the backoff",
        ),
    ],
)
def test_a_value_out_of_range_fails_before_any_node_starts(
    flow_module: ModuleType, steps: ModuleType, flow: str, arguments: dict[str, Any], message: str
) -> None:
    observer = Observer()
    with pytest.raises(ValueError) as raised:
        asyncio.run(getattr(flow_module, flow)(**arguments, observer=observer))
    assert message in str(raised.value)
    assert steps.calls.total() == 0 and steps.tries.total() == 0  # no node (not `before`, not a first one) ran
    if flow == "nested":
        # The caller's run began and called the sub-flow, whose check failed that call.
        assert observer.events == ["flow_started", "node_started", "node_failed", "flow_failed"]
    else:
        # The run never began: the observer heard nothing, not even `flow_started`.
        assert observer.events == []


def test_a_value_of_another_type_is_a_type_error(flow_module: ModuleType, steps: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"flow `fan`, node `items` .*`limit width` needs a whole number, got '3'"):
        asyncio.run(flow_module.fan(tag="t", xs=[1], width="3"))
    with pytest.raises(TypeError, match=r"`timeout wait` needs a number of seconds, got True"):
        asyncio.run(flow_module.bounded(seconds=0.0, wait=True))
    assert steps.calls.total() == 0
