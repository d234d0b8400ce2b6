import asyncio
from types import ModuleType


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["map_limit"] == []


def test_limit_holds_exactly(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    result = asyncio.run(flow_module.limited(xs=list(range(20))))
    assert steps.peak == 3
    assert steps.in_flight == 0
    assert result == [x * x for x in range(20)]


def test_elements_start_in_input_order_and_results_keep_it(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    xs = [5, 3, 8, 1, 9, 2, 7]
    result = asyncio.run(flow_module.limited(xs=xs))
    assert steps.started == xs
    assert steps.ended != xs  # they ended out of order ...
    assert result == [x * x for x in xs]  # ... and still come back in input order


def test_empty_input(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    assert asyncio.run(flow_module.limited(xs=[])) == []
    assert asyncio.run(flow_module.unlimited(xs=[], total=0)) == []
    assert steps.started == []


def test_without_limit_every_element_is_in_flight_at_once(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    result = asyncio.run(flow_module.unlimited(xs=list(range(20)), total=20))
    assert steps.peak == 20
    assert steps.started == list(range(20))
    # Every element ended, each after its own sleep: the last one started sleeps 0.5 ms and
    # the first 10 ms, a margin no loop lag between their starts comes near. (The exact end
    # order of sleeps 0.5 ms apart is not asserted: their starts are spread by the loop.)
    assert sorted(steps.ended) == list(range(20))
    assert steps.ended.index(19) < steps.ended.index(0)
    assert result == [f"#{x}" for x in range(20)]


def test_no_task_left(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> int:
        await flow_module.limited(xs=list(range(5)))
        await flow_module.unlimited(xs=list(range(5)), total=5)
        return len(asyncio.all_tasks()) - 1

    steps.reset()
    assert asyncio.run(main()) == 0
