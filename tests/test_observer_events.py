"""Observers v2 against generated code: run ids, the run-level events, fallbacks, map
summaries, observers without elements, and observers that have only some of the methods
(an observer written for the five node events keeps working). Counts and orders only, never
a time."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from flowc import compile_source, runtime_source

STEPS = """
import asyncio


async def double(x: int) -> int:
    return 2 * x


async def fragile(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative {x}")
    return x


async def slow(x: int) -> int:
    await asyncio.sleep(10)
    return x


async def cached(x: int) -> int:
    return 100 + x


def add(a: int, b: int) -> int:
    return a + b


def total(xs: list[int]) -> int:
    return sum(xs)
"""

FLOWS = """
from events_steps import double, fragile, slow, cached, total, add

flow inner(x: int) -> int {
    node d = double(x=x)
    START >> d >> END
    return d
}

flow outer(xs: list[int], go: bool) -> int {
    node vals = map fragile(x=each xs) fallback 0
    node safe = fragile(x=xs[0]) fallback cached(x=1)
    node tot = total(xs=vals) sync
    node sub = inner(x=tot)
    node maybe = double(x=sub) when go
    node kept = map fragile(x=each xs) collect
    node result = add(a=sub, b=safe) sync
    START >> [vals, safe, kept]
    vals >> tot >> sub >> [maybe, result]
    safe >> result
    [maybe, kept, result] >> END
    return result
}

flow strict(xs: list[int]) -> int {
    node vals = map fragile(x=each xs)
    node tot = total(xs=vals) sync
    START >> vals >> tot >> END
    return tot
}

flow late(x: int) -> int timeout 20ms {
    node s = slow(x=x)
    START >> s >> END
    return s
}

flow fan(xs: list[int]) -> list[int] {
    node subs = map inner(x=each xs)
    START >> subs >> END
    return subs
}
"""


@pytest.fixture(scope="module", params=["inline", "shared"])
def flows(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The flows compiled in one runtime mode (each test runs in both)."""
    folder = tmp_path_factory.mktemp("events")
    (folder / "events_steps.py").write_text(STEPS, encoding="utf-8")
    text = compile_source(FLOWS, "events.flow", runtime=request.param)
    (folder / "events_flows.py").write_text(text, encoding="utf-8")
    (folder / "_flowc_runtime.py").write_text(runtime_source(), encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("events_flows")
    finally:
        sys.path.remove(str(folder))
        for name in ("events_flows", "events_steps", "_flowc_runtime"):
            sys.modules.pop(name, None)


class Everything:
    """Records every event of every kind: (event, flow, node or run id, details)."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.runs: dict[str, Any] = {}

    def flow_started(self, run: Any) -> None:
        self.runs[run.run_id] = run
        self.events.append(("flow_started", run.flow, run.run_id))

    def flow_finished(self, run: Any, duration: float) -> None:
        assert duration >= 0
        self.events.append(("flow_finished", run.flow, run.run_id))

    def flow_failed(self, run: Any, error: BaseException, duration: float) -> None:
        assert duration >= 0
        self.events.append(("flow_failed", run.flow, run.run_id, type(error).__name__))

    def node_started(self, node: Any, index: int | None, attempt: int) -> None:
        self.events.append(("node_started", node.flow, node.node, index, node.run.run_id))

    def node_finished(self, node: Any, index: int | None, attempt: int, duration: float) -> None:
        self.events.append(("node_finished", node.flow, node.node, index, node.run.run_id))

    def node_retrying(self, node: Any, index: int | None, attempt: int, error: BaseException, delay: float) -> None:
        self.events.append(("node_retrying", node.flow, node.node, index, node.run.run_id))

    def node_failed(self, node: Any, index: int | None, attempt: int, error: BaseException, duration: float) -> None:
        self.events.append(("node_failed", node.flow, node.node, index, node.run.run_id, type(error).__name__))

    def node_fell_back(self, node: Any, index: int | None, error: BaseException, fallback: str) -> None:
        self.events.append(("node_fell_back", node.flow, node.node, index, node.run.run_id, str(error), fallback))

    def node_skipped(self, node: Any) -> None:
        self.events.append(("node_skipped", node.flow, node.node, node.run.run_id))

    def map_finished(self, node: Any, count: int, failed: int, duration: float) -> None:
        assert duration >= 0
        self.events.append(("map_finished", node.flow, node.node, node.run.run_id, count, failed))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [event for event in self.events if event[0] == kind]


class OldStyle:
    """An observer of before observers v2: the five node methods only."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def node_started(self, node: Any, index: int | None, attempt: int) -> None:
        self.events.append(("started", node.flow, node.node, index))

    def node_finished(self, node: Any, index: int | None, attempt: int, duration: float) -> None:
        self.events.append(("finished", node.flow, node.node, index))

    def node_retrying(self, node: Any, index: int | None, attempt: int, error: BaseException, delay: float) -> None:
        self.events.append(("retrying", node.flow, node.node, index))

    def node_failed(self, node: Any, index: int | None, attempt: int, error: BaseException, duration: float) -> None:
        self.events.append(("failed", node.flow, node.node, index))

    def node_skipped(self, node: Any) -> None:
        self.events.append(("skipped", node.flow, node.node))


def test_every_event_of_a_run_carries_the_run(flows: ModuleType) -> None:
    seen = Everything()
    assert asyncio.run(flows.outer(xs=[1, -2, 3], go=False, observer=seen, run_id="r1")) == 2 * (1 + 0 + 3) + 1
    (sub_id,) = [run_id for run_id in seen.runs if run_id != "r1"]
    assert seen.runs["r1"] == flows.RunInfo("outer", "r1", None)
    assert seen.runs[sub_id] == flows.RunInfo("inner", sub_id, "r1")
    assert len(sub_id) == 32 and int(sub_id, 16) >= 0  # a fresh id
    # The run's own events open and close it; the sub-flow's run sits inside the calling node.
    assert seen.events[0] == ("flow_started", "outer", "r1")
    assert seen.events[-1] == ("flow_finished", "outer", "r1")
    kinds = [event[0] for event in seen.events]
    assert kinds.count("flow_started") == kinds.count("flow_finished") == 2
    sub_events = [i for i, event in enumerate(seen.events) if sub_id in event]
    calling = [i for i, event in enumerate(seen.events) if event[1:3] == ("outer", "sub")]
    assert calling[0] < sub_events[0] and sub_events[-1] < calling[-1]
    assert seen.events[sub_events[0]] == ("flow_started", "inner", sub_id)
    assert seen.events[sub_events[-1]] == ("flow_finished", "inner", sub_id)
    assert all("r1" in event for event in seen.events if event[0].startswith("node_") and event[1] == "outer")
    # One element fell back, and so did nothing else: `safe` read 1.
    assert seen.of("node_fell_back") == [("node_fell_back", "outer", "vals", 1, "r1", "negative -2", "0")]
    assert seen.of("node_skipped") == [("node_skipped", "outer", "maybe", "r1")]
    # The maps' summaries: each after its elements' events.
    assert seen.of("map_finished") == [
        ("map_finished", "outer", "vals", "r1", 3, 0),
        ("map_finished", "outer", "kept", "r1", 3, 1),
    ]
    for node in ("vals", "kept"):
        last_element = max(i for i, e in enumerate(seen.events) if e[1:3] == ("outer", node) and e[0] != "map_finished")
        assert kinds.index("map_finished", last_element) > last_element
    assert len([e for e in seen.of("node_started") if e[2] in ("vals", "kept")]) == 6


def test_a_fallback_call_says_which_function_and_why(flows: ModuleType) -> None:
    seen = Everything()
    assert asyncio.run(flows.outer(xs=[-5], go=True, observer=seen, run_id="r2")) == 2 * 0 + 101
    assert seen.of("node_fell_back") == [
        ("node_fell_back", "outer", "vals", 0, "r2", "negative -5", "0"),
        ("node_fell_back", "outer", "safe", None, "r2", "negative -5", "cached"),
    ]
    failed = [i for i, e in enumerate(seen.events) if e[0] == "node_failed" and e[2] == "safe"]
    fell = [i for i, e in enumerate(seen.events) if e[0] == "node_fell_back" and e[2] == "safe"]
    assert len(failed) == 1 and failed[0] < fell[0]  # the attempt's failure, then the fallback
    assert seen.of("node_skipped") == []


def test_a_failed_run_reports_its_error_last(flows: ModuleType) -> None:
    seen = Everything()
    with pytest.raises(ValueError):
        asyncio.run(flows.strict(xs=[1, -1, 2], observer=seen, run_id="bad"))
    assert seen.events[0] == ("flow_started", "strict", "bad")
    assert seen.events[-1] == ("flow_failed", "strict", "bad", "ValueError")
    assert seen.of("map_finished") == [("map_finished", "strict", "vals", "bad", 3, 1)]
    assert seen.of("flow_finished") == []


def test_a_flow_timeout_is_reported_as_a_timeout(flows: ModuleType) -> None:
    seen = Everything()
    with pytest.raises(TimeoutError):
        asyncio.run(flows.late(x=1, observer=seen, run_id="slow"))
    assert seen.events[-1] == ("flow_failed", "late", "slow", "TimeoutError")
    assert seen.of("node_failed") == [("node_failed", "late", "s", None, "slow", "CancelledError")]


def test_a_run_without_a_run_id_gets_a_fresh_one_each_time(flows: ModuleType) -> None:
    seen = Everything()
    for _ in range(2):
        asyncio.run(flows.strict(xs=[1], observer=seen))
    ids = [event[2] for event in seen.of("flow_started")]
    assert len(set(ids)) == 2 and all(len(run_id) == 32 for run_id in ids)


def test_an_observer_without_elements_hears_the_map_once(flows: ModuleType) -> None:
    seen = Everything()
    seen.map_elements = False  # type: ignore[attr-defined]
    asyncio.run(flows.outer(xs=list(range(-50, 50)), go=True, observer=seen, run_id="quiet"))
    assert [e for e in seen.events if e[2] in ("vals", "kept") and e[0] != "map_finished"] == []
    assert seen.of("map_finished") == [
        ("map_finished", "outer", "vals", "quiet", 100, 0),
        ("map_finished", "outer", "kept", "quiet", 100, 50),
    ]
    assert sorted(e[2] for e in seen.of("node_started")) == ["d", "maybe", "result", "safe", "sub", "tot"]


def test_an_old_style_observer_hears_the_node_events_as_before(flows: ModuleType) -> None:
    old = OldStyle()
    assert asyncio.run(flows.outer(xs=[1, -2], go=True, observer=old)) == 2 * 1 + 1
    names = [event[:3] for event in old.events]
    assert names.count(("started", "outer", "vals")) == 2
    assert names.count(("failed", "outer", "vals")) == 1
    assert ("started", "inner", "d") in names and ("skipped", "outer", "maybe") not in names
    assert len([e for e in old.events if e[0] == "started"]) == len([e for e in old.events if e[0] != "started"])


def test_an_observer_of_the_run_alone_hears_only_the_run(flows: ModuleType) -> None:
    class Ends:
        def __init__(self) -> None:
            self.ends: list[tuple[str, str]] = []

        def flow_finished(self, run: Any, duration: float) -> None:
            self.ends.append(("finished", run.flow))

        def flow_failed(self, run: Any, error: BaseException, duration: float) -> None:
            self.ends.append(("failed", run.flow))

    ends = Ends()
    asyncio.run(flows.outer(xs=[1], go=True, observer=ends))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        asyncio.run(flows.strict(xs=[-1], observer=ends))  # type: ignore[arg-type]
    assert ends.ends == [("finished", "inner"), ("finished", "outer"), ("failed", "strict")]


def test_a_run_level_method_that_raises_is_reported_not_raised(flows: ModuleType) -> None:
    class Broken(Everything):
        def flow_started(self, run: Any) -> None:
            raise RuntimeError("exporter down")

    reported: list[dict[str, Any]] = []

    async def main() -> int:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        result: int = await flows.strict(xs=[1, 2], observer=Broken(), run_id="r")
        return result

    assert asyncio.run(main()) == 3
    assert [context["message"] for context in reported] == [
        "flowc: observer method flow_started raised on run `r` of flow `strict`"
    ]


def test_the_node_info_of_an_event_is_one_object_per_node_and_run(flows: ModuleType) -> None:
    infos: list[Any] = []

    class Keep(OldStyle):
        def node_started(self, node: Any, index: int | None, attempt: int) -> None:
            if node.node == "vals":
                infos.append(node)

        def node_finished(self, node: Any, index: int | None, attempt: int, duration: float) -> None:
            if node.node == "vals":
                infos.append(node)

    asyncio.run(flows.strict(xs=[1, 2], observer=Keep(), run_id="same"))
    assert len(infos) == 4 and len({id(info) for info in infos}) == 1
    assert infos[0][:3] == ("strict", "vals", "events.flow:26")
    # As before run ids: three fields, equal to the node's `NodeInfo` whatever the run.
    flow, node, location = infos[0]
    assert infos[0] == flows.NodeInfo(flow, node, location) and hash(infos[0]) == hash((flow, node, location))
    assert infos[0].run == flows.RunInfo("strict", "same", None)


def test_sub_flows_of_map_elements_are_quiet_without_elements(flows: ModuleType) -> None:
    loud, quiet = Everything(), Everything()
    quiet.map_elements = False  # type: ignore[attr-defined]
    for seen in (loud, quiet):
        assert asyncio.run(flows.fan(xs=[1, 2, 3], observer=seen, run_id="fan")) == [2, 4, 6]
    assert [e[1] for e in loud.of("flow_started")] == ["fan", "inner", "inner", "inner"]
    assert all(run.parent_run_id == "fan" for run in loud.runs.values() if run.flow == "inner")
    assert quiet.events[0] == ("flow_started", "fan", "fan")
    assert [e[0] for e in quiet.events] == ["flow_started", "map_finished", "flow_finished"]
    assert quiet.of("map_finished") == [("map_finished", "fan", "subs", "fan", 3, 0)]
