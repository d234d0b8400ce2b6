import asyncio
import threading
from types import ModuleType


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["sync_thread"] == []


def test_results(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    result = asyncio.run(flow_module.mixed(x=5, tags=["e1", "e2", "e3"]))
    assert result == flow_module.MixedResult(
        loop_value=6, thread_value=10, met=["left", "right"], places=["E1", "E2", "E3"]
    )


def test_sync_runs_on_the_loop_thread_and_thread_elsewhere(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    asyncio.run(flow_module.mixed(x=5, tags=["e1", "e2", "e3"]))
    main = threading.get_ident()
    assert steps.threads["on_loop"] == main
    assert steps.loop_running["on_loop"] is True
    for name in ["in_thread", "left", "right", "e1", "e2", "e3"]:
        assert steps.threads[name] != main, name
        assert steps.loop_running[name] is False, name


def test_thread_nodes_run_concurrently(flow_module: ModuleType, steps: ModuleType) -> None:
    # `left` and `right` each wait at a two-party barrier: the run finishes only if both
    # were running at once, in two different worker threads.
    steps.reset()
    asyncio.run(flow_module.mixed(x=0, tags=[]))
    assert steps.threads["left"] != steps.threads["right"]
    assert not steps.barrier.broken
