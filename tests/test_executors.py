"""`executor` nodes on real executors of other processes: `tests/executors/executors.flow`,
compiled in both runtime modes and checked with `mypy --strict`, run with its `cpu`
executor bound to a 2-worker `ProcessPoolExecutor` (spawned workers), to a 2-worker Dask
`LocalCluster` (worker processes, through `Client.get_executor`), and to nothing (the
default thread pool). Results keep their input order, the calls run in the workers'
processes, a map's `limit` holds across processes, a timeout returns the fallback without
waiting for the worker, and a cancelled caller leaves no future pending."""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from flowc import compile_source, runtime_source

CASE = Path(__file__).resolve().parent / "executors"
MODES = ("inline", "shared")
KINDS = ("threads", "process", "dask")
WORKERS = 2


@pytest.fixture(scope="module")
def steps_importable() -> Iterator[ModuleType]:
    """The steps' folder on the import path before any worker starts: spawned workers
    (a process pool's, a Dask nanny's) start with this process's `sys.path`, and import
    the steps module when they unpickle a call."""
    sys.path.insert(0, str(CASE))
    try:
        yield importlib.import_module("executors_steps")
    finally:
        sys.path.remove(str(CASE))
        sys.modules.pop("executors_steps", None)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`executors.flow` compiled once per runtime mode, each into a folder of its own."""
    source = (CASE / "executors.flow").read_text(encoding="utf-8")
    folders = {}
    for mode in MODES:
        folder = tmp_path_factory.mktemp(f"executors_{mode}")
        text = compile_source(source, "executors.flow", runtime=mode)
        (folder / "executors_flow.py").write_text(text, encoding="utf-8")
        if mode == "shared":
            (folder / "_flowc_runtime.py").write_text(runtime_source(), encoding="utf-8")
        folders[mode] = folder
    return folders


@pytest.mark.parametrize("mode", MODES)
def test_generated_module_passes_mypy_strict(mode: str, builds: dict[str, Path]) -> None:
    folder = builds[mode]
    files = sorted(p.name for p in folder.glob("*.py"))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--show-error-codes", *files],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MYPYPATH": f"{CASE}:{folder}"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.fixture(scope="module", params=MODES)
def flows(
    request: pytest.FixtureRequest, builds: dict[str, Path], steps_importable: ModuleType
) -> Iterator[ModuleType]:
    """The generated module of one runtime mode, imported, its executor unbound afterwards."""
    folder = builds[request.param]
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("executors_flow")
        yield module
        module.bind_executor("cpu", None)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("executors_flow", None)
        sys.modules.pop("_flowc_runtime", None)


@pytest.fixture(scope="module")
def process_pool(steps_importable: ModuleType) -> Iterator[ProcessPoolExecutor]:
    """Two spawned worker processes (no fork of a process that runs threads), both started
    before the first test uses them."""
    pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
    try:
        wait([pool.submit(time.sleep, 0.3) for _ in range(WORKERS)])
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def dask_client(steps_importable: ModuleType) -> Iterator[Any]:
    """A client of a Dask cluster of two single-threaded worker processes on this machine,
    started once for the module."""
    distributed = pytest.importorskip(
        "distributed", reason="Dask `distributed` is not installed (it is in the dev extras: pip install -e '.[dev]')"
    )
    with (
        distributed.LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def dask_executor(dask_client: Any) -> Executor:
    """The cluster's executor, submitting with `pure=False`: two equal calls (a retry, the
    same element in two tests) both run instead of sharing one task."""
    executor: Executor = dask_client.get_executor(pure=False)
    return executor


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def executor(kind: str, request: pytest.FixtureRequest) -> Executor | None:
    """The executor of the test's kind (None: the default thread pool)."""
    if kind == "threads":
        return None
    return request.getfixturevalue("process_pool" if kind == "process" else "dask_executor")


@pytest.fixture
def state(tmp_path: Path) -> str:
    """The folder in which every call of the test records itself (see the steps module)."""
    return str(tmp_path)


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Whether `condition` holds within `seconds` (polled)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def assert_ran_in(kind: str, pids: set[int]) -> None:
    if kind == "threads":
        assert pids == {os.getpid()}
    else:
        assert os.getpid() not in pids and 1 <= len(pids) <= WORKERS, pids


def test_results_keep_input_order_and_calls_run_in_the_workers(
    flows: ModuleType, steps_importable: ModuleType, kind: str, executor: Executor | None, state: str
) -> None:
    flows.bind_executor("cpu", executor)
    xs = [9, 1, 7, 3, 5, 2, 6, 4]
    # Each call waits until two run at once: every executor here runs two calls together.
    calls = asyncio.run(flows.ordered(xs, 0.1, 2, state))
    assert [c.x for c in calls] == xs
    assert_ran_in(kind, {c.pid for c in calls})
    count = steps_importable.read(state)
    assert sorted(count["ended"]) == sorted(xs) and count["running"] == 0
    # Calls of different lengths ended out of input order: the order is the map's doing.
    assert count["ended"] != xs
    if kind == "threads":
        assert count["peak"] >= 2
    else:
        assert count["peak"] == WORKERS


def test_the_maps_limit_holds_across_processes(
    flows: ModuleType, steps_importable: ModuleType, kind: str, executor: Executor | None, state: str
) -> None:
    flows.bind_executor("cpu", executor)
    xs = [3, 1, 6, 2]
    calls = asyncio.run(flows.limited(xs, 0.1, state))
    assert [c.x for c in calls] == xs
    assert_ran_in(kind, {c.pid for c in calls})
    count = steps_importable.read(state)
    # `limit 1`: one call at a time, so they also start and end in input order.
    assert count["peak"] == 1 and count["started"] == xs and count["ended"] == xs


