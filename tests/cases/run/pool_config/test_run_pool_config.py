import asyncio
import inspect
import typing
from collections.abc import Callable
from types import ModuleType

import pytest


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["pool_config"] == []


@pytest.fixture(autouse=True)
def fresh(steps: ModuleType) -> None:
    steps.reset()


def peak_of_a_run(flows: ModuleType, steps: ModuleType, n: int = 12) -> int:
    steps.reset()
    assert asyncio.run(flows.many(xs=list(range(n)))) == list(range(n))
    return int(steps.peak)


async def until(condition: Callable[[], bool]) -> None:
    """Wait until `condition()` holds: a generous bound, never a timing assertion."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the condition never held")


async def settle() -> None:
    """Let every task that can go on do so (the calls here end only when told)."""
    for _ in range(20):
        await asyncio.sleep(0)


def test_configure_pool_is_public_and_typed(flow_module: ModuleType) -> None:
    assert "configure_pool" in flow_module.__all__
    hints = typing.get_type_hints(flow_module.configure_pool)
    assert hints == {"name": str, "limit": int | None, "rate": int | None, "per": float | None, "return": type(None)}
    keyword_only = inspect.signature(flow_module.configure_pool).parameters
    assert [p.kind for p in keyword_only.values()] == [inspect.Parameter.POSITIONAL_OR_KEYWORD] + [
        inspect.Parameter.KEYWORD_ONLY
    ] * 3


def test_configure_pool_changes_the_peak_of_the_next_runs(flow_module: ModuleType, steps: ModuleType) -> None:
    assert peak_of_a_run(flow_module, steps) == 2
    flow_module.configure_pool("api", limit=5)
    assert peak_of_a_run(flow_module, steps) == 5
    flow_module.configure_pool("api", limit=1)
    assert peak_of_a_run(flow_module, steps) == 1
    flow_module.configure_pool("api")  # nothing given: nothing changes
    assert peak_of_a_run(flow_module, steps) == 1


def test_lowering_the_limit_cancels_no_call_in_flight(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset(gate=True)
    flow_module.configure_pool("api", limit=4)

    async def main() -> list[int]:
        run = asyncio.ensure_future(flow_module.many(xs=list(range(8))))
        await until(lambda: steps.started == [0, 1, 2, 3])
        flow_module.configure_pool("api", limit=2)
        await settle()
        assert steps.running == 4 and not run.done()  # every call in flight goes on
        steps.gate(0).set()
        await settle()
        assert steps.started == [0, 1, 2, 3]  # three in flight, two allowed: nothing starts
        steps.gate(1).set()
        steps.gate(2).set()
        await until(lambda: len(steps.started) == 5)
        await settle()
        assert steps.started == [0, 1, 2, 3, 4] and steps.running == 2
        steps.peak = steps.running
        for x in range(3, 8):
            steps.gate(x).set()
        return list(await asyncio.wait_for(run, timeout=5))

    assert asyncio.run(main()) == list(range(8))
    assert steps.peak == 2  # from the lowering on, never more than the new limit


def test_raising_the_limit_starts_waiting_calls_at_once(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset(gate=True)
    flow_module.configure_pool("api", limit=1)

    async def main() -> list[int]:
        run = asyncio.ensure_future(flow_module.many(xs=list(range(6))))
        await until(lambda: steps.started == [0])
        await settle()
        assert steps.started == [0]
        flow_module.configure_pool("api", limit=4)
        await until(lambda: len(steps.started) == 4)
        await settle()
        # Three waiting calls started while the first still holds its slot, in their order.
        assert steps.started == [0, 1, 2, 3] and steps.running == 4
        for x in range(6):
            steps.gate(x).set()
        return list(await asyncio.wait_for(run, timeout=5))

    assert asyncio.run(main()) == list(range(6))
    assert steps.peak == 4


def test_an_unknown_pool_is_a_key_error_listing_the_pools(flow_module: ModuleType, steps: ModuleType) -> None:
    with pytest.raises(KeyError) as raised:
        flow_module.configure_pool("apo", limit=3)
    assert raised.value.args[0] == "no pool named 'apo'; the pools of this module are 'api', 'paced'"
    assert peak_of_a_run(flow_module, steps) == 2


@pytest.mark.parametrize(
    ("settings", "error"),
    [({"limit": 0}, ValueError), ({"rate": 0}, ValueError), ({"per": -1.0}, ValueError), ({"limit": "3"}, TypeError)],
)
def test_invalid_values_are_refused_and_change_nothing(
    flow_module: ModuleType, steps: ModuleType, settings: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error, match="pool `(api|paced)`"):
        flow_module.configure_pool("api", **settings)
    assert peak_of_a_run(flow_module, steps) == 2


def test_a_rate_is_changed_with_its_window_or_not_at_all(flow_module: ModuleType) -> None:
    flow_module.configure_pool("paced", rate=20, per=0.05)
    flow_module.configure_pool("paced", rate=50)  # the window stays 0.05 s
    flow_module.configure_pool("api", limit=8)

    async def main() -> list[int]:
        return list(await asyncio.gather(*(flow_module.two_pools(xs=[1, 2]) for _ in range(5))))

    assert asyncio.run(main()) == [2] * 5
    with pytest.raises(ValueError, match="pool `api` has no rate window: give `per` with `rate`"):
        flow_module.configure_pool("api", rate=5)
