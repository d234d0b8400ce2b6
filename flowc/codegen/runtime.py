"""Helper code for generated modules, type-checked here and copied into each of them.

A generated module imports nothing but the standard library, so the code its flows need
is copied from this file, section by section. A section runs from `# flowc:begin NAME`
to `# flowc:end NAME`. What a section uses is read from its code: the names it takes from
other sections, and the imports at the top of this file it reads (one statement per
imported name, each bound to a private `_name`, except `asyncio` and `sys`). A module gets the
sections it uses and everything they need, in the order of this file, with their imports.
"""

import asyncio
import contextvars as _contextvars
import math as _math
import os as _os
import random as _random
import sys
import threading as _threading
import time as _time
import weakref as _weakref
from collections import deque as _deque
from collections.abc import Awaitable as _Awaitable
from collections.abc import Callable as _Callable
from collections.abc import Coroutine as _Coroutine
from collections.abc import Generator as _Generator
from collections.abc import ItemsView as _ItemsView
from collections.abc import Iterable as _Iterable
from collections.abc import Iterator as _Iterator
from collections.abc import KeysView as _KeysView
from collections.abc import Sequence as _Sequence
from collections.abc import ValuesView as _ValuesView
from concurrent.futures import Executor as _Executor
from concurrent.futures import Future as _Future
from concurrent.futures import ThreadPoolExecutor as _ThreadPoolExecutor
from dataclasses import dataclass as _dataclass
from functools import partial as _partial
from typing import Any as _Any
from typing import Generic as _Generic
from typing import NamedTuple as _NamedTuple
from typing import ParamSpec as _ParamSpec
from typing import Protocol as _Protocol
from typing import TypeVar as _TypeVar
from typing import cast as _cast

# flowc:begin T
_T = _TypeVar("_T")
# flowc:end T

# flowc:begin U
_U = _TypeVar("_U")
# flowc:end U

# flowc:begin X
_X = _TypeVar("_X")
# flowc:end X

# flowc:begin observer


class RunInfo(_NamedTuple):
    """One run of a flow: the flow, the run's id (its `run_id=` argument, or a fresh one)
    and, for a sub-flow called as a node, the id of the run that called it."""

    flow: str
    run_id: str
    parent_run_id: str | None = None


class NodeInfo(_NamedTuple):
    """Where a node is written: its flow, its name and its `file.flow:line`; in an event,
    also the run it belongs to (`run`, which equality ignores)."""

    flow: str
    node: str
    location: str

    @property
    def run(self) -> RunInfo:
        """The run of the event that names the node; outside an event, an empty one."""
        return RunInfo("", "")


class _NodeOfRun(NodeInfo):
    """A node as the events of one run name it: equal to its `NodeInfo`, `run` set."""

    _run: RunInfo

    @staticmethod
    def of(node: NodeInfo, run: RunInfo) -> NodeInfo:
        """`node` as the events of `run` name it."""
        found = _NodeOfRun(*node)
        found._run = run
        return found

    @property
    def run(self) -> RunInfo:
        return self._run

    def __repr__(self) -> str:
        return f"NodeInfo(flow={self.flow!r}, node={self.node!r}, location={self.location!r}, run={self._run!r})"


class FlowObserver(_Protocol):
    """Receives the node events of a run: pass one as a flow's `observer=` argument.

    `index` is the element's index for a map's elements and `None` otherwise; `attempt`
    counts from 1; durations are in seconds (`time.perf_counter`). The methods are called
    from the event loop and should return quickly. An exception one raises is reported to
    the loop's exception handler, never taken for the node's failure.
    """

    def node_started(self, node: NodeInfo, index: int | None, attempt: int) -> None:
        """An attempt starts (after any limit or pool slot was obtained)."""

    def node_finished(
        self, node: NodeInfo, index: int | None, attempt: int, duration: float
    ) -> None:
        """An attempt returned a value."""

    def node_retrying(
        self,
        node: NodeInfo,
        index: int | None,
        attempt: int,
        error: BaseException,
        delay: float,
    ) -> None:
        """Attempt `attempt` failed with `error`; the next one starts after `delay`."""

    def node_failed(
        self,
        node: NodeInfo,
        index: int | None,
        attempt: int,
        error: BaseException,
        duration: float,
    ) -> None:
        """An attempt failed, timed out or was cancelled."""

    def node_skipped(self, node: NodeInfo) -> None:
        """The node's `when` condition did not hold, so it did not run."""


class RunObserver(FlowObserver, _Protocol):
    """A `FlowObserver` that also hears the run-level events. Each of these methods is
    optional: the runtime calls only those an observer has. An observer with
    `map_elements = False` hears a map's `map_finished`, not its elements' events."""

    def flow_started(self, run: RunInfo) -> None:
        """A run starts (a sub-flow's: within its calling node's attempt)."""

    def flow_finished(self, run: RunInfo, duration: float) -> None:
        """The run returned its result, `duration` seconds after it started."""

    def flow_failed(self, run: RunInfo, error: BaseException, duration: float) -> None:
        """The run raised `error` (a `CancelledError` when cancelled)."""

    def node_fell_back(
        self, node: NodeInfo, index: int | None, error: BaseException, fallback: str
    ) -> None:
        """The node failed for good with `error`; its fallback (the function it calls, or
        its value as Python) takes over."""

    def map_finished(
        self, node: NodeInfo, count: int, failed: int, duration: float
    ) -> None:
        """A map ended: `count` elements, `failed` of them raised (kept by `collect`, or
        the first of them failed the map), in `duration` seconds."""


# flowc:end observer

# flowc:begin notify


def _notify(
    event: _Callable[..., object], node: NodeInfo | RunInfo, *args: _Any
) -> None:
    """Tell the observer of an event. An exception the observer raises is not the node's:
    it is reported to the event loop's exception handler (which logs it) and the run goes
    on as if the observer had returned."""
    try:
        event(node, *args)
    # An observer's error never fails the run.
    except Exception as error:  # noqa: BLE001
        name = getattr(event, "__name__", "observer")
        if isinstance(node, NodeInfo):
            where = f"node `{node.node}` of flow `{node.flow}` ({node.location})"
        else:
            where = f"run `{node.run_id}` of flow `{node.flow}`"
        message = f"flowc: observer method {name} raised on {where}"
        asyncio.get_running_loop().call_exception_handler(
            {"message": message, "exception": error}
        )


# flowc:end notify

# flowc:begin journal


class FlowJournal(_Protocol):
    """Where runs record their finished nodes, so that a run given the same `run_id`
    resumes instead of starting over: pass one as a flow's `journal=` argument, with a
    `run_id=`. `SqliteJournal` is the standard one; any object with these three methods
    will do (a Postgres table, a Redis hash). The runtime calls them from a worker thread,
    one call at a time per process, so they may block.
    """

    def open(self, run_id: str, fingerprint: str) -> str:
        """Begin run `run_id` if it is new, noting `fingerprint` (its flow and inputs);
        return the fingerprint the run was begun with (`fingerprint` for a new run)."""
        ...

    def load(self, run_id: str) -> dict[str, object]:
        """Every value recorded for run `run_id`, by key."""
        ...

    def record(self, run_id: str, key: str, value: object) -> None:
        """Record `value` under `key` for run `run_id`, whole or not at all: a crash
        during the call leaves the key recorded with its value, or not recorded."""
        ...


