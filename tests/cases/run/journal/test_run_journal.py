import asyncio
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["journal"] == []


def runtime(module: ModuleType) -> ModuleType:
    """Where the module's helpers are: the module itself, or its shared runtime module."""
    return sys.modules[module.SqliteJournal.__module__]


def run(module: ModuleType, journal: Any, run_id: str | None, xs: list[int], **more: Any) -> Any:
    return asyncio.run(module.journaled(xs, run_id=run_id, journal=journal, **more))


def test_a_finished_run_resumed_calls_nothing(flow_module: ModuleType, steps: ModuleType, tmp_path: Path) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset()
    first = run(flow_module, journal, "done", [1, 2, 3])
    assert first.skipped is None and first.saved == -2 and first.retried == 300
    assert first.checked == [10, 20, 30] and first.parts == [3, 4, 5]
    assert steps.calls == {"broken": 1, "fix": 1, "check": 3, "one": 3, "two": 3, "flaky": 1}
    keys = set(journal.load("done"))
    # The skip and the fallback's value are recorded as the nodes' values; the sub-flow's
    # nodes under the element that called it.
    assert {"journaled.skipped", "journaled.saved", "journaled.parts[2]/part.two", "journaled"} <= keys
    assert journal.load("done")["journaled.skipped"] is None
    steps.reset()
    assert run(flow_module, journal, "done", [1, 2, 3]) == first
    assert sum(steps.calls.values()) == 0


def test_collected_failures_are_not_recorded(flow_module: ModuleType, steps: ModuleType, tmp_path: Path) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset(fail={2, 4})
    first = run(flow_module, journal, "collect", [1, 2, 3, 4])
    assert [type(v) for v in first.checked] == [int, ValueError, int, ValueError]
    keys = set(journal.load("collect"))
    assert {"journaled.checked[0]", "journaled.checked[2]"} <= keys
    # Neither the failures nor the map's value with them, nor the run's result.
    assert not {"journaled.checked[1]", "journaled.checked[3]", "journaled.checked", "journaled"} & keys
    steps.reset()
    again = run(flow_module, journal, "collect", [1, 2, 3, 4])
    assert again.checked == [10, 20, 30, 40]
    assert steps.calls["check"] == 2  # the failed elements only
    # A value that ended after the failure was kept is not recorded (it might derive from
    # it): what the first run recorded was read back, the rest called again.
    for name in ("one", "two"):
        assert steps.calls[name] == sum(f"journaled.parts[{i}]/part.{name}" not in keys for i in range(4))
    assert steps.calls["fix"] == int("journaled.saved" not in keys)
    assert again._replace(checked=first.checked) == first
    steps.reset()
    assert run(flow_module, journal, "collect", [1, 2, 3, 4]) == again  # now recorded whole
    assert sum(steps.calls.values()) == 0


def test_failures_are_not_recorded_and_a_resumed_run_retries_them(
    flow_module: ModuleType, steps: ModuleType, tmp_path: Path
) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset(flaky=3)  # one more failure than `retry 2` allows
    with pytest.raises(TimeoutError):
        run(flow_module, journal, "retry", [5])
    assert steps.calls["flaky"] == 3
    keys = set(journal.load("retry"))
    assert "journaled.retried" not in keys and "journaled" not in keys
    steps.reset(flaky=1)
    result = run(flow_module, journal, "retry", [5])
    assert result.retried == 300 and steps.calls["flaky"] == 2  # a failure, then a retry
    # What the first run recorded before it failed was read back, not called again.
    assert steps.calls["fix"] == int("journaled.saved" not in keys)
    assert steps.calls["check"] == int("journaled.checked[0]" not in keys)
    assert steps.calls["two"] == int("journaled.parts[0]/part.two" not in keys)


def test_when_skip_is_recorded_with_the_inputs(flow_module: ModuleType, steps: ModuleType, tmp_path: Path) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset()
    loud = run(flow_module, journal, "loud", [1], loud=True)
    assert loud.skipped == 2 and steps.calls["skipped"] == 1
    steps.reset()
    with pytest.raises(ValueError, match="run `loud` of flow `journaled` was recorded with other inputs"):
        run(flow_module, journal, "loud", [1], loud=False)
    assert sum(steps.calls.values()) == 0
    assert run(flow_module, journal, "quiet", [1], loud=False).skipped is None
    assert run(flow_module, journal, "loud", [1], loud=True) == loud


