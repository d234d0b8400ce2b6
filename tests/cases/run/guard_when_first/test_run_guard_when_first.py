import asyncio
from types import ModuleType

import pytest


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_when_first"] == []


@pytest.fixture(autouse=True)
def fresh(steps: ModuleType) -> None:
    steps.calls.clear()


@pytest.mark.parametrize(
    ("x", "tags"),
    [(4, []), (3, []), (50, []), (50, ["vip"]), (200, []), (100, ["a", "b"]), (-7, []), (-7, ["vip"])],
)
def test_a_switch_runs_only_the_branches_whose_condition_holds(
    flow_module: ModuleType, steps: ModuleType, x: int, tags: list[str]
) -> None:
    # The conditions of guard_when_first.flow's `route`, in Python.
    low = x * 10 if x < 10 and x != 3 else None
    high = x * 1000 if 10 <= x <= 100 and "vip" not in tags else None
    vip = x * 1000 if "vip" in tags or not x > -5 else None
    picked = next((v for v in (low, high, vip) if v is not None), None)
    result = asyncio.run(flow_module.route(x=x, tags=tags))
    assert (result.seen, result.picked) == (repr(low), repr(picked))
    ran = ["small"] * (low is not None) + ["large"] * ((high is not None) + (vip is not None))
    assert sorted(steps.calls) == sorted(ran + ["show", "show"])  # the nodes after still run


def test_first_skips_a_falsy_value_that_is_not_none(flow_module: ModuleType) -> None:
    # x = 0: `low` is 0, not None, so `first` takes it though `vip` has a value too.
    assert asyncio.run(flow_module.route(x=0, tags=["vip"])).picked == "0"


@pytest.mark.parametrize(
    ("x", "out", "ran"),
    [
        (4, 5, ["fetch"]),  # rush: fetched
        (5, 6, ["fetch"]),  # bulk: fetched
        (6, 7, ["fetch"]),  # pallet: fetched
        (7, 0, []),  # other: both skipped, `first` takes its last argument
        (105, -105, ["fetch", "backup"]),  # bulk, too large: falls back
        (106, -106, ["fetch", "backup"]),
    ],
)
def test_conditions_on_a_node_with_a_fallback_call(
    flow_module: ModuleType, steps: ModuleType, x: int, out: int, ran: list[str]
) -> None:
    assert asyncio.run(flow_module.by_kind(x=x)) == out
    assert steps.calls == ran


def test_the_branch_without_fallback_fails_the_run(flow_module: ModuleType, steps: ModuleType) -> None:
    with pytest.raises(ValueError, match="too large"):
        asyncio.run(flow_module.by_kind(x=104))  # rush, too large
    assert steps.calls == ["fetch"]


def test_a_skipped_map_is_none(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.sizes(xs=[1, 2, 3], enabled=True)) == 3
    assert steps.calls == ["fetch"] * 3
    steps.calls.clear()
    assert asyncio.run(flow_module.sizes(xs=[1, 2, 3], enabled=False)) == -1
    assert steps.calls == []
