import asyncio
from types import ModuleType

import pytest


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_fallback"] == []


@pytest.fixture(autouse=True)
def fresh(steps: ModuleType) -> None:
    steps.calls.clear()
    steps.slow.clear()
    steps.broken.clear()


def test_the_call_value_when_it_succeeds(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.value(key="one")) == 1
    assert asyncio.run(flow_module.called(key="one")) == 1
    assert steps.calls == ["lookup one", "lookup one"]  # no fallback call


def test_the_fallback_value_when_it_fails(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.value(key="two")) == "none"
    assert steps.calls == ["lookup two"]


def test_the_fallback_call_is_made_once_after_the_retries(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.called(key="two", default=42)) == 42
    assert steps.calls == ["lookup two", "lookup two", "backup two"]


def test_a_failing_fallback_call_fails_the_run(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.broken.add("two")
    with pytest.raises(LookupError, match="no backup for two") as caught:
        asyncio.run(flow_module.called(key="two"))
    assert any("node `got`" in note for note in getattr(caught.value, "__notes__", []))
    assert steps.calls == ["lookup two", "lookup two", "backup two"]


def test_a_timeout_falls_back_to_an_upstream_node(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.slow["one"] = 5.0
    assert asyncio.run(flow_module.consumed(key="one")) == "#7"
    steps.slow["one"] = 0.0
    assert asyncio.run(flow_module.consumed(key="one")) == "#1"


def test_a_branch_that_falls_back_cancels_nothing(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.sibling(key="two", delay=0.03)) == 0
    assert steps.calls[-1] == "pause end"


def test_a_cancelled_call_does_not_fall_back(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.slow["one"] = 5.0

    async def main() -> None:
        run = asyncio.create_task(flow_module.called(key="one"))
        await asyncio.sleep(0.01)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(main())
    assert steps.calls == ["lookup one"]


def test_a_map_falls_back_for_each_failed_element(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.each_key(keys=["one", "two", "other", "three"])) == [1, -1, 7, -1]
    assert sorted(steps.calls) == ["lookup one", "lookup other", "lookup three", "lookup two"]


def test_a_sync_node_falls_back_to_a_sync_call(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.plain(key="one")) == 1
    assert asyncio.run(flow_module.plain(key="seven")) == len("seven")
    assert steps.calls == ["lookup_now one", "lookup_now seven", "backup_now seven"]


def test_the_fallback_may_call_a_flow_of_the_file(flow_module: ModuleType, steps: ModuleType) -> None:
    assert asyncio.run(flow_module.via_flow(key="other")) == 7
    assert steps.calls == ["lookup other"]
    steps.calls.clear()
    assert asyncio.run(flow_module.via_flow(key="two")) == 1  # `called(key="one")`
    assert steps.calls == ["lookup two", "lookup one"]