def stop_and_settle(steps: ModuleType, state: str) -> None:
    """Let the long call end (it is still running on its worker), so the next test finds
    the worker free."""
    (Path(state) / "stop").touch()
    assert eventually(lambda: steps.read(state)["running"] == 0)


def test_a_timeout_returns_the_fallback_without_waiting_for_the_worker(
    flows: ModuleType, steps_importable: ModuleType, kind: str, executor: Executor | None, state: str
) -> None:
    flows.bind_executor("cpu", executor)

    async def timed() -> tuple[int, float, list[int]]:
        started = time.monotonic()
        value = await flows.timed(state)
        elapsed = time.monotonic() - started
        ended = steps_importable.read(state)["ended"]
        # Inside the run: `asyncio.run` waits for the default thread pool's threads.
        stop_and_settle(steps_importable, state)
        return value, elapsed, ended

    value, elapsed, ended_at_return = asyncio.run(timed())
    assert value == -1
    # The step takes 5 s: the flow did not wait for it.
    assert ended_at_return == [] and elapsed < 4.0
    assert steps_importable.read(state)["started"] == [1]


def test_a_fallback_call_runs_in_this_process(
    flows: ModuleType, steps_importable: ModuleType, kind: str, executor: Executor | None, state: str
) -> None:
    flows.bind_executor("cpu", executor)

    async def timed() -> tuple[int, list[int]]:
        value = await flows.timed_here(state)
        ended = steps_importable.read(state)["ended"]
        stop_and_settle(steps_importable, state)
        return value, ended

    value, ended_at_return = asyncio.run(timed())
    assert value == os.getpid() and ended_at_return == []


def test_a_retry_runs_the_call_again(
    flows: ModuleType, steps_importable: ModuleType, executor: Executor | None, state: str
) -> None:
    flows.bind_executor("cpu", executor)
    assert asyncio.run(flows.retried(5, state)) == 2
    assert steps_importable.read(state)["started"] == [5, 5]


def test_on_dasks_default_executor_a_retry_gets_the_first_error_back(
    flows: ModuleType, steps_importable: ModuleType, dask_client: Any, state: str
) -> None:
    """Why docs/scale-out.md asks for `get_executor(pure=False)`: by default Dask gives
    equal calls one key, and the retry is handed the first attempt's error without running."""
    flows.bind_executor("cpu", dask_client.get_executor())
    with pytest.raises(ValueError, match="the first call for 6 fails"):
        asyncio.run(flows.retried(6, state))
    assert steps_importable.read(state)["started"] == [6]


class Recording(Executor):
    """Hands every call to `inner` and keeps the futures it hands out, with each call's `x`."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.handed: list[tuple[Any, Future[Any]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self.inner.submit(fn, *args, **kwargs)
        self.handed.append((getattr(fn, "keywords", {}).get("x"), future))
        return future


@pytest.mark.parametrize("kind", ["process", "dask"])
def test_cancelling_the_caller_leaves_no_future_pending(
    flows: ModuleType, steps_importable: ModuleType, executor: Executor, state: str
) -> None:
    recording = Recording(executor)
    flows.bind_executor("cpu", recording)
    xs = list(range(8))

    async def cancelled_mid_map() -> list[tuple[Any, bool, bool]]:
        task = asyncio.ensure_future(flows.ordered(xs, 0.5, 1, state))
        while len(steps_importable.read(state)["started"]) < WORKERS:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return [(x, f.cancelled(), f.running() or f.done()) for x, f in recording.handed]

    handed = asyncio.run(cancelled_mid_map())
    assert sorted(x for x, _, _ in handed) == xs
    # When the run has ended, no future is left pending: each was cancelled, or its call
    # had been handed to a worker already.
    assert [x for x, cancelled, taken in handed if not cancelled and not taken] == []
    # Eight calls on two workers: beyond recall were at most the two running and the calls a
    # process pool had queued for its workers (one more than it has workers).
    beyond_recall = WORKERS + WORKERS + 1
    assert sum(cancelled for _, cancelled, _ in handed) >= len(xs) - beyond_recall
    assert wait([f for _, f in recording.handed], timeout=10).not_done == set()
    assert eventually(lambda: steps_importable.read(state)["running"] == 0)
    count = steps_importable.read(state)
    # The calls that were cancelled before a worker took them never ran.
    assert sorted(count["started"]) == sorted(count["ended"]) and len(count["started"]) <= beyond_recall
    never_taken = {x for x, cancelled, _ in handed if cancelled} - set(count["started"])
    assert len(never_taken) >= len(xs) - beyond_recall


def test_rebinding_changes_where_later_calls_run(
    flows: ModuleType, process_pool: ProcessPoolExecutor, tmp_path: Path
) -> None:
    for name in ("away", "home"):
        (tmp_path / name).mkdir()
    flows.bind_executor("cpu", process_pool)
    away = asyncio.run(flows.ordered([1, 2], 0.0, 1, str(tmp_path / "away")))
    flows.bind_executor("cpu", None)
    home = asyncio.run(flows.ordered([1, 2], 0.0, 1, str(tmp_path / "home")))
    assert os.getpid() not in {c.pid for c in away}
    assert {c.pid for c in home} == {os.getpid()}


def test_binding_an_undeclared_executor_names_the_declared_ones(flows: ModuleType) -> None:
    with pytest.raises(KeyError, match="cpu"):
        flows.bind_executor("gpu", None)
    assert "bind_executor" in flows.__all__