class SqliteJournal:
    """A `FlowJournal` in an SQLite file, with the standard library's `sqlite3`: the
    default journal. Several processes and runs can share one file (write-ahead log, a
    busy timeout of `timeout` seconds, one transaction per record).

    Values are serialized with `pickle` unless `dumps` and `loads` are given (for
    instance `json.dumps` and `json.loads`, with `.encode()`). The file is the service's
    own trusted storage: loading a pickle can run code, so never open a file that others
    can write.
    """

    def __init__(
        self,
        path: str | _os.PathLike[str],
        *,
        dumps: _Callable[[object], bytes] | None = None,
        loads: _Callable[[bytes], object] | None = None,
        timeout: float = 30.0,
    ) -> None:
        import pickle
        import sqlite3

        self.path = _os.fspath(path)
        self.dumps: _Callable[[object], bytes] = dumps or pickle.dumps
        self.loads: _Callable[[bytes], object] = loads or pickle.loads
        self._lock = _threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # a commit survives the process
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS flowc_runs (run_id TEXT PRIMARY KEY,"
            " fingerprint TEXT NOT NULL, started REAL NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS flowc_records (run_id TEXT NOT NULL,"
            " key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (run_id, key))"
        )

    def open(self, run_id: str, fingerprint: str) -> str:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO flowc_runs VALUES (?, ?, ?)",
                (run_id, fingerprint, _time.time()),
            )
            row = self._db.execute(
                "SELECT fingerprint FROM flowc_runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return str(row[0])

    def load(self, run_id: str) -> dict[str, object]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, value FROM flowc_records WHERE run_id = ?", (run_id,)
            ).fetchall()
        return {str(key): self.loads(value) for key, value in rows}

    def record(self, run_id: str, key: str, value: object) -> None:
        data = self.dumps(value)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO flowc_records VALUES (?, ?, ?)",
                (run_id, key, data),
            )

    def delete(self, run_id: str) -> None:
        """Forget run `run_id`: a run with that id starts over."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM flowc_records WHERE run_id = ?", (run_id,))
            self._db.execute("DELETE FROM flowc_runs WHERE run_id = ?", (run_id,))
            self._db.execute("COMMIT")

    def delete_older(self, seconds: float) -> int:
        """Forget the runs begun more than `seconds` ago; return how many."""
        cutoff = _time.time() - seconds
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "DELETE FROM flowc_records WHERE run_id IN"
                " (SELECT run_id FROM flowc_runs WHERE started < ?)",
                (cutoff,),
            )
            count = self._db.execute(
                "DELETE FROM flowc_runs WHERE started < ?", (cutoff,)
            ).rowcount
            self._db.execute("COMMIT")
        return int(count)

    def close(self) -> None:
        """Close the file; the journal cannot be used after."""
        with self._lock:
            self._db.close()


_WRITER: list[_ThreadPoolExecutor] = []
_WRITER_LOCK = [_threading.Lock()]


def _writer() -> _ThreadPoolExecutor:
    """The thread journals are called from: a write does not stop the event loop (an
    SQLite file shared with other processes may make it wait for a lock). One per
    process, made once however many threads run loops."""
    if not _WRITER:
        with _WRITER_LOCK[0]:
            if not _WRITER:
                _WRITER.append(
                    _ThreadPoolExecutor(1, thread_name_prefix="flowc-journal")
                )
    return _WRITER[0]


def _forked() -> None:
    """In a forked child: the parent's writer thread does not exist there, so the child
    makes its own (and its own lock, which the fork may have copied held)."""
    _WRITER.clear()
    _WRITER_LOCK[0] = _threading.Lock()


if sys.platform != "win32":
    _os.register_at_fork(after_in_child=_forked)


async def _in_writer(call: _Callable[..., _T], *args: object) -> _T:
    """`call(*args)` in the journal's thread (`_writer`), awaited."""
    return await asyncio.get_running_loop().run_in_executor(_writer(), call, *args)


class _Opaque(Exception):
    """A part of an object's state that pickle cannot serialize: the object counts by
    its type alone."""


def _canonical(value: object, seen: set[int], within: bool = False) -> object:
    """`value` in a form whose encoding (`_encoded`) depends on the value alone, not on
    which objects it is made of nor on the process: lists, tuples, dicts and dict views
    in their order (a map follows it), sets sorted, dataclasses field by field, classes
    and functions by name, other objects as pickle reduces them (their state in this
    form too); an object that cannot be pickled as its type's name. `seen` holds the
    values being converted: a value that contains itself is a `ValueError`. `within`:
    inside an object's state, where what cannot be pickled makes the object opaque."""
    import dataclasses
    import types

    if type(value) in (str, int, float, bool, bytes, complex) or value is None:
        return value
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
        name = f"{value.__module__}.{value.__qualname__}"
        if within and "<" in name:
            raise _Opaque  # a lambda, a local function: pickle refuses it
        return ("global", name)
    key = id(value)
    if key in seen:
        raise ValueError(f"a value of type `{kind}` contains itself")
    seen.add(key)
    try:
        if isinstance(value, dict):
            known = _cast(dict[object, object], value)
            return (
                kind,
                [
                    (_canonical(k, seen, within), _canonical(v, seen, within))
                    for k, v in known.items()
                ],
            )
        if isinstance(value, (list, tuple, _KeysView, _ValuesView, _ItemsView)):
            items = _cast(_Iterable[object], value)
            return (kind, [_canonical(item, seen, within) for item in items])
        if isinstance(value, (set, frozenset)):
            members = [_canonical(m, seen, within) for m in _cast(set[object], value)]
            return (kind, sorted(members, key=_encoded))
        if dataclasses.is_dataclass(value):
            fields = dataclasses.fields(value)
            return (
                kind,
                [
                    (f.name, _canonical(getattr(value, f.name), seen, within))
                    for f in fields
                ],
            )
        return (kind, _reduced(value, seen, within))
    finally:
        seen.discard(key)


def _reduced(value: object, seen: set[int], within: bool) -> object:
    """An object as pickle takes it apart (a constructor, its arguments, its state),
    each part in `_canonical` form; `None` if pickle cannot serialize it."""
    try:
        parts = value.__reduce_ex__(4)
    # A client, a lock: pickle refuses them, and they count by their type.
    except Exception:  # noqa: BLE001
        if within:
            raise _Opaque from None
        return None
    if isinstance(parts, str):
        return parts  # a global, pickled by name
    make, args, *rest = parts
    state, items, pairs = (*rest, None, None, None)[:3]
    reduced = (make, args, state, list(items or ()), list(pairs or ()))
    if within:
        return _canonical(reduced, seen, True)
    try:
        return _canonical(reduced, seen, True)
    except _Opaque:
        return None


def _encoded(form: object) -> bytes:
    """The bytes of a `_canonical` form: pickled without back-references, so that two
    equal values made of other objects (`[s, s]`, `[s, t]` with `s == t`) agree."""
    import io
    import pickle

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=4)
    pickler.fast = True  # no memo: every object written whole
    pickler.dump(form)
    return buffer.getvalue()


def _sorted(members: list[_X]) -> list[_X] | None:
    """A set's members in an order that does not depend on the process: strings, ints or
    bytes in their own order, others by their fingerprint's encoding; `None` when two
    members have the same encoding (objects pickle cannot serialize)."""
    if len({type(m) for m in members}) == 1 and type(members[0]) in (str, int, bytes):
        return sorted(_cast(list[_Any], members))
    keys = [_encoded(_canonical(m, set())) for m in members]
    if len(set(keys)) < len(keys):
        return None
    return [members[i] for i in sorted(range(len(keys)), key=keys.__getitem__)]


