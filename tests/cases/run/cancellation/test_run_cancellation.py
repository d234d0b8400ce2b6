import asyncio
from types import ModuleType

RUNNING = ["careful", "deep_a", "deep_b", "element", "element", "plain"]


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["cancellation"] == []


async def cancel_mid_run(flow_module: ModuleType, steps: ModuleType) -> dict[str, object]:
    """Start a run, cancel it once every first node is running, and say what was seen."""
    run = asyncio.create_task(flow_module.busy(x=1, xs=[1, 2, 3, 4]))
    async with asyncio.timeout(4):
        while len(steps.started) < len(RUNNING):
            await asyncio.sleep(0.001)
    running = sorted(steps.started)
    run.cancel()
    try:
        await run
    except asyncio.CancelledError:
        outcome = "cancelled"
    else:
        outcome = "returned"
    seen = {
        "outcome": outcome,
        "running": running,
        "cancelled": sorted(steps.cancelled),
        "cleaned": list(steps.cleaned),
        "tasks_left": len(asyncio.all_tasks()) - 1,
    }
    await asyncio.sleep(0.02)  # nothing starts after the run ended
    seen["started_after"] = sorted(steps.started)
    return seen


def test_caller_cancels_a_run(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    seen = asyncio.run(cancel_mid_run(flow_module, steps))
    assert seen["outcome"] == "cancelled"
    assert seen["running"] == RUNNING
    assert seen["cancelled"] == RUNNING  # every running node saw the cancellation
    assert seen["cleaned"] == ["careful"]  # and was awaited before the caller saw it
    assert seen["tasks_left"] == 0
    assert seen["started_after"] == RUNNING  # no waiting element or later node started


def test_the_module_runs_again_after_a_cancelled_run(flow_module: ModuleType, steps: ModuleType) -> None:
    async def main() -> list[str]:
        steps.reset()
        await cancel_mid_run(flow_module, steps)
        steps.reset()
        await cancel_mid_run(flow_module, steps)
        return sorted(steps.cancelled)

    assert asyncio.run(main()) == RUNNING