def test_a_journal_needs_a_run_id(flow_module: ModuleType, steps: ModuleType, tmp_path: Path) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset()
    with pytest.raises(ValueError, match="flow `journaled` was given a journal but no `run_id`"):
        run(flow_module, journal, None, [1])
    assert sum(steps.calls.values()) == 0


class Heard:
    def __init__(self) -> None:
        self.started: list[tuple[str, int | None]] = []
        self.flows: list[str] = []

    def node_started(self, node: Any, index: int | None, attempt: int) -> None:
        self.started.append((node.node, index))

    def flow_finished(self, run: Any, duration: float) -> None:
        self.flows.append(run.flow)


def test_an_observer_hears_the_nodes_that_run(flow_module: ModuleType, steps: ModuleType, tmp_path: Path) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset(fail={2})
    heard = Heard()
    first = run(flow_module, journal, "heard", [1, 2], observer=heard)
    assert ("checked", 1) in heard.started and heard.started.count(("one", None)) == 2
    assert heard.flows.count("part") == 2 and heard.flows[-1] == "journaled"
    steps.reset()
    again_heard = Heard()
    again = run(flow_module, journal, "heard", [1, 2], observer=again_heard)
    # The observer hears the nodes that run again: not those read back.
    keys = set(journal.load("heard"))
    assert ("checked", 1) in again_heard.started and ("checked", 0) not in again_heard.started
    assert again_heard.started.count(("one", None)) == sum(
        f"journaled.parts[{i}]/part.one" not in keys for i in range(2)
    )
    assert again_heard.flows[-1] == "journaled" and steps.calls["check"] == 1
    assert again.checked == [10, 20] and again.parts == first.parts


def test_a_value_the_journal_cannot_record_fails_its_node_named(
    flow_module: ModuleType, steps: ModuleType, tmp_path: Path
) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset()
    with pytest.raises(Exception) as caught:
        asyncio.run(flow_module.opaque(1, run_id="opaque", journal=journal))
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "the journal could not record node `handle` of flow `opaque` (journal.flow:" in notes
    assert "for run `opaque` (key `opaque.handle`)" in notes
    assert steps.calls == {"open_handle": 1} and set(journal.load("opaque")) == set()
    assert asyncio.run(flow_module.opaque(1)) == 1  # without a journal, nothing is serialized


def test_a_fallback_sub_flow_records_under_its_element(
    flow_module: ModuleType, steps: ModuleType, tmp_path: Path
) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset(fail={2, 3})
    first = asyncio.run(flow_module.rescue([1, 2, 3], run_id="rescue", journal=journal))
    assert first == [10, 2, 2] and steps.calls == {"check": 3, "one": 2, "two": 2}
    keys = set(journal.load("rescue"))
    # Each element's fallback sub-flow has keys of its own, apart from a sub-flow the node
    # itself would call.
    assert {f"rescue.rescued[{i}]/fallback/part.{n}" for i in (1, 2) for n in ("one", "two")} <= keys
    steps.reset()
    assert asyncio.run(flow_module.rescue([1, 2, 3], run_id="rescue", journal=journal)) == first
    assert sum(steps.calls.values()) == 0


def test_a_map_over_a_set_takes_its_members_in_sorted_order_with_a_journal(
    flow_module: ModuleType, steps: ModuleType, tmp_path: Path
) -> None:
    # Elements are recorded by index: a set's own order changes with the hash seed.
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset()
    words = {"pear", "apple", "fig", "kiwi"}
    assert asyncio.run(flow_module.shouted(words, run_id="set", journal=journal)) == ["APPLE", "FIG", "KIWI", "PEAR"]
    assert journal.load("set")["shouted.loud[0]"] == "APPLE"
    assert sorted(asyncio.run(flow_module.shouted(words))) == ["APPLE", "FIG", "KIWI", "PEAR"]  # no journal