def _fingerprint(digest: str, inputs: tuple[object, ...]) -> str:
    """A run's fingerprint: its flow's structure (`digest`, made by the compiler) and its
    inputs. `ValueError` for an input that contains itself."""
    import hashlib

    return hashlib.sha256(_encoded((digest, _canonical(inputs, set())))).hexdigest()


class _Journal:
    """A run's view of the journal: the root run's id, the keys of this run's nodes
    (`path`: the flow's name, then for a sub-flow each calling node's key before its
    own), and what the root run and its sub-flows share: the values recorded, the keys
    being made and whether a `collect` map kept a failure (`tainted`). A sub-flow is
    passed one (as its `journal=`) by the node that calls it.
    """

    __slots__ = ("active", "journal", "path", "records", "run_id", "tainted")
    flowc_scope = True  # what tells a sub-flow's run it is within another

    def __init__(
        self,
        journal: FlowJournal,
        run_id: str,
        path: str,
        records: dict[str, object],
        active: set[str],
        tainted: list[bool],
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.path = path
        self.records = records
        self.active = active
        self.tainted = tainted

    # `FlowJournal`'s methods: what a sub-flow is typed to take.
    def open(self, run_id: str, fingerprint: str) -> str:
        return self.journal.open(run_id, fingerprint)

    def load(self, run_id: str) -> dict[str, object]:
        return self.journal.load(run_id)

    def record(self, run_id: str, key: str, value: object) -> None:
        self.journal.record(run_id, key, value)

    def key(self, node: NodeInfo, index: int | None) -> str:
        """`flow.node`, `flow.node[index]` for a map's element; within a sub-flow, after
        its caller's key and `/`: `flow.items[3]/item.left`."""
        key = f"{self.path}.{node.node}"
        return key if index is None else f"{key}[{index}]"

    def within(
        self, node: NodeInfo, index: int | None, fallback: bool = False
    ) -> "_Journal":
        """The journal passed to the sub-flow that `node` (or its element) calls, or that
        its fallback calls (`flow.node/fallback/sub.inner`: `fallback` names no flow).
        """
        path = f"{self.key(node, index)}/{'fallback/' if fallback else ''}"
        return _Journal(
            self.journal, self.run_id, path, self.records, self.active, self.tainted
        )

    def takes(self, node: NodeInfo, index: int | None) -> bool:
        """Whether the node's helper records it: no outer helper of it does already."""
        return self.key(node, index) not in self.active

    async def step(
        self,
        node: NodeInfo,
        index: int | None,
        make: _Callable[[], _Awaitable[_T]],
        keep: _Callable[[_T], bool] | None = None,
    ) -> _T:
        """The node's recorded value; else `await make()`, recorded before it is
        returned, so before any node reads it. A value `keep` refuses (a `collect` map's,
        with a failure) is not recorded, nor is any value that ends after it: it may
        derive from the failure, which a resumed run must retry."""
        key = self.key(node, index)
        if key in self.records:
            return _cast(_T, self.records[key])
        self.active.add(key)
        try:
            value = await make()
        finally:
            self.active.discard(key)
        if keep is not None and not keep(value):
            self.tainted[0] = True
        if not self.tainted[0]:
            try:
                await _in_writer(self.journal.record, self.run_id, key, value)
            except Exception as error:
                self.explain(error, node, index)
                raise
        return value

    def step_sync(
        self, node: NodeInfo, index: int | None, call: _Callable[[], _T]
    ) -> _T:
        """`step` for a `sync` node: it runs on the event loop, which waits there for
        its record (written by the journal's thread, like every other)."""
        key = self.key(node, index)
        if key in self.records:
            return _cast(_T, self.records[key])
        value = call()
        if hasattr(value, "__await__") or self.tainted[0]:
            return value  # an `async def` callee (`_plain` says so), or tainted
        try:
            _writer().submit(self.journal.record, self.run_id, key, value).result()
        except Exception as error:
            self.explain(error, node, index)
            raise
        return value

    def elements(self, node: NodeInfo, items: _Iterable[_X]) -> _Sequence[_X]:
        """A map's items in an order that is the same in every process, since each
        element is recorded by its index: a sequence's, a dict's or a dict view's own,
        a set's sorted (`_sorted`). Items that have no fingerprint (an iterator: a
        generator, a file) are refused: a resumed run could not know it maps the same
        items, in the same order."""
        if isinstance(items, _Sequence):
            return items
        if isinstance(items, (dict, _KeysView, _ValuesView, _ItemsView)):
            return list(_cast(_Iterable[_X], items))
        if isinstance(items, (set, frozenset)):
            members = _sorted(list(_cast(_Iterable[_X], items)))
            if members is not None:
                return members
            why = "a set whose members are not told apart by value (pickle cannot serialize them)"
        elif (
            not isinstance(items, _Iterator)
            and _reduced(items, set(), False) is not None
        ):
            return list(items)
        else:
            why = f"a `{type(items).__qualname__}`, which has no fingerprint"
        raise ValueError(
            f"flowc: map `{node.node}` of flow `{node.flow}` ({node.location}) cannot be"
            f" recorded for run `{self.run_id}`: its items are {why}, so a resumed run"
            " could not tell it maps the same items in the same order; with a journal, map"
            " a list, a tuple, a dict or a set of values"
        )

    def explain(self, error: Exception, node: NodeInfo, index: int | None) -> None:
        element = "" if index is None else f", element {index},"
        error.add_note(
            f"flowc: the journal could not record node `{node.node}`{element} of flow"
            f" `{node.flow}` ({node.location}) for run `{self.run_id}` (key"
            f" `{self.key(node, index)}`): a journal records values it can serialize"
            " (with pickle: not a lock, a connection or a generator)"
        )


# flowc:end journal

# flowc:begin run


class _Events:
    """An observer's methods, looked up once per run (`None` for those it lacks), and the
    run they report on."""

    __slots__ = (
        "elements",
        "flow_failed",
        "flow_finished",
        "map_finished",
        "node_failed",
        "node_fell_back",
        "node_finished",
        "node_retrying",
        "node_skipped",
        "node_started",
        "nodes",
        "run",
        "start",
    )

    def __init__(self, observer: object, run: RunInfo) -> None:
        self.run = run
        self.nodes: dict[int, tuple[NodeInfo, NodeInfo]] = {}
        self.elements = getattr(observer, "map_elements", True) is not False
        self.node_started: _Callable[..., object] | None = getattr(
            observer, "node_started", None
        )
        self.node_finished: _Callable[..., object] | None = getattr(
            observer, "node_finished", None
        )
        self.node_retrying: _Callable[..., object] | None = getattr(
            observer, "node_retrying", None
        )
        self.node_failed: _Callable[..., object] | None = getattr(
            observer, "node_failed", None
        )
        self.node_skipped: _Callable[..., object] | None = getattr(
            observer, "node_skipped", None
        )
        self.node_fell_back: _Callable[..., object] | None = getattr(
            observer, "node_fell_back", None
        )
        self.map_finished: _Callable[..., object] | None = getattr(
            observer, "map_finished", None
        )
        self.flow_finished: _Callable[..., object] | None = getattr(
            observer, "flow_finished", None
        )
        self.flow_failed: _Callable[..., object] | None = getattr(
            observer, "flow_failed", None
        )
        started: _Callable[..., object] | None = getattr(observer, "flow_started", None)
        self.start = _time.perf_counter()
        if started is not None:
            _notify(started, run)

    def node(self, node: NodeInfo) -> NodeInfo:
        """The node as this run's events name it: with the run. (Keyed by identity: a
        node's `NodeInfo` is one constant of its module, and a tuple's hash is not kept.)
        """
        found = self.nodes.get(id(node))
        if found is None or found[0] is not node:
            found = self.nodes[id(node)] = (node, _NodeOfRun.of(node, self.run))
        return found[1]

    def tell(
        self,
        event: _Callable[..., object] | None,
        node: NodeInfo,
        index: int | None,
        *args: _Any,
    ) -> None:
        """A node event, unless the observer lacks its method or hears no map elements."""
        if event is not None and (index is None or self.elements):
            _notify(event, self.node(node), index, *args)


def _note(exc: BaseException, node: NodeInfo, index: int | None = None) -> None:
    """Name the node (and map element) an exception came from, once per flow."""
    # An exception passes several helpers of the same run (a map element, then the map,
    # then the run itself): the first, most precise note wins. A sub-flow's caller adds
    # its own note, for its own flow.
    if any(
        note.startswith(f"flowc: in flow `{node.flow}`, ")
        for note in getattr(exc, "__notes__", ())
    ):
        return
    where = f"flowc: in flow `{node.flow}`, node `{node.node}`"
    element = "" if index is None else f", element {index}"
    exc.add_note(f"{where}{element} ({node.location})")


class _Run:
    """One run of one flow: its tasks, first failure, observer and limit.

    The flow's body runs in the calling task (the parent); nodes off its path run in
    tasks made by `spawn`. A task's failure cancels the other tasks and the parent, so
    the body stops at once and calls `abort`, which waits for every task to end and
    says which exception to raise.
    """

    __slots__ = (
        "cancelled",
        "cancelling",
        "closing",
        "deadline",
        "element_observer",
        "error",
        "events",
        "id",
        "journal",
        "limit",
        "parent",
        "spawning",
        "tasks",
    )

    def __init__(
        self,
        observer: FlowObserver | None,
        limit: int | None,
        flow: str = "",
        run_id: str | None = None,
        parent_run_id: str | None = None,
    ) -> None:
        # An observer's methods are looked up once, here; a run without one has no ids.
        if observer is None:
            self.events: _Events | None = None
            self.id = run_id
            self.element_observer: FlowObserver | None = None
        else:
            self.id = run_id or _os.urandom(16).hex()
            self.events = _Events(observer, RunInfo(flow, self.id, parent_run_id))
            # What a sub-flow called by a map's element reports to.
            self.element_observer = observer if self.events.elements else None
        self.deadline: asyncio.Timeout | None = None  # the flow's `timeout`, if any
        self.limit = asyncio.Semaphore(limit) if limit else None
        self.parent = asyncio.current_task()
        # The parent's cancellation requests when the run began: the caller may run a flow
        # from cleanup code, after catching a cancellation it has not taken back.
        self.cancelling = 0 if self.parent is None else self.parent.cancelling()
        self.cancelled = False  # whether the run cancelled its parent (once at most)
        self.tasks: dict[asyncio.Task[_Any], NodeInfo] | None = None  # made when needed
        self.error: BaseException | None = None  # the task failure that cancelled all
        self.closing = False
        self.spawning = False  # a task is starting eagerly, inside the body's own step
        self.journal: _Journal | None = None  # set by `resume`

    def spawn(
        self, make: _Callable[[], _Coroutine[_Any, _Any, _T]], node: NodeInfo
    ) -> asyncio.Task[_T]:
        """Run `make()` in a task of this run. The coroutine is made inside the task, so a
        task cancelled before it starts leaves none unawaited. From Python 3.12 the task
        starts eagerly: it runs at once, in its own task and context, up to its first
        suspension, and a node that never suspends is done without a trip through the loop.
        """
        if self.tasks is None:
            self.tasks = {}
        if sys.version_info >= (3, 12):
            self.spawning = True
            try:
                task = asyncio.Task(
                    self._guard(make, node),
                    loop=asyncio.get_running_loop(),
                    name=node.node,
                    eager_start=True,
                )
            finally:
                self.spawning = False
        else:
            task = asyncio.get_running_loop().create_task(
                self._guard(make, node), name=node.node
            )
        self.tasks[task] = node
        if (
            task.done()
            and not task.cancelled()
            and (error := task.exception()) is not None
        ):
            raise error  # failed while starting eagerly: the body stops, `abort` cancels the rest
        return task

    async def _guard(
        self, make: _Callable[[], _Coroutine[_Any, _Any, _T]], node: NodeInfo
    ) -> _T:
        """A node's task: its failure is noted in the task itself, before any task that
        reads the node can see it, and the first failure stops the run."""
        try:
            return await make()
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            _note(error, node)
            if self.error is None and not self.closing:
                self.error = error
                current = asyncio.current_task()
                for other in self.tasks or ():
                    if other is not current:
                        other.cancel()
                if self.parent is not None and not self.spawning:
                    # Not while starting eagerly: the body is running, `spawn` raises.
                    self.parent.cancel()  # `abort` takes this cancellation back
                    self.cancelled = True
            raise

    async def resume(
        self,
        journal: FlowJournal,
        run_id: str | None,
        flow: str,
        digest: str,
        inputs: tuple[object, ...],
    ) -> bool:
        """Record this run in `journal` (a sub-flow: within its caller's run), reading
        what the run recorded before under the same id; True if it finished then
        (`replayed` is its result). `digest` is the flow's structure, made by the
        compiler: with the inputs, the run's fingerprint, which must match the record's.
        """
        if getattr(journal, "flowc_scope", False):
            scope = _cast(_Journal, journal)
            self.journal = _Journal(
                scope.journal,
                scope.run_id,
                scope.path + flow,
                scope.records,
                scope.active,
                scope.tainted,
            )
            return False
        if run_id is None:
            raise ValueError(
                f"flowc: flow `{flow}` was given a journal but no `run_id`: the journal "
                "records the run under its id, which a later run resumes by; pass `run_id=`"
            )
        try:
            fingerprint = _fingerprint(digest, inputs)
        except ValueError as error:
            raise ValueError(
                f"flowc: run `{run_id}` of flow `{flow}` has inputs that cannot be"
                f" fingerprinted: {error}, so the journal could not tell a resumed run"
                " from another; pass inputs that do not contain themselves"
            ) from None
        try:
            found = await _in_writer(journal.open, run_id, fingerprint)
            records: dict[str, object] = {}
            if found == fingerprint:
                records = await _in_writer(journal.load, run_id)
        except Exception as error:
            error.add_note(
                f"flowc: the journal could not open run `{run_id}` of flow `{flow}`"
            )
            raise
        if found != fingerprint:
            raise ValueError(
                f"flowc: run `{run_id}` of flow `{flow}` was recorded with other inputs, "
                "or by another version of the flow, so it cannot resume: give this run "
                f"another `run_id=`, or delete the journal's records of run `{run_id}`"
            )
        self.journal = _Journal(journal, run_id, flow, dict(records), set(), [False])
        if flow in records:
            self.finished()
            return True
        return False

    def replayed(self) -> _Any:
        """The result a finished run recorded."""
        assert self.journal is not None
        return self.journal.records[self.journal.path]

    async def complete(self, result: object) -> None:
        """The run returns `result`: recorded, so that the run resumed returns it at once
        (a sub-flow's result is its calling node's value, recorded by that node)."""
        journal = self.journal
        if journal is not None and "/" not in journal.path and not journal.tainted[0]:
            try:
                await _in_writer(
                    journal.journal.record, journal.run_id, journal.path, result
                )
            except Exception as error:
                error.add_note(
                    f"flowc: the journal could not record the result of flow "
                    f"`{journal.path}` for run `{journal.run_id}` (key `{journal.path}`)"
                )
                raise

    def sub(
        self, node: NodeInfo, index: int | None = None, fallback: bool = False
    ) -> FlowJournal | None:
        """The journal of the sub-flow that `node` (or its element `index`) calls, or its
        fallback call."""
        if self.journal is None:
            return None
        return self.journal.within(node, index, fallback)

    def finished(self) -> None:
        """The run returned: tell the observer (called only when there is one)."""
        events = self.events
        if events is not None and events.flow_finished is not None:
            _notify(
                events.flow_finished, events.run, _time.perf_counter() - events.start
            )

    async def abort(self, exc: BaseException, node: NodeInfo | None) -> BaseException:
        """End the run after its body stopped with `exc` while at `node` (`None`:
        awaiting tasks): cancel and await every task, and return what to raise."""
        self.closing = True
        error = self._cause(exc, node)
        try:
            if self.tasks:
                await self._settle(self.tasks)
        finally:
            events = self.events
            if events is not None and events.flow_failed is not None:
                told = error
                if (
                    isinstance(error, asyncio.CancelledError)
                    and self.deadline is not None
                    and self.deadline.expired()
                ):
                    told = (
                        TimeoutError()
                    )  # what the flow's `timeout` raises in its place
                _notify(
                    events.flow_failed,
                    events.run,
                    told,
                    _time.perf_counter() - events.start,
                )
        return error

    def _cause(self, exc: BaseException, node: NodeInfo | None) -> BaseException:
        """The exception the run raises, its note added."""
        if self.error is not None:
            # A task failed (and cancelled the body, unless it failed while starting
            # eagerly): surface the task's error, unless the caller (or an enclosing
            # timeout) cancelled the body as well. Only the run's own request is taken back.
            if (
                self.cancelled
                and self.parent is not None
                and self.parent.uncancel() > self.cancelling
            ):
                return exc
            return self.error
        if isinstance(exc, asyncio.CancelledError):
            return exc
        if node is not None:
            _note(exc, node)  # a task's failure was noted in the task (`_guard`)
        return exc

    @staticmethod
    async def _settle(tasks: dict[asyncio.Task[_Any], NodeInfo]) -> None:
        """Cancel the tasks and wait until all have ended, even if cancelled again
        meanwhile: no task outlives its run. A new cancellation is raised after."""
        for task in tasks:
            task.cancel()
        again: asyncio.CancelledError | None = None
        while pending := [task for task in tasks if not task.done()]:
            try:
                await asyncio.wait(pending)
            except asyncio.CancelledError as cancel:
                again = cancel
        if again is not None:
            raise again


# flowc:end run

# flowc:begin policy


class _Slots(_Protocol):
    """What a node's pool offers: one slot to hold during each attempt (`_Pool`)."""

    async def acquire(self) -> None: ...

    def release(self) -> None: ...


@_dataclass(frozen=True, slots=True)
class _Policy:
    """A node's clauses, as `_call` applies them to each call."""

    timeout: float | None = None  # per attempt, in seconds
    retries: int = 0  # attempts after the first
    backoff: float | None = None  # the first retry's delay; doubles with each retry
    max_delay: float | None = None  # the cap on every delay, jitter included
    jitter: bool = False  # each delay times a random factor in [0.5, 1.5]
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    pool: _Slots | None = None


_PLAIN = _Policy()
# flowc:end policy

# flowc:begin settings


def _count(value: object, least: int, what: str) -> int:
    """A limit (`least` 1) or retry count (`least` 0) given at run time: by a parameter of
    a flow, checked before any node starts, or to `configure_pool`. `what` names it."""
    if type(value) is int and least <= value <= 1_000_000_000:
        return value  # the common case, at once
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} needs a whole number, got {value!r}")
    if least <= value <= 1_000_000_000:
        return int(value)
    raise ValueError(
        f"{what} needs a whole number from {least} to 1000000000, got {value}"
    )


