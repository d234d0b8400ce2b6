"""Executors: a CPU-bound map in one process, on a process pool and on a Dask cluster.

`python bench/executors.py [--items 2000] [--work 30000] [--rounds 5] [--out bench/RESULTS.md]`
compiles `flows/executors.flow` (a map of `churn`, a pure-Python hash loop of about 3 ms,
sent to `executor cpu`) and times it, round by round and interleaved:

- **one process**: a hand-written loop calling `churn` on each element (the baseline);
- **the flow, unbound**: no executor bound, so the calls run in the default thread pool,
  as `thread` does (the GIL lets one of them run at a time);
- **the flow on a process pool**: `ProcessPoolExecutor(2)`, spawned workers;
- **the flow on a Dask cluster**: `LocalCluster(n_workers=2, threads_per_worker=1)`, worker
  processes on this machine, through `Client.get_executor(pure=False)`.

The speed-up is the one process's time divided by each variant's (medians of the rounds).
The per-call overhead is the same map over `nothing` (a function that returns its argument)
divided by the number of elements: what one call costs on that executor, pickling and the
round trip included, with `in_flight` calls pipelined; beside it, the same no-op map written
by hand on the same executor (a semaphore, `asyncio.wrap_future`, `gather`), which tells
the executor's own cost from the generated code's. Every variant's result is checked
against the loop's. With `--out`, the figures replace the "Executors" section of that file
(`bench/run.py` keeps it). Without Dask `distributed` installed, its rows say so.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# Before any worker starts: spawned workers (the pool's, Dask's) inherit `sys.path` and
# import `cpu_steps` from it when they unpickle a call.
sys.path.insert(0, str(BENCH_DIR))
if not (ROOT / "flowc").is_dir():  # pragma: no cover - the bench lives in the checkout
    raise SystemExit("bench/executors.py runs from a flowc checkout")
sys.path.append(str(ROOT))

import cpu_steps  # noqa: E402
from lsp import write  # noqa: E402

import flowc  # noqa: E402

BEGIN, END = "<!-- executors:begin -->", "<!-- executors:end -->"
WORKERS = 2
LOOP = "one process (a loop)"
UNBOUND, POOL, DASK = "the flow, unbound (default thread pool)", "the flow, process pool", "the flow, Dask cluster"


def compiled(folder: Path) -> ModuleType:
    """`flows/executors.flow`, compiled into `folder` and imported."""
    path = BENCH_DIR / "flows" / "executors.flow"
    code = flowc.compile_source(path.read_text(encoding="utf-8"), "bench/flows/executors.flow")
    target = folder / "executors_flow.py"
    target.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("executors_flow", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def executors() -> Iterator[tuple[dict[str, Executor | None], str]]:
    """Each executor, started and warmed up (every worker has run a call), and a note on
    what could not be started."""
    with ExitStack() as stack:
        pool = stack.enter_context(
            ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
        )
        found: dict[str, Executor | None] = {UNBOUND: None, POOL: pool}
        note = ""
        try:
            import distributed
        except ImportError:
            note = "Dask `distributed` is not installed (`pip install -e '.[dev]'` installs it): no Dask rows."
        else:
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=WORKERS,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
            found[DASK] = client.get_executor(pure=False)
        for executor in found.values():
            if executor is not None:
                wait([executor.submit(time.sleep, 0.2) for _ in range(WORKERS)])
        yield found, note


def timed_flow(
    module: ModuleType, executor: Executor | None, run: Callable[[ModuleType], Awaitable[object]]
) -> tuple[float, object]:
    """The seconds the flow that `run` starts takes inside one event loop, with `executor`
    bound to `cpu`, and its result."""
    module.bind_executor("cpu", executor)

    async def once() -> tuple[float, object]:
        started = time.perf_counter()
        result = await run(module)
        return time.perf_counter() - started, result

    return asyncio.run(once())


def measure(items: int, work: int, rounds: int, in_flight: int) -> tuple[dict[str, dict[str, list[float]]], str]:
    """Per variant, the seconds of each round of the CPU map and of the no-op map."""
    seeds = list(range(items))
    expected_cpu = [cpu_steps.churn(s, work) for s in seeds]
    times: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as folder, executors() as (found, note):
        module = compiled(Path(folder))
        maps: dict[str, tuple[Callable[[int, int], int], Callable[[ModuleType], Awaitable[object]], list[int]]] = {
            "cpu": (cpu_steps.churn, lambda m: m.cpu_map(seeds, work, in_flight), expected_cpu),
            "noop": (cpu_steps.nothing, lambda m: m.noop_map(seeds, in_flight), seeds),
        }
        for _ in range(rounds):
            for kind, (function, run, expected) in maps.items():
                started = time.perf_counter()
                looped = [function(s, work) for s in seeds]
                times.setdefault(LOOP, {}).setdefault(kind, []).append(time.perf_counter() - started)
                assert looped == expected
                for name, executor in found.items():
                    elapsed, result = timed_flow(module, executor, run)
                    assert result == expected, f"{name}: a wrong result"
                    times.setdefault(name, {}).setdefault(kind, []).append(elapsed)
                    if kind == "noop":
                        elapsed, result = asyncio.run(by_hand(executor, seeds, in_flight))
                        assert result == expected, f"{name}, by hand: a wrong result"
                        times[name].setdefault("by hand", []).append(elapsed)
    return times, note


async def by_hand(executor: Executor | None, seeds: list[int], in_flight: int) -> tuple[float, list[int]]:
    """The no-op map written by hand on the same executor: a semaphore of `in_flight`, each
    call submitted and awaited as the generated code does, `gather` for the results."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(in_flight)

    async def one(seed: int) -> int:
        async with slots:
            call = functools.partial(cpu_steps.nothing, seed=seed, rounds=0)
            if executor is None:
                return await loop.run_in_executor(None, call)
            return await asyncio.wrap_future(executor.submit(call))

    started = time.perf_counter()
    result = list(await asyncio.gather(*(one(seed) for seed in seeds)))
    return time.perf_counter() - started, result