def test_a_map_over_an_iterator_is_refused_with_a_journal(
    flow_module: ModuleType, steps: ModuleType, tmp_path: Path
) -> None:
    # An iterator has no fingerprint: a resumed run could not know it maps the same items.
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset()
    with pytest.raises(ValueError) as caught:
        asyncio.run(flow_module.listed((w for w in ["a", "b"]), run_id="gen", journal=journal))
    message = str(caught.value)
    assert "map `loud` of flow `listed` (journal.flow:" in message and "for run `gen`" in message
    assert "a `generator`, which has no fingerprint" in message and steps.calls["shout"] == 0
    assert asyncio.run(flow_module.listed(iter(["a", "b"]))) == ["A", "B"]  # no journal: any iterable
    views = {"b": 1, "a": 2}
    assert asyncio.run(flow_module.listed(views.keys(), run_id="view", journal=journal)) == ["B", "A"]


def test_the_fingerprint_follows_dict_order_and_values_not_identity(flow_module: ModuleType, steps: ModuleType) -> None:
    fingerprint = runtime(flow_module)._fingerprint
    # A map follows a dict's order: equal dicts inserted in another order are other inputs.
    assert fingerprint("d", ({"a": 1, "b": 2},)) != fingerprint("d", ({"b": 2, "a": 1},))
    assert fingerprint("d", ({"a": 1, "b": 2},)) == fingerprint("d", (dict(a=1, b=2),))
    # Equal values made of other objects: pickle would write a back-reference for one.
    s, t = "".join(["ab", "c"]), "".join(["a", "bc"])
    assert s is not t and fingerprint("d", ([s, s],)) == fingerprint("d", ([s, t],))
    assert fingerprint("d", ({1, 2, 3},)) == fingerprint("d", ({3, 2, 1},))
    assert fingerprint("d", ([1, 2],)) != fingerprint("d", ((1, 2),))
    # A plain object by its state; one pickle cannot serialize by its type alone.
    assert fingerprint("d", (Path("a"),)) != fingerprint("d", (Path("b"),))
    handle = steps.Handle
    assert fingerprint("d", (handle(read=lambda: 1),)) == fingerprint("d", (handle(read=lambda: 2),))


class Box:
    def __init__(self) -> None:
        self.inner: object = self


def test_an_input_that_contains_itself_is_refused_named(
    flow_module: ModuleType, steps: ModuleType, tmp_path: Path
) -> None:
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    steps.reset()
    looped: list[object] = ["a"]
    looped.append(looped)
    for value in (looped, [Box()]):
        with pytest.raises(ValueError, match="run `loop` of flow `listed` has inputs that cannot be fingerprinted"):
            asyncio.run(flow_module.listed(value, run_id="loop", journal=journal))
    assert sum(steps.calls.values()) == 0


class ThreadNoting:
    """A journal that notes which thread calls it."""

    def __init__(self, journal: Any) -> None:
        self.journal = journal
        self.threads: set[str] = set()

    def open(self, run_id: str, fingerprint: str) -> str:
        self.threads.add(threading.current_thread().name)
        return str(self.journal.open(run_id, fingerprint))

    def load(self, run_id: str) -> dict[str, object]:
        self.threads.add(threading.current_thread().name)
        return dict(self.journal.load(run_id))

    def record(self, run_id: str, key: str, value: object) -> None:
        self.threads.add(threading.current_thread().name)
        self.journal.record(run_id, key, value)


def test_a_sync_node_is_recorded_by_the_journal_thread(
    flow_module: ModuleType, steps: ModuleType, tmp_path: Path
) -> None:
    # The journal's methods run on its one worker thread, one at a time: a `sync` node's too.
    journal = ThreadNoting(flow_module.SqliteJournal(tmp_path / "journal.db"))
    steps.reset()
    assert asyncio.run(flow_module.synced(1, run_id="sync", journal=journal)) == 2
    assert set(journal.journal.load("sync")) == {"synced.counted", "synced"}
    assert len(journal.threads) == 1 and journal.threads.pop().startswith("flowc-journal")


def test_the_journal_thread_is_made_once_when_threads_ask_at_once(
    flow_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[object] = []

    def slow(*args: Any, **kwargs: Any) -> object:
        time.sleep(0.05)  # wide open for a second thread to make one too
        made.append(object())
        return made[-1]

    helpers = runtime(flow_module)
    kept = list(helpers._WRITER)
    monkeypatch.setattr(helpers, "_ThreadPoolExecutor", slow)
    helpers._WRITER.clear()
    try:
        start = threading.Barrier(8)
        found: list[object] = []

        def ask() -> None:
            start.wait()
            found.append(helpers._writer())

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        helpers._WRITER[:] = kept
    assert len(made) == 1 and found == made * 8