def _seconds(value: object, what: str, least: float = 0.0) -> float:
    """A duration in seconds given at run time, positive, finite and at least `least`
    (a backoff's cap: the backoff)."""
    if type(value) is float or type(value) is int:
        if 0 < value < _math.inf and value >= least:
            return value  # the common case, at once
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} needs a number of seconds, got {value!r}")
    if not (value > 0 and _math.isfinite(value)):
        raise ValueError(f"{what} needs a positive number of seconds, got {value!r}")
    if value < least:
        raise ValueError(
            f"{what} needs at least the backoff, {least!r} seconds, got {value!r}"
        )
    return float(value)


# flowc:end settings

# flowc:begin policies


class _Policies:
    """The policies of a node whose settings come from parameters, by their settings
    (checked): a run with the settings of an earlier one reuses its policy rather than
    making one. A few dozen are kept."""

    __slots__ = ("made",)

    def __init__(self) -> None:
        self.made: dict[tuple[object, ...], _Policy] = {}

    def get(
        self,
        timeout: float | None = None,
        retries: int = 0,
        backoff: float | None = None,
        max_delay: float | None = None,
        jitter: bool = False,
        retry_on: tuple[type[BaseException], ...] = (Exception,),
        pool: _Slots | None = None,
    ) -> _Policy:
        key = (timeout, retries, backoff, max_delay, jitter, retry_on, pool)
        policy = self.made.get(key)
        if policy is None:
            if len(self.made) >= 64:
                self.made.clear()
            policy = self.made[key] = _Policy(
                timeout, retries, backoff, max_delay, jitter, retry_on, pool
            )
        return policy


