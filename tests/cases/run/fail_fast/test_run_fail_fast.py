import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType

import pytest

SOURCE = (Path(__file__).parent / "fail_fast.flow").read_text(encoding="utf-8")


def line_of(node: str) -> int:
    """The line of `node NAME =` in fail_fast.flow."""
    for number, line in enumerate(SOURCE.splitlines(), start=1):
        if re.match(rf"\s*node {node}\s*=", line):
            return number
    raise AssertionError(f"no node {node}")


def fail(make: Callable[[], Awaitable[object]]) -> tuple[BaseException, int]:
    """Run a flow that must fail: its exception, and how many tasks were left besides main."""

    async def main() -> tuple[BaseException, int]:
        try:
            async with asyncio.timeout(4):
                await make()
        except BaseException as error:  # noqa: BLE001 - the test inspects what came out
            return error, len(asyncio.all_tasks()) - 1
        raise AssertionError("the flow did not fail")

    return asyncio.run(main())


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["fail_fast"] == []


def test_sibling_is_cancelled_and_the_original_error_surfaces(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    error, left = fail(lambda: flow_module.pair(x=2))
    assert type(error) is ValueError and str(error) == "bad input 2"
    assert steps.cancelled == ["sleeper"]
    assert steps.finished == []
    assert left == 0


def test_note_names_flow_node_and_line(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    error, _ = fail(lambda: flow_module.pair(x=2))
    assert error.__notes__ == [f"flowc: in flow `pair`, node `breaker` (fail_fast.flow:{line_of('breaker')})"]


def test_failure_off_the_waiting_path(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    error, left = fail(lambda: flow_module.chain(x=2))
    assert type(error) is ValueError and str(error) == "bad input 3"
    assert steps.cancelled == ["first_nap"]  # second_nap never started
    assert left == 0
    assert f"node `broken` (fail_fast.flow:{line_of('broken')})" in error.__notes__[0]


def test_failing_map_element_cancels_the_others(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    error, left = fail(lambda: flow_module.elements(xs=list(range(6))))
    assert type(error) is KeyError and error.args == (3,)
    assert sorted(steps.cancelled) == sorted(f"element {x}" for x in range(6) if x != 3)
    assert left == 0
    assert error.__notes__ == [
        f"flowc: in flow `elements`, node `each_item`, element 3 (fail_fast.flow:{line_of('each_item')})"
    ]


def test_failure_in_a_sub_flow(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    error, left = fail(lambda: flow_module.outer(x=2))
    assert type(error) is ValueError
    assert sorted(steps.cancelled) == ["outer_nap", "sleeper"]
    assert left == 0
    # The sub-flow's own note first, then the calling flow's.
    assert error.__notes__ == [
        f"flowc: in flow `pair`, node `breaker` (fail_fast.flow:{line_of('breaker')})",
        f"flowc: in flow `outer`, node `inner` (fail_fast.flow:{line_of('inner')})",
    ]


def test_not_an_exception_group(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    with pytest.raises(ValueError, match="bad input 5"):
        asyncio.run(flow_module.pair(x=5))


@pytest.mark.parametrize(("x", "y", "node"), [(-1, 2, "inline"), (1, -2, "threaded")])
def test_sync_and_thread_failures(flow_module: ModuleType, steps: ModuleType, x: int, y: int, node: str) -> None:
    steps.reset()
    error, left = fail(lambda: flow_module.plain_calls(x=x, y=y))
    assert type(error) is RuntimeError and str(error) == f"refused {min(x, y)}"
    assert error.__notes__ == [f"flowc: in flow `plain_calls`, node `{node}` (fail_fast.flow:{line_of(node)})"]
    assert steps.finished == [] and left == 0
    if node == "threaded":  # `napping` ran while the thread did: it was cancelled
        assert steps.cancelled == ["napping"]