def figure(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.1f} ms"


def per_call(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs" if seconds >= 1e-6 else f"{seconds * 1e9:.0f} ns"


def report(items: int, work: int, rounds: int, in_flight: int) -> str:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    times, note = measure(items, work, rounds, in_flight)
    whole = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    base = statistics.median(times[LOOP]["cpu"])
    rows = []
    for name, kinds in times.items():
        cpu, noop = statistics.median(kinds["cpu"]), statistics.median(kinds["noop"])
        hand = per_call(statistics.median(kinds["by hand"]) / items) if "by hand" in kinds else "–"
        rows.append(f"| {name} | {figure(cpu)} | {base / cpu:.2f}× | {per_call(noop / items)} | {hand} |")
    try:
        import distributed

        versions = f"; distributed {distributed.__version__}"
    except ImportError:
        versions = ""
    lines = [
        BEGIN,
        "## Executors: a CPU-bound map on 1 process, a process pool, a Dask cluster",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; CPython {platform.python_version()}"
        f"{versions}; {os.cpu_count()} logical cores.",
        f"- Command: `python bench/executors.py --items {items} --work {work} --rounds {rounds} --in-flight {in_flight}`; "
        f"the machine's load average (1 min) {load_before:.1f} before, {load_after:.1f} after; whole run {whole:.0f} s.",
        f"- A map of {items:,} calls of `churn` (a pure-Python hash loop, {work:,} rounds: "
        f"{base / items * 1e3:.2f} ms a call in one process), `executor cpu limit {in_flight}`; "
        f"{WORKERS} workers of one thread each; wall time, medians of {rounds} interleaved rounds. "
        f"Overhead: the same map over a function that does nothing, ÷ {items:,} calls; by hand: that map as "
        "hand-written asyncio on the same executor (a semaphore, `wrap_future`, `gather`).",
        *([f"- {note}"] if note else []),
        "",
        "| variant | CPU-bound map | speed-up vs one process | per-call overhead | the same, by hand |",
        "|---|---|---|---|---|",
        *rows,
        "",
        END,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=2000, help="elements of the map (default: 2000)")
    parser.add_argument("--work", type=int, default=30000, help="hash rounds of one call (default: 30000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of every variant (default: 5)")
    parser.add_argument("--in-flight", type=int, default=8, help="the map's limit (default: 8)")
    parser.add_argument("--out", type=Path, help="write the section into this Markdown file (bench/RESULTS.md)")
    args = parser.parse_args(argv)
    section = report(args.items, args.work, args.rounds, args.in_flight)
    print(section)
    if args.out is not None:
        write(args.out, section, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