# flowc:end policies

# flowc:begin pool


class _PoolState:
    """A pool's state on one event loop."""

    __slots__ = ("held", "pacing", "starts", "waiters")

    def __init__(self, rate: int | None) -> None:
        self.held = 0
        self.waiters: _deque[asyncio.Future[None]] = _deque()
        self.starts: _deque[float] = _deque(maxlen=rate)  # the last `rate` start times
        self.pacing = asyncio.Lock()  # one call at a time waits for its turn to start


class _Pool:
    """A concurrency limit (and optional rate) shared by every run of every flow here.

    At most `limit` calls hold a slot at once, served first come, first served; with a
    rate, at most `rate` calls start in any `per` seconds. The state is kept per event
    loop, so the module works under one `asyncio.run` after another. `configure` changes
    the limit and rate for the calls to come.
    """

    __slots__ = ("_loops", "limit", "name", "per", "rate")

    def __init__(
        self, name: str, limit: int, rate: int | None = None, per: float | None = None
    ) -> None:
        self.name = name
        self.limit = limit
        self.rate = rate
        self.per = per
        self._loops: _weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, _PoolState
        ] = _weakref.WeakKeyDictionary()

    def _state(self) -> _PoolState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _PoolState(self.rate)
        return state

    async def acquire(self) -> None:
        """Wait for a slot and, with a rate, for this call's turn to start."""
        state = self._state()
        if state.held < self.limit and not state.waiters:
            state.held += 1
        else:
            waiter = asyncio.get_running_loop().create_future()
            state.waiters.append(waiter)
            try:
                await waiter  # `release` hands its slot straight to us
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self.release()  # granted, then cancelled: pass the slot on
                elif waiter in state.waiters:
                    state.waiters.remove(waiter)
                raise
        if self.rate is not None:
            try:
                async with state.pacing:  # calls start in the order they got a slot
                    await self._pace(state)
            except BaseException:
                self.release()
                raise

    async def _pace(self, state: _PoolState) -> None:
        # The `rate`-th start before this one must be at least `per` earlier. Checked
        # again after each sleep, on the time the call really starts: a loop that wakes
        # sleepers late (a long synchronous step) must not squeeze starts together, and
        # `configure` may have changed the rate meanwhile.
        loop = asyncio.get_running_loop()
        while (rate := self.rate) is not None and (per := self.per) is not None:
            starts = state.starts
            if len(starts) < rate or (wait := starts[-rate] + per - loop.time()) <= 0:
                break
            await asyncio.sleep(wait)
        state.starts.append(loop.time())

    def release(self) -> None:
        """Give a slot back: to the longest waiter, if any, unless the limit was lowered
        below the slots held (then the slot is gone)."""
        state = self._state()
        if state.held <= self.limit:
            while state.waiters:
                waiter = state.waiters.popleft()
                if not waiter.done():  # skip waiters cancelled before their turn
                    waiter.set_result(None)
                    return
        state.held -= 1

    def in_use(self) -> int:
        """How many slots are held on the running event loop."""
        state = self._loops.get(asyncio.get_running_loop())
        return 0 if state is None else state.held

    def configure(
        self,
        limit: int | None = None,
        rate: int | None = None,
        per: float | None = None,
    ) -> None:
        """Change the limit, rate or rate window (None: unchanged) for every call from now
        on, on every event loop. Calls holding slots keep them: after lowering the limit,
        new calls wait until fewer than the new limit hold slots; after raising it,
        waiting calls start at once. A value out of range raises `ValueError`."""
        what = f"pool `{self.name}`"
        new_limit = (
            self.limit if limit is None else _count(limit, 1, f"{what}: `limit`")
        )
        new_rate = self.rate if rate is None else _count(rate, 1, f"{what}: `rate`")
        new_per = self.per if per is None else _seconds(per, f"{what}: `per`")
        if new_rate is not None and new_per is None:
            raise ValueError(f"{what} has no rate window: give `per` with `rate`")
        if new_per is not None and new_rate is None:
            raise ValueError(f"{what} has no rate: give `rate` with `per`")
        self.limit, self.rate, self.per = new_limit, new_rate, new_per
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, state in list(self._loops.items()):
            if loop.is_closed():
                continue
            if loop.is_running() and loop is not running:
                # A loop running in another thread adjusts its own state.
                loop.call_soon_threadsafe(self._adjust, state)
            else:
                self._adjust(state)

    def _adjust(self, state: _PoolState) -> None:
        """One loop's state after `configure`: its record of starts sized to the rate,
        and waiting calls given the slots a raised limit frees."""
        if state.starts.maxlen != self.rate:
            state.starts = _deque(state.starts, maxlen=self.rate)
        while state.held < self.limit and state.waiters:
            waiter = state.waiters.popleft()
            if not waiter.done():
                state.held += 1
                waiter.set_result(None)


