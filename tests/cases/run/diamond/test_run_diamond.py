import asyncio
from types import ModuleType


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["diamond"] == []


def test_result_and_concurrency(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.events.clear()
    assert asyncio.run(flow_module.diamond(x=4)) == 5 * 2 + 5 * 3
    at = {(name, what): t for name, what, t in steps.events}
    # Both branches start after prepare ends, and before either of them ends.
    assert at["prepare", "end"] <= at["double", "start"] < at["triple", "end"]
    assert at["prepare", "end"] <= at["triple", "start"] < at["double", "end"]
    assert at["add", "start"] >= max(at["double", "end"], at["triple", "end"])


def test_no_task_left(flow_module: ModuleType) -> None:
    async def main() -> int:
        await flow_module.diamond(x=1)
        return len(asyncio.all_tasks()) - 1

    assert asyncio.run(main()) == 0
