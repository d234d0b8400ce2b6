import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


class Recording(ThreadPoolExecutor):
    """A thread pool that keeps every future it hands out, its threads named `bound_…`."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers, thread_name_prefix="bound")
        self.futures: list[Future[Any]] = []
        self.lock = threading.Lock()
        self.outstanding = self.most_outstanding = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self.lock:
            self.outstanding += 1
            self.most_outstanding = max(self.most_outstanding, self.outstanding)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self.ended)
        self.futures.append(future)
        return future

    def warm(self) -> None:
        """Start a worker thread now, unrecorded, so that the next call starts at once."""
        super().submit(int).result()

    def ended(self, _: object) -> None:
        with self.lock:
            self.outstanding -= 1


@pytest.fixture
def pool(steps: ModuleType) -> Iterator[Callable[[int], Recording]]:
    """Makes recording pools; at the end every waiting step is released and every pool shut down."""
    steps.reset()
    made: list[Recording] = []

    def make(workers: int) -> Recording:
        made.append(Recording(workers))
        return made[-1]

    yield make
    for event in list(steps.events.values()):
        event.set()
    for executor in made:
        executor.shutdown(wait=True)


def release(steps: ModuleType) -> None:
    for event in list(steps.events.values()):
        event.set()


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["executor"] == []


def test_unbound_calls_run_in_worker_threads_of_this_process(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.reset()
    assert asyncio.run(flow_module.plain(x=1)) == 4
    assert sorted(steps.calls) == ["work 1", "work 2"]
    assert steps.calls["work 1"] == 2  # `a` and `c`
    assert steps.pids == [os.getpid()] * 3
    assert threading.current_thread().name not in steps.threads
    assert not any(name.startswith("bound") for name in steps.threads)


def test_bound_calls_go_to_their_executor(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(2)
    flow_module.bind_executor("cpu", cpu)
    assert asyncio.run(flow_module.plain(x=1)) == 4
    assert len(cpu.futures) == 2  # `a` and `b`; `c` runs on `io`, unbound: a local thread
    assert sum(name.startswith("bound") for name in steps.threads) == 2
    assert len(steps.threads) == 3


def test_map_results_in_input_order_with_its_limit_held(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(8)
    flow_module.bind_executor("cpu", cpu)
    assert asyncio.run(flow_module.mapped(xs=list(range(12)))) == [2 * x for x in range(12)]
    assert len(cpu.futures) == 12
    assert 1 <= steps.peak <= 3


def test_a_long_map_holds_at_most_limit_futures(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(8)
    flow_module.bind_executor("cpu", cpu)
    assert asyncio.run(flow_module.mapped(xs=list(range(150)))) == [2 * x for x in range(150)]
    assert len(cpu.futures) == 150
    assert 1 <= cpu.most_outstanding <= 3


def test_timeout_returns_the_fallback_without_waiting_for_the_call(
    flow_module: ModuleType, steps: ModuleType, pool: Any
) -> None:
    cpu = pool(2)
    cpu.warm()
    flow_module.bind_executor("cpu", cpu)
    assert asyncio.run(flow_module.guarded(key="slow")) == -1
    # The call still waits for its event on the executor: the run did not wait for it.
    assert steps.calls == {"slow": 1, "fallback slow": 1}
    assert not cpu.futures[0].done()
    # The fallback ran in a local thread, not on the executor.
    assert len(cpu.futures) == 1
    assert steps.threads[0].startswith("bound") and not steps.threads[1].startswith("bound")
    release(steps)
    assert cpu.futures[0].result(timeout=10) == 4


def test_timeout_cancels_a_call_not_started(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(1)
    flow_module.bind_executor("cpu", cpu)
    holding = cpu.submit(steps.wait_for, "hold")  # the one worker is busy
    assert asyncio.run(flow_module.guarded(key="queued")) == -1
    queued = cpu.futures[1]
    assert queued.cancelled()
    release(steps)
    assert holding.result(timeout=10) == 4
    assert "queued" not in steps.calls


def test_fail_fast_cancels_the_calls_not_started(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(1)
    flow_module.bind_executor("cpu", cpu)
    with pytest.raises(LookupError):
        asyncio.run(flow_module.waits(keys=["fail", "a", "b", "c"]))
    # The one worker may have taken the next call before the failure reached the loop.
    started = [key for key in "abc" if key in steps.calls]
    assert len(started) <= 1
    assert sum(future.cancelled() for future in cpu.futures) >= 2
    release(steps)
    cpu.shutdown(wait=True)
    assert all(future.done() for future in cpu.futures)


def test_caller_cancellation_leaves_no_pending_futures(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(1)
    flow_module.bind_executor("cpu", cpu)
    keys = [f"k{i}" for i in range(10)]

    async def main() -> None:
        task = asyncio.create_task(flow_module.waits(keys=keys))
        for _ in range(500):
            if "k0" in steps.calls:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert len(cpu.futures) == 4  # the map's limit
    pending = [future for future in cpu.futures if not future.done()]
    assert pending == [cpu.futures[0]]  # the call running: nothing can stop it
    assert all(future.cancelled() for future in cpu.futures[1:])
    release(steps)
    cpu.shutdown(wait=True)
    assert list(steps.calls) == ["k0"]


def test_retry_submits_the_call_again(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(2)
    flow_module.bind_executor("cpu", cpu)
    assert asyncio.run(flow_module.retried(key="r")) == 2
    assert len(cpu.futures) == 2


def test_pool_slots_are_held_until_abandoned_calls_end(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    io = pool(8)
    flow_module.bind_executor("io", io)
    results = asyncio.run(flow_module.pooled(seconds=[0.05] * 6))
    assert [type(r).__name__ for r in results] == ["TimeoutError"] * 6
    io.shutdown(wait=True)
    # A call whose timeout came before a worker took it was cancelled and never ran.
    assert steps.ended + sum(future.cancelled() for future in io.futures) == 6
    assert steps.ended >= 1
    assert steps.peak <= 2


def test_when_false_submits_nothing(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(1)
    flow_module.bind_executor("cpu", cpu)
    assert asyncio.run(flow_module.skipped(x=0)) is None
    assert cpu.futures == []
    assert asyncio.run(flow_module.skipped(x=2)) == 4
    assert len(cpu.futures) == 1


@pytest.mark.parametrize("bound", [False, True])
def test_an_awaitable_callee_is_refused(flow_module: ModuleType, pool: Any, bound: bool) -> None:
    if bound:
        flow_module.bind_executor("cpu", pool(1))
    with pytest.raises(
        TypeError, match="node `a` .* is `executor cpu`, but its callee returned coroutine object.*drop `executor cpu`"
    ):
        asyncio.run(flow_module.awaitable(x=1))


def test_bind_executor_refuses_unknown_names_and_non_executors(flow_module: ModuleType, pool: Any) -> None:
    with pytest.raises(KeyError, match="no executor named 'gpu'; the executors of this module are 'cpu', 'io'"):
        flow_module.bind_executor("gpu", pool(1))
    with pytest.raises(TypeError, match="executor 'cpu' takes a concurrent.futures.Executor or None, not int"):
        flow_module.bind_executor("cpu", 3)
    assert "bind_executor" in flow_module.__all__


def test_binding_none_runs_calls_in_threads_again(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    cpu = pool(1)
    flow_module.bind_executor("cpu", cpu)
    flow_module.bind_executor("cpu", None)
    assert asyncio.run(flow_module.plain(x=1)) == 4
    assert cpu.futures == []


def test_an_observer_hears_each_call(flow_module: ModuleType, steps: ModuleType, pool: Any) -> None:
    flow_module.bind_executor("cpu", pool(2))
    heard: list[tuple[str, str]] = []

    class Observer:
        def node_started(self, node: Any, index: int | None, attempt: int) -> None:
            heard.append(("started", node.node))

        def node_finished(self, node: Any, index: int | None, attempt: int, duration: float) -> None:
            heard.append(("finished", node.node))

    assert asyncio.run(flow_module.plain(x=1, observer=Observer())) == 4
    assert sorted(heard) == sorted([(event, node) for node in "abc" for event in ("started", "finished")])
    assert heard.index(("finished", "a")) < heard.index(("started", "b"))


def test_a_journal_records_executor_calls_and_a_resumed_run_submits_none(
    flow_module: ModuleType, steps: ModuleType, pool: Any, tmp_path: Path
) -> None:
    cpu = pool(4)
    flow_module.bind_executor("cpu", cpu)
    journal = flow_module.SqliteJournal(tmp_path / "journal.db")
    assert asyncio.run(flow_module.mapped(xs=[1, 2, 3], run_id="r", journal=journal)) == [2, 4, 6]
    assert len(cpu.futures) == 3
    assert {"mapped.out[0]", "mapped.out[2]", "mapped"} <= set(journal.load("r"))
    assert asyncio.run(flow_module.mapped(xs=[1, 2, 3], run_id="r", journal=journal)) == [2, 4, 6]
    assert len(cpu.futures) == 3
    journal.close()