def _configure_pool(
    pools: tuple[_Pool, ...],
    name: str,
    limit: int | None,
    rate: int | None,
    per: float | None,
) -> None:
    """`configure_pool` of a module whose pools are `pools`."""
    for pool in pools:
        if pool.name == name:
            pool.configure(limit, rate, per)
            return
    names = ", ".join(repr(pool.name) for pool in pools)
    raise KeyError(f"no pool named {name!r}; the pools of this module are {names}")


# flowc:end pool

# flowc:begin ready


async def _ready(value: _T) -> _T:
    """A plain function's result as an awaitable, so `sync` calls fit `_call`."""
    return value


# flowc:end ready

# flowc:begin call


class _Outlived:
    """An attempt's awaitable whose work can go on after the attempt was abandoned (a
    worker thread: `_Thread`), so that `_attempt` keeps the attempt's slots until then.
    """

    __slots__ = ()

    def abandon(self) -> asyncio.Future[None] | None:
        """Called once the attempt has ended: None if the work has ended too, else a
        future that is done when it does."""
        return None


async def _call(
    run: _Run,
    node: NodeInfo,
    policy: _Policy,
    make: _Callable[[], _Awaitable[_T]],
    index: int | None = None,
) -> _T:
    """Call a node (or a map element: `index`) with its clauses; `make()` starts one
    attempt. Retries are made after a delay, holding no limit or pool slot. An observer
    that raises changes nothing here (`_notify`)."""
    journal = run.journal
    if journal is not None and journal.takes(node, index):
        return await journal.step(
            node, index, lambda: _call(run, node, policy, make, index)
        )
    events = run.events
    if events is None and policy is _PLAIN and run.limit is None:
        return await make()
    attempt = 1
    while True:
        try:
            return await _attempt(run, node, policy, make, index, attempt)
        except Exception as error:
            if attempt > policy.retries or not isinstance(error, policy.retry_on):
                raise
            delay = _delay(policy, attempt)
            if events is not None:
                events.tell(events.node_retrying, node, index, attempt, error, delay)
        await asyncio.sleep(delay)
        attempt += 1


async def _attempt(
    run: _Run,
    node: NodeInfo,
    policy: _Policy,
    make: _Callable[[], _Awaitable[_T]],
    index: int | None,
    attempt: int,
) -> _T:
    """One attempt: the flow's limit, then the pool, then the call under its timeout
    (which counts the call only). Slots are released however the call ends; when a
    timeout or a cancellation abandons a call whose work goes on (`_Outlived`), once
    that work has ended: a limit counts what really runs."""
    limit, pool, events = run.limit, policy.pool, run.events
    if limit is not None:
        await limit.acquire()

    def release(_: object = None) -> None:
        if pool is not None:
            pool.release()
        if limit is not None:
            limit.release()

    try:
        if pool is not None:
            await pool.acquire()
    except BaseException:
        if limit is not None:
            limit.release()
        raise
    call: _Awaitable[_T] | None = None
    try:
        if events is not None:
            events.tell(events.node_started, node, index, attempt)
        start = _time.perf_counter()
        try:
            if policy.timeout is None:
                value = await (call := make())
            else:
                async with asyncio.timeout(policy.timeout):
                    value = await (call := make())
        except BaseException as error:
            if events is not None:
                events.tell(
                    events.node_failed,
                    node,
                    index,
                    attempt,
                    error,
                    _time.perf_counter() - start,
                )
            raise
        duration = _time.perf_counter() - start
    finally:
        if isinstance(call, _Outlived) and (ended := call.abandon()) is not None:
            ended.add_done_callback(release)
        else:
            release()
    if events is not None:
        events.tell(events.node_finished, node, index, attempt, duration)
    return value


def _delay(policy: _Policy, retry: int) -> float:
    """The wait before retry `retry` (from 1): none without backoff, else doubling."""
    if policy.backoff is None:
        return 0.0
    delay = policy.backoff * 2.0 ** min(retry - 1, 100)  # bounded: no float overflow
    if policy.jitter:
        delay *= _random.uniform(0.5, 1.5)
    if policy.max_delay is not None:
        delay = min(delay, policy.max_delay)
    return delay


# flowc:end call

# flowc:begin C
_C = _TypeVar("_C", bound=_Callable[..., _Any])
# flowc:end C

