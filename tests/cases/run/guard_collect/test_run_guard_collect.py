import asyncio
from types import ModuleType

import pytest


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_collect"] == []


@pytest.fixture(autouse=True)
def fresh(steps: ModuleType) -> None:
    steps.plans.clear()
    steps.events.clear()
    steps.peak = 0


def attempts(steps: ModuleType, item: int) -> int:
    return steps.events.count((item, "start"))


def test_a_failed_element_fails_nothing_else(flow_module: ModuleType, steps: ModuleType) -> None:
    error = ValueError("bad 2")
    steps.plans.update({1: [0.03], 2: [error], 4: [0.01]})
    results = asyncio.run(flow_module.gather(items=[1, 2, 3, 4]))
    assert results == [2, error, 6, 8]
    assert results[1] is error
    assert "element 1" in error.__notes__[-1] and "node `results`" in error.__notes__[-1]
    # The slow elements ran to the end after the failure, none was cancelled.
    assert [item for item, what in steps.events if what == "done"] == [3, 4, 1]
    assert not [item for item, what in steps.events if what == "cancelled"]


def test_every_element_may_fail(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.plans.update({1: [KeyError(1)], 2: [OSError(2)]})
    results = asyncio.run(flow_module.gather(items=[1, 2]))
    assert [type(result) for result in results] == [KeyError, OSError]
    assert asyncio.run(flow_module.gather(items=[])) == []


def test_retries_and_timeouts_apply_to_each_element(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.plans.update(
        {
            1: [ValueError(), ValueError(), 0.0],  # succeeds on its last attempt
            2: [ValueError(), ValueError(), ValueError("third")],  # fails every attempt
            3: [5.0, 0.0],  # times out once
            4: [5.0, 5.0, 5.0],  # times out every attempt
        }
    )
    results = asyncio.run(flow_module.patient(items=[1, 2, 3, 4, 5]))
    assert results[0] == 2 and results[2] == 6 and results[4] == 10
    assert isinstance(results[1], ValueError) and str(results[1]) == "third"
    assert isinstance(results[3], TimeoutError)
    assert [attempts(steps, item) for item in [1, 2, 3, 4, 5]] == [3, 3, 2, 3, 1]
    assert steps.events.count((4, "cancelled")) == 3


def test_collect_with_a_limit_and_a_consumer(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.plans.update({item: [0.01] for item in range(6)})
    steps.plans[3] = [RuntimeError()]
    assert asyncio.run(flow_module.counted(items=list(range(6)))) == 5  # all but item 3
    assert steps.peak == 2


def test_a_cancelled_run_collects_nothing(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.plans.update({1: [5.0], 2: [5.0]})

    async def main() -> None:
        run = asyncio.create_task(flow_module.gather(items=[1, 2]))
        await asyncio.sleep(0.01)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(main())
    assert sorted(steps.events) == [(1, "cancelled"), (1, "start"), (2, "cancelled"), (2, "start")]
