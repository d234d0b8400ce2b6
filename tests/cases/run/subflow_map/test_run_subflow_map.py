import asyncio
from types import ModuleType


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["subflow_map"] == []


def test_limit_bounds_the_sub_flow_runs_and_their_work(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    result = asyncio.run(flow_module.batch(xs=list(range(12))))
    assert result == [111 * x for x in range(12)]
    assert steps.runs_peak == 2
    assert steps.working_peak == 4  # two runs, each with its two `work` nodes in parallel
    assert steps.runs == steps.working == 0


def test_sub_flow_alone(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    assert asyncio.run(flow_module.item(x=3)) == 333
    assert steps.working_peak == 2


def test_no_task_left(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> int:
        await flow_module.batch(xs=list(range(6)))
        return len(asyncio.all_tasks()) - 1

    steps.reset()
    assert asyncio.run(main()) == 0