# flowc:begin watch


def _watch(run: _Run, node: NodeInfo, func: _C, index: int | None = None) -> _C:
    """`func` as an observed run calls it for a node without clauses (`index`: a map's
    element): each call is one attempt of the node, reported as `_call` reports one (a
    node without clauses runs in a flow without a limit: no slot to take). The generated
    code calls `func` itself when there is no observer, through the same call expression
    (`(f if observer is None else _watch(run, node, f))(...)`)."""

    async def call(*args: _Any, **kwargs: _Any) -> _Any:
        journal = run.journal
        if journal is not None and journal.takes(node, index):
            return await journal.step(node, index, lambda: call(*args, **kwargs))
        events = run.events
        if events is None or (index is not None and not events.elements):
            return await func(*args, **kwargs)
        shown = events.node(node)
        if events.node_started is not None:
            _notify(events.node_started, shown, index, 1)
        start = _time.perf_counter()
        try:
            value = await func(*args, **kwargs)
        except BaseException as error:
            if events.node_failed is not None:
                duration = _time.perf_counter() - start
                _notify(events.node_failed, shown, index, 1, error, duration)
            raise
        if events.node_finished is not None:
            duration = _time.perf_counter() - start
            _notify(events.node_finished, shown, index, 1, duration)
        return value

    return _cast(_C, call)


# flowc:end watch

# flowc:begin watch_sync


def _watch_sync(run: _Run, node: NodeInfo, func: _C, index: int | None = None) -> _C:
    """`_watch` for a `sync` node: the plain function's call is the attempt."""

    def call(*args: _Any, **kwargs: _Any) -> _Any:
        journal = run.journal
        if journal is not None and journal.takes(node, index):
            return journal.step_sync(node, index, lambda: observed(*args, **kwargs))
        return observed(*args, **kwargs)

    def observed(*args: _Any, **kwargs: _Any) -> _Any:
        events = run.events
        if events is None:
            return func(*args, **kwargs)
        events.tell(events.node_started, node, index, 1)
        start = _time.perf_counter()
        try:
            value = func(*args, **kwargs)
        except BaseException as error:
            events.tell(
                events.node_failed, node, index, 1, error, _time.perf_counter() - start
            )
            raise
        events.tell(events.node_finished, node, index, 1, _time.perf_counter() - start)
        return value

    return _cast(_C, call)


# flowc:end watch_sync

# flowc:begin P
_P = _ParamSpec("_P")
# flowc:end P

# flowc:begin plain


def _plain(node: NodeInfo, value: _T, mode: str = "sync") -> _T:
    """The value of a `sync` (or `thread`) node's callee, which must be a plain function:
    an `async def` callee's coroutine is not handed on, never awaited, as the node's value.
    """
    # What `collections.abc.Awaitable` checks, a method `__await__` of its class: looked up
    # on the value first, a sixth of the time of the ABC's `isinstance` on a plain value.
    if hasattr(value, "__await__") and hasattr(type(value), "__await__"):
        close = getattr(value, "close", None)
        if close is not None:
            close()  # a coroutine: no "never awaited" warning on top of the error
        raise TypeError(
            f"flowc: in flow `{node.flow}`, node `{node.node}` ({node.location}) is "
            f"`{mode}`, but its callee returned {type(value).__name__} object, an "
            f"awaitable: the callee is `async def`; drop `{mode}` so that flowc awaits it"
        )
    return value


# flowc:end plain

# flowc:begin in_thread


def _in_thread(node: NodeInfo, func: _Callable[_P, _T]) -> _Callable[_P, _T]:
    """A `thread` node's callee, checked in its thread as `_plain` checks a `sync` one."""

    def call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return _plain(node, func(*args, **kwargs), "thread")

    return call


# flowc:end in_thread

# flowc:begin worker_thread


class _Thread(_Outlived, _Generic[_T]):
    """A plain function run in a worker thread, as `asyncio.to_thread` runs it, for a node
    that holds a pool or limit slot. A timeout or a cancellation abandons the call, but
    Python cannot stop the thread: `abandon` says when it has ended, and a call abandoned
    before its thread started never runs."""

    __slots__ = ("_ended", "_future", "_lock", "_state")

    def __init__(self, call: _Callable[[], _T]) -> None:
        loop = asyncio.get_running_loop()
        self._lock = _threading.Lock()
        self._state = "queued"  # then "running" and "ended"; or "dropped", never run
        self._ended: asyncio.Future[None] = loop.create_future()
        context = _contextvars.copy_context()
        self._future = loop.run_in_executor(
            None, lambda: context.run(self._run, call, loop)
        )

    def _run(self, call: _Callable[[], _T], loop: asyncio.AbstractEventLoop) -> _T:
        """In the worker thread."""
        with self._lock:
            if self._state == "dropped":
                raise asyncio.CancelledError  # abandoned before it started: nobody waits
            self._state = "running"
        try:
            return call()
        finally:
            with self._lock:
                self._state = "ended"
            try:
                loop.call_soon_threadsafe(self._end)
            except RuntimeError:  # the loop is closed: nobody waits for the slots
                pass

    def _end(self) -> None:
        if not self._ended.done():
            self._ended.set_result(None)

    def __await__(self) -> _Generator[_Any, None, _T]:
        return self._future.__await__()

    def abandon(self) -> asyncio.Future[None] | None:
        with self._lock:
            if self._state == "queued":
                self._state = "dropped"
            if self._state != "running":
                return None
        return self._ended


# flowc:end worker_thread

# flowc:begin thread


def _thread(
    func: _Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
) -> _Thread[_T]:
    """`asyncio.to_thread(func, *args, **kwargs)` for a node that holds slots (`_Thread`)."""
    return _Thread(lambda: func(*args, **kwargs))


# flowc:end thread

# flowc:begin executor


class _Submitted(_Outlived, _Generic[_T]):
    """A plain function's call submitted to a bound executor. Awaiting it awaits the
    executor's future (`asyncio.wrap_future`: cancelling the wait cancels the future, which
    succeeds while the call has not started). A timeout or a cancellation abandons a call
    that has started: `abandon` says when it has ended, so its slots are held until then.
    """

    __slots__ = ("_future", "_mode", "_node", "_waited")

    def __init__(self, future: _Future[_T], node: NodeInfo, mode: str) -> None:
        self._future = future
        self._node = node
        self._mode = mode  # `executor NAME`, for the check of the value
        self._waited = asyncio.wrap_future(future)

    def __await__(self) -> _Generator[_Any, None, _T]:
        value = yield from self._waited.__await__()
        return _plain(self._node, value, self._mode)

    def abandon(self) -> asyncio.Future[None] | None:
        future = self._future
        if future.cancel() or future.done():
            return None  # never started, or ended already
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()

        def end() -> None:
            if not ended.done():
                ended.set_result(None)

        def done(_: object) -> None:  # in the executor's thread
            try:
                loop.call_soon_threadsafe(end)
            except RuntimeError:  # the loop is closed: nobody waits for the slots
                pass

        future.add_done_callback(done)
        return ended


