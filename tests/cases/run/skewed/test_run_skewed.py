import asyncio
from types import ModuleType


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["skewed"] == []


def run(flow_module: ModuleType, steps: ModuleType) -> int:
    steps.started.clear()
    steps.ended.clear()
    result: int = asyncio.run(flow_module.skewed(x=1))
    return result


def test_result_and_each_node_starts_after_its_last_predecessor(flow_module: ModuleType, steps: ModuleType) -> None:
    # a = b = slow = 2; c = 2 + 2 + 1; d = e = 2 + 1; f = 5 + 3 + 3 + 2 + 1.
    assert run(flow_module, steps) == 14
    start, end = steps.started, steps.ended
    assert start["c"] >= max(end["a"], end["b"])
    assert start["d"] >= end["b"]
    assert start["e"] >= end["a"]
    assert start["f"] >= max(end["c"], end["d"], end["e"], end["slow"])
    # No level barrier: e needs only a (10 ms), so it runs while b (200 ms) is still sleeping.
    assert start["e"] < end["b"]
    # c and d wait for b, but not for the unrelated slow node (500 ms).
    assert start["c"] < end["slow"] and start["d"] < end["slow"]
    assert end["c"] < end["slow"] and end["d"] < end["slow"]
    # a, b and slow all start before any of them ends.
    assert max(start["a"], start["b"], start["slow"]) < min(end["a"], end["b"], end["slow"])


def test_no_task_left(flow_module: ModuleType) -> None:
    async def main() -> int:
        await flow_module.skewed(x=1)
        return len(asyncio.all_tasks()) - 1

    assert asyncio.run(main()) == 0
