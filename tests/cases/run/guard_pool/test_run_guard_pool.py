import asyncio
from types import ModuleType
from typing import Any

import pytest

LIMIT = 3  # pool p's


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_pool"] == []


@pytest.fixture(autouse=True)
def fresh(steps: ModuleType) -> None:
    steps.peak = 0
    steps.stamps.clear()


async def busy(flows: ModuleType) -> list[Any]:
    """Four runs of two flows at once: twelve calls want pool p."""
    return await asyncio.wait_for(
        asyncio.gather(
            flows.many(items=[1, 2, 3, 4]), flows.pair(x=5), flows.many(items=[6, 7, 8, 9]), flows.pair(x=10)
        ),
        timeout=2.0,  # a lost slot fails the test rather than hanging it
    )


async def full_use(flows: ModuleType, steps: ModuleType) -> int:
    """The peak of a run that wants more than every slot: LIMIT if all are free."""
    steps.peak = 0
    assert await asyncio.wait_for(flows.many(items=list(range(6))), timeout=2.0) == list(range(6))
    return int(steps.peak)


def test_the_limit_holds_across_runs_of_every_flow(flow_module: ModuleType, steps: ModuleType) -> None:
    results = asyncio.run(busy(flow_module))
    assert results == [[1, 2, 3, 4], 10, [6, 7, 8, 9], 20]
    assert steps.peak == LIMIT


def test_the_limit_holds_on_the_next_event_loop(flow_module: ModuleType, steps: ModuleType) -> None:
    for _ in range(2):
        steps.peak = 0
        asyncio.run(busy(flow_module))
        assert steps.peak == LIMIT
        assert asyncio.run(full_use(flow_module, steps)) == LIMIT


def test_failures_release_their_slots(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> int:
        outcomes = await asyncio.gather(
            flow_module.many(items=[-1, -2, -3, -4]), flow_module.pair(x=-5), return_exceptions=True
        )
        assert [type(outcome) for outcome in outcomes] == [ValueError, ValueError]
        return await full_use(flow_module, steps)

    assert asyncio.run(main()) == LIMIT


def test_timeouts_release_their_slots(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> int:
        with pytest.raises(TimeoutError):
            await flow_module.timed(items=[1000] * 5)
        return await full_use(flow_module, steps)

    assert asyncio.run(main()) == LIMIT


def test_cancelled_runs_release_their_slots(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> int:
        # Three calls hold the pool, five more wait for it; then both runs are cancelled.
        runs = [asyncio.ensure_future(flow_module.many(items=[1000] * 4)) for _ in range(2)]
        await asyncio.sleep(0.01)
        assert steps.running == LIMIT
        for run in runs:
            run.cancel()
        await asyncio.wait(runs)
        assert all(run.cancelled() for run in runs)
        return await full_use(flow_module, steps)

    assert asyncio.run(main()) == LIMIT


def test_a_node_waiting_to_retry_holds_no_slot(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.backing(x=1)) == 1
    at = {what: t for what, t in steps.stamps}
    early = [t for what, t in steps.stamps if what == "early start"]
    assert len(early) == 2 and early[1] - early[0] >= 0.1 - 0.001
    # `late` took the only slot while `early` waited, and gave it back before the retry.
    assert early[0] < at["late start"] < at["late end"] <= early[1]