class _NamedExecutor:
    """A module's `executor NAME`: the `concurrent.futures.Executor` bound to it
    (`bind_executor`), or None, the default thread pool, where calls run as `thread` runs
    them."""

    __slots__ = ("executor", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.executor: _Executor | None = None

    def submit(
        self,
        node: NodeInfo,
        func: _Callable[_P, _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _Submitted[_T] | _Thread[_T]:
        """One call of `func`: on the bound executor as `functools.partial(func, *args,
        **kwargs)`, which is all a process pool or a cluster is sent (so the function, its
        arguments and its value must be picklable); else in a worker thread."""
        executor = self.executor
        if executor is None:
            return self.local(node, func, *args, **kwargs)
        future = executor.submit(_partial(func, *args, **kwargs))
        return _Submitted(future, node, f"executor {self.name}")

    def local(
        self,
        node: NodeInfo,
        func: _Callable[_P, _T],
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _Thread[_T]:
        """One call of `func` in a worker thread of this process (an unbound executor, a
        fallback call: a busy or distant executor never holds a node's fallback)."""
        mode = f"executor {self.name}"
        return _Thread(lambda: _plain(node, func(*args, **kwargs), mode))


def _bind_executor(
    executors: tuple[_NamedExecutor, ...], name: str, executor: _Executor | None
) -> None:
    """`bind_executor` of a module whose executors are `executors`."""
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(
            f"bind_executor: executor {name!r} takes a concurrent.futures.Executor or None, "
            f"not {type(executor).__name__} (it has no `submit` method)"
        )
    for named in executors:
        if named.name == name:
            named.executor = executor
            return
    names = ", ".join(repr(named.name) for named in executors)
    raise KeyError(
        f"no executor named {name!r}; the executors of this module are {names}"
    )


# flowc:end executor

# flowc:begin when


async def _when(
    run: _Run, node: NodeInfo, holds: bool, make: _Callable[[], _Awaitable[_T]]
) -> _T | None:
    """The node's value if its `when` condition holds; else it is skipped: `None`."""
    journal = run.journal
    if journal is not None and journal.takes(node, None):
        return await journal.step(node, None, lambda: _when(run, node, holds, make))
    if holds:
        return await make()
    events = run.events
    if events is not None and events.node_skipped is not None:
        _notify(events.node_skipped, events.node(node))
    return None


# flowc:end when

# flowc:begin after


async def _after(
    tasks: tuple[_Awaitable[object], ...], make: _Callable[[], _Awaitable[_T]]
) -> _T:
    """Start a node in a task once the tasks it reads from have finished."""
    for task in tasks:
        # Should one fail, its run cancels this task first: we never see that error.
        await task
    return await make()


# flowc:end after

# flowc:begin fallback


async def _fallback(
    run: _Run,
    node: NodeInfo,
    fallback: str,
    make: _Callable[[], _Awaitable[_T]],
    alt: _Callable[[], _U],
    index: int | None = None,
) -> _T | _U:
    """The value of `await make()` or, if it fails (cancellation is no failure), `alt()`,
    the observer told (`fallback`: the fallback as Python). A callable rather than an
    awaitable: nothing is created before the task runs."""
    journal = run.journal
    if journal is not None and journal.takes(node, index):
        return await journal.step(
            node, index, lambda: _fallback(run, node, fallback, make, alt, index)
        )
    try:
        return await make()
    # Any failure falls back.
    except Exception as error:  # noqa: BLE001
        if run.events is not None:
            run.events.tell(run.events.node_fell_back, node, index, error, fallback)
        return alt()


# flowc:end fallback

# flowc:begin fallback_call


async def _fallback_call(
    run: _Run,
    node: NodeInfo,
    fallback: str,
    make: _Callable[[], _Awaitable[_T]],
    alt: _Callable[[], _Awaitable[_U]],
    index: int | None = None,
) -> _T | _U:
    """The value of `await make()` or, if it fails (cancellation is no failure), `await alt()`."""
    journal = run.journal
    if journal is not None and journal.takes(node, index):
        return await journal.step(
            node, index, lambda: _fallback_call(run, node, fallback, make, alt, index)
        )
    try:
        return await make()
    # Any failure falls back.
    except Exception as error:  # noqa: BLE001
        if run.events is not None:
            run.events.tell(run.events.node_fell_back, node, index, error, fallback)
        return await alt()


# flowc:end fallback_call

# flowc:begin map


async def _map(
    run: _Run,
    node: NodeInfo,
    items: _Iterable[_X],
    element: _Callable[[_X, int], _Awaitable[_T]],
    limit: int | None,
    failed: list[int] | None = None,
) -> list[_T]:
    """`element(item, index)` for every item, at most `limit` at once, started in input
    order; the results in input order. The first failure cancels the other elements
    and is raised. (`run` is the flow's: the elements' calls use it.) An observer hears
    `map_finished` when the map ends, with the number of elements that failed
    (`_map_collect` counts its own: `failed`)."""
    journal = run.journal
    if journal is not None and journal.takes(node, None):
        return await journal.step(
            node, None, lambda: _map(run, node, items, element, limit, failed)
        )
    if journal is not None:
        seq = journal.elements(node, items)
    else:
        seq = items if isinstance(items, _Sequence) else list(items)
    events = run.events
    if events is None or events.map_finished is None:
        return await _map_all(node, seq, element, limit, failed)
    start, failures = _time.perf_counter(), [0] if failed is None else failed
    try:
        return await _map_all(node, seq, element, limit, failures)
    finally:
        _notify(
            events.map_finished,
            events.node(node),
            len(seq),
            failures[0],
            _time.perf_counter() - start,
        )


async def _map_all(
    node: NodeInfo,
    seq: _Sequence[_X],
    element: _Callable[[_X, int], _Awaitable[_T]],
    limit: int | None,
    failed: list[int] | None,
) -> list[_T]:
    """`_map`'s work: elements that raise are counted in `failed`."""
    if not seq:
        return []
    results: list[_Any] = [None] * len(seq)
    indices = iter(range(len(seq)))  # shared: each worker takes the next index

    async def worker() -> None:
        for i in indices:
            try:
                results[i] = await element(seq[i], i)
            except BaseException as exc:
                if not isinstance(exc, asyncio.CancelledError):
                    _note(exc, node, i)
                    if failed is not None:
                        failed[0] += 1
                raise

    # The workers run as a little run of their own: its fail-fast and cancellation
    # are the flow's. The calling task is one of the workers.
    workers = len(seq) if limit is None else min(limit, len(seq))
    group = _Run(None, None)
    try:
        for _ in range(workers - 1):
            group.spawn(worker, node)
        await worker()
        for task in group.tasks or ():
            await task
        return results
    # The run's `abort` decides what to raise.
    except BaseException as exc:  # noqa: BLE001
        error = await group.abort(exc, None)
    raise error


# flowc:end map

# flowc:begin map_collect


async def _map_collect(
    run: _Run,
    node: NodeInfo,
    items: _Iterable[_X],
    element: _Callable[[_X, int], _Awaitable[_T]],
    limit: int | None,
) -> list[_T | Exception]:
    """Like `_map`, but an element that fails has its exception as its result and
    fails nothing else. With a journal, each element that succeeded is recorded, and
    the whole value only if none failed: a failure is not recorded."""
    journal = run.journal
    if journal is not None and journal.takes(node, None):
        return await journal.step(
            node,
            None,
            lambda: _map_collect(run, node, items, element, limit),
            lambda values: not any(isinstance(v, Exception) for v in values),
        )
    failed = [0]

    async def collected(item: _X, index: int) -> _T | Exception:
        try:
            return await element(item, index)
        # `collect` keeps any failure.
        except Exception as error:  # noqa: BLE001
            _note(error, node, index)
            failed[0] += 1
            return error

    return await _map(run, node, items, collected, limit, failed)


# flowc:end map_collect
