import asyncio
from types import ModuleType


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["fanout200"] == []


def test_all_200_in_flight_and_joined_in_order(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    result = asyncio.run(flow_module.fanout200(x=7))
    assert steps.peak == 200
    assert steps.in_flight == 0
    assert result == [7000 + i for i in range(200)]


def test_no_task_left(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> int:
        await flow_module.fanout200(x=1)
        return len(asyncio.all_tasks()) - 1

    steps.reset()
    assert asyncio.run(main()) == 0
