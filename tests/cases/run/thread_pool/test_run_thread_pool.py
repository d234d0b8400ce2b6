import asyncio
from types import ModuleType

import pytest


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["thread_pool"] == []


@pytest.mark.parametrize("flow", ["calls", "limited"])
def test_at_most_two_threads_run_at_once(flow_module: ModuleType, steps: ModuleType, flow: str) -> None:
    steps.reset()
    # Six calls of 50 ms, each abandoned by its 10 ms timeout; `asyncio.run` waits for the
    # worker threads before it returns.
    results = asyncio.run(getattr(flow_module, flow)(seconds=[0.05] * 6))
    assert [type(r).__name__ for r in results] == ["TimeoutError"] * 6
    assert steps.ended == 6
    assert steps.peak <= 2


def test_quick_calls_return_their_values(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    assert asyncio.run(flow_module.quick(seconds=[0.0] * 5)) == [1] * 5
    assert steps.peak <= 2
