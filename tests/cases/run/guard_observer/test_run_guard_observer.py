import asyncio
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

MS = 0.001


def node_lines() -> dict[tuple[str, str], int]:
    """(flow, node) -> the line of the node in guard_observer.flow."""
    lines: dict[tuple[str, str], int] = {}
    flow = ""
    text = (Path(__file__).parent / "guard_observer.flow").read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if m := re.match(r"flow (\w+)", line):
            flow = m.group(1)
        elif m := re.match(r"\s+node (\w+) =", line):
            lines[flow, m.group(1)] = number
    return lines


LINES = node_lines()


class Recorder:
    """An observer that keeps every event, and every duration apart."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.durations: list[float] = []

    def node_started(self, node: Any, index: int | None, attempt: int) -> None:
        self.events.append(("started", node, index, attempt))

    def node_finished(self, node: Any, index: int | None, attempt: int, duration: float) -> None:
        self.events.append(("finished", node, index, attempt))
        self.durations.append(duration)

    def node_retrying(self, node: Any, index: int | None, attempt: int, error: BaseException, delay: float) -> None:
        self.events.append(("retrying", node, index, attempt, error, delay))

    def node_failed(self, node: Any, index: int | None, attempt: int, error: BaseException, duration: float) -> None:
        self.events.append(("failed", node, index, attempt, error))
        self.durations.append(duration)

    def node_skipped(self, node: Any) -> None:
        self.events.append(("skipped", node))


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["guard_observer"] == []


@pytest.fixture
def at(flow_module: ModuleType) -> Any:
    """The `NodeInfo` an observer is given for node `node` of flow `flow`."""

    def info(flow: str, node: str) -> Any:
        return flow_module.NodeInfo(flow, node, f"guard_observer.flow:{LINES[flow, node]}")

    return info


@pytest.fixture
def script(steps: ModuleType) -> Any:
    steps.scripts.clear()

    def give(key: str, *outcomes: object) -> str:
        steps.scripts[key] = list(outcomes)
        return key

    return give


def test_start_and_finish_of_each_node(flow_module: ModuleType, at: Any) -> None:
    observer = Recorder()
    assert asyncio.run(flow_module.chain(x=3, observer=observer)) == 7
    a, b = at("chain", "a"), at("chain", "b")
    assert observer.events == [
        ("started", a, None, 1),
        ("finished", a, None, 1),
        ("started", b, None, 1),  # a `sync` node too
        ("finished", b, None, 1),
    ]
    assert observer.durations[0] >= 0.01 - MS  # `step` sleeps 10 ms
    assert 0 <= observer.durations[1] < observer.durations[0]
    assert all(isinstance(event[1], flow_module.NodeInfo) for event in observer.events)


def test_without_an_observer_the_flows_work_as_before(flow_module: ModuleType, script: Any) -> None:
    assert asyncio.run(flow_module.chain(x=3)) == asyncio.run(flow_module.chain(x=3, observer=None)) == 7
    assert asyncio.run(flow_module.retried(key=script("quiet", ValueError(), 5))) == 5
    assert asyncio.run(flow_module.mapped(xs=[1, 2])) == [2, 4]


def test_each_retry_with_its_attempt_error_and_delay(flow_module: ModuleType, at: Any, script: Any) -> None:
    first, second = ValueError("first"), KeyError("second")
    observer = Recorder()
    assert asyncio.run(flow_module.retried(key=script("twice", first, second, 5), observer=observer)) == 5
    call = at("retried", "call")
    assert observer.events == [
        ("started", call, None, 1),
        ("failed", call, None, 1, first),
        ("retrying", call, None, 1, first, 0.005),
        ("started", call, None, 2),
        ("failed", call, None, 2, second),
        ("retrying", call, None, 2, second, 0.01),
        ("started", call, None, 3),
        ("finished", call, None, 3),
    ]


def test_the_last_failure(flow_module: ModuleType, at: Any, script: Any) -> None:
    first, last = ValueError("first"), ValueError("last")
    observer = Recorder()
    with pytest.raises(ValueError) as caught:
        asyncio.run(flow_module.failing(key=script("fails", first, last), observer=observer))
    assert caught.value is last
    call = at("failing", "call")
    assert observer.events == [
        ("started", call, None, 1),
        ("failed", call, None, 1, first),
        ("retrying", call, None, 1, first, 0.0),  # no backoff: at once
        ("started", call, None, 2),
        ("failed", call, None, 2, last),
    ]


def test_a_failure_that_falls_back_is_still_reported(flow_module: ModuleType, at: Any, script: Any) -> None:
    error = LookupError("gone")
    observer = Recorder()
    assert asyncio.run(flow_module.fallen(key=script("gone", error), observer=observer)) == "none"
    call = at("fallen", "call")
    assert observer.events == [("started", call, None, 1), ("failed", call, None, 1, error)]


@pytest.mark.parametrize(("x", "ran", "skipped"), [(1, "yes", "no"), (-1, "no", "yes")])
def test_a_skipped_node(flow_module: ModuleType, at: Any, x: int, ran: str, skipped: str) -> None:
    observer = Recorder()
    assert asyncio.run(flow_module.switched(x=x, observer=observer)) == x * 4
    node, other, out = at("switched", ran), at("switched", skipped), at("switched", "out")
    # `yes` and `no` run side by side: each one's events in order, then `out`'s.
    assert sorted(observer.events[:3], key=str) == sorted(
        [("started", node, None, 1), ("finished", node, None, 1), ("skipped", other)], key=str
    )
    assert observer.events.index(("started", node, None, 1)) < observer.events.index(("finished", node, None, 1))
    assert observer.events[3:] == [("started", out, None, 1), ("finished", out, None, 1)]


def test_map_elements_carry_their_index(flow_module: ModuleType, at: Any) -> None:
    observer = Recorder()
    assert asyncio.run(flow_module.mapped(xs=[5, 6, 7], observer=observer)) == [10, 12, 14]
    node = at("mapped", "each_x")
    started = [event for event in observer.events if event[0] == "started"]
    assert started == [("started", node, index, 1) for index in range(3)]  # in input order
    finished = [event for event in observer.events if event[0] == "finished"]
    assert sorted(finished, key=str) == [("finished", node, index, 1) for index in range(3)]
    assert len(observer.events) == 6


def test_a_timeout(flow_module: ModuleType, at: Any) -> None:
    observer = Recorder()
    with pytest.raises(TimeoutError):
        asyncio.run(flow_module.timed(delay=5.0, observer=observer))
    wait = at("timed", "wait")
    assert [event[:4] for event in observer.events] == [("started", wait, None, 1), ("failed", wait, None, 1)]
    assert isinstance(observer.events[1][4], TimeoutError)
    assert 0.02 - MS <= observer.durations[0] < 2.0


def test_a_cancelled_run(flow_module: ModuleType, at: Any) -> None:
    observer = Recorder()

    async def main() -> None:
        run = asyncio.create_task(flow_module.waiting(delay=5.0, observer=observer))
        await asyncio.sleep(0.005)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(main())
    wait = at("waiting", "wait")
    assert [event[:4] for event in observer.events] == [("started", wait, None, 1), ("failed", wait, None, 1)]
    assert isinstance(observer.events[1][4], asyncio.CancelledError)


def test_a_failure_cancels_the_running_sibling(flow_module: ModuleType, at: Any, script: Any) -> None:
    error = OSError("down")
    observer = Recorder()
    with pytest.raises(OSError):
        asyncio.run(flow_module.racing(key=script("down", error), delay=5.0, observer=observer))
    call, wait = at("racing", "call"), at("racing", "wait")
    by_node = {node: [e for e in observer.events if e[1] == node] for node in (call, wait)}
    assert by_node[call] == [("started", call, None, 1), ("failed", call, None, 1, error)]
    assert [event[:4] for event in by_node[wait]] == [("started", wait, None, 1), ("failed", wait, None, 1)]
    assert isinstance(by_node[wait][1][4], asyncio.CancelledError)
    assert len(observer.events) == 4


def test_a_sub_flow_reports_to_the_same_observer(flow_module: ModuleType, at: Any) -> None:
    observer = Recorder()
    assert asyncio.run(flow_module.nested(x=1, observer=observer)) == 3
    inner, a, b = at("nested", "inner"), at("chain", "a"), at("chain", "b")
    assert [event[:2] for event in observer.events] == [
        ("started", inner),
        ("started", a),
        ("finished", a),
        ("started", b),
        ("finished", b),
        ("finished", inner),
    ]
