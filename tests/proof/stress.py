"""The stress harness of issue 20, and its cancellation regressions, for any supported Python.

    python -X dev -W error stress.py FOLDER scenarios
    python -X dev -W error stress.py FOLDER stress ROUNDS RUNS SEED

FOLDER holds `stress.flow` compiled as `stress_flow.py` and `stress_steps.py`. Both modes
print one JSON object. `scenarios`: how a flow run from cleanup code after a caught
cancellation ends, and what a node failing while starting eagerly does to a pending
cancellation of its caller. `stress`: ROUNDS rounds, each on a fresh event loop, of RUNS
concurrent runs of flow `stress` with random failures (before and after the first
suspension, retried or not), threads abandoned by their timeout, an observer that sometimes
raises, and every kind of caller: none, `task.cancel()`, `asyncio.wait_for`,
`asyncio.timeout`, and cleanup code after a caught cancellation. Each run's outcome is
checked (the right exception surfaces, or the right value) and each round's invariants
(no task left, every call ended, pools free, limits and the rate held, nothing reported to
the loop but the observer's errors, nothing unraisable). The report counts runs, outcomes
and violations (the first few described).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

KINDS = ("none", "cancel", "wait_for", "timeout", "cleanup")
FAILING = ("a", "b", "c", "e", "i1", "i2")
LIMITS = {"db": 3, "api": 4, "run": 6, "map": 2}
RATE, PER = 40, 0.02
SLACK = 0.001  # the clock's slack allowed on a bound


def notes(error: BaseException) -> list[str]:
    return list(getattr(error, "__notes__", []))


# ---------------------------------------------------------------- scenarios


async def from_cleanup(module: ModuleType) -> list[object]:
    """A task catches its cancellation and runs flow `cleanup`, whose spawned node fails
    while the body waits: the node's error must surface, as with `asyncio.TaskGroup`."""

    async def victim() -> list[object]:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            try:
                await module.cleanup(x=1)
            except BaseException as error:
                task = asyncio.current_task()
                return [type(error).__name__, task.cancelling() if task else None]
        return ["not cancelled", None]

    task = asyncio.create_task(victim())
    await asyncio.sleep(0)
    task.cancel()
    return await task


async def eager_failure(module: ModuleType) -> list[object]:
    """A task with a pending cancellation runs flow `eager`, whose first spawned node fails
    before suspending (started eagerly from 3.12): the cancellation must not be taken back
    (`cancelling()` stays 1) nor lost (it is raised, by the run or the next await)."""

    async def victim() -> list[object]:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()  # pending: nothing has been awaited since
        try:
            await module.eager(x=1)
            outcome = "returned"
        except BaseException as error:
            outcome = type(error).__name__
        count = task.cancelling()
        delivered = outcome == "CancelledError"
        if not delivered:
            try:
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                delivered = True
        return [outcome, count, delivered]

    return await asyncio.create_task(victim())


async def scenarios(module: ModuleType) -> dict[str, Any]:
    return {"cleanup": await from_cleanup(module), "eager": await eager_failure(module)}


# ---------------------------------------------------------------- stress


class Observer:
    """Observes a run and raises from `node_finished` now and then: never the run's concern."""

    def __init__(self, rng: random.Random, counter: list[int]) -> None:
        self.rng = rng
        self.counter = counter

    def node_started(self, *args: Any) -> None: ...

    def node_finished(self, *args: Any) -> None:
        if self.rng.random() < 0.05:
            self.counter[0] += 1
            raise RuntimeError("observer bug")

    def node_retrying(self, *args: Any) -> None: ...

    def node_failed(self, *args: Any) -> None: ...

    def node_skipped(self, *args: Any) -> None: ...


@dataclass
class Job:
    """One run: its inputs, its plan, its caller, and what it gave."""

    rid: int
    kind: str
    delay: float
    x: int
    xs: list[int]
    threaded: bool
    observer: Observer | None
    landed: bool = False  # a `task.cancel()` that found the run still running
    cancelling_after: int | None = None
    elapsed: float = 0.0
    value: object = None
    error: BaseException | None = None
    problems: list[str] = field(default_factory=list)

    async def call(self, module: ModuleType) -> object:
        kwargs: dict[str, Any] = {"rid": self.rid, "x": self.x, "xs": self.xs, "threaded": self.threaded}
        if self.observer is not None:
            kwargs["observer"] = self.observer
        return await module.stress(**kwargs)

    async def run(self, module: ModuleType) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            self.value = await self.caller(module)
        except BaseException as error:  # noqa: BLE001 - every outcome is judged
            self.error = error
        self.elapsed = loop.time() - start

    async def caller(self, module: ModuleType) -> object:
        if self.kind == "wait_for":
            return await asyncio.wait_for(self.call(module), self.delay)
        if self.kind == "timeout":
            async with asyncio.timeout(self.delay):
                return await self.call(module)
        if self.kind == "cancel":
            task = asyncio.create_task(self.call(module))
            await asyncio.sleep(self.delay)
            self.landed = task.cancel()
            return await task
        if self.kind == "cleanup":
            task = asyncio.create_task(self.cleanup(module))
            await asyncio.sleep(0)
            task.cancel()
            return await task
        return await self.call(module)

    async def cleanup(self, module: ModuleType) -> object:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            try:
                return await self.call(module)
            finally:
                self.cancelling_after = task.cancelling() if task else None
        raise AssertionError("the cleanup job was not cancelled")


def make_job(rid: int, rng: random.Random, steps: ModuleType, counter: list[int]) -> Job:
    plan = steps.Plan(delay=rng.uniform(0, 0.002), thread_seconds=rng.choice([0.0, 0.0, 0.02]))
    if rng.random() < 0.4:
        for key in rng.sample(FAILING, rng.randint(1, 2)):
            plan.actions[key] = rng.choice(["fail", "now"])
    if "a" not in plan.actions and rng.random() < 0.2:
        plan.actions["a"] = "flaky"  # its retry makes it succeed
    steps.plans[rid] = plan
    observer = Observer(random.Random(rng.random()), counter) if rng.random() < 0.3 else None
    xs = [rng.randint(1, 9) for _ in range(rng.randint(0, 3))]
    kind = rng.choice(KINDS)
    # The caller's cancellation or timeout: at once, early, mid-run, or after the run ended.
    delay = rng.choice([0.0, rng.uniform(0, 0.005), rng.uniform(0, 0.05), rng.uniform(0.05, 1.0)])
    return Job(rid, kind, delay, rng.randint(1, 100), xs, rng.random() < 0.2, observer)


def judge(job: Job, steps: ModuleType) -> list[str]:
    """What is wrong with the job's outcome (nothing, as a rule)."""
    plan = steps.plans[job.rid]
    error = job.error
    # A failing key fails the run, unless it is the map's and the map has no elements.
    fails = any(action in ("fail", "now") and (key != "c" or job.xs) for key, action in plan.actions.items())
    if isinstance(error, asyncio.CancelledError):
        return [] if job.kind == "cancel" and job.landed else ["CancelledError, but the caller never cancelled"]
    if job.kind == "cancel" and job.landed:
        return [f"the caller's cancellation was lost: {error!r} / {job.value!r}"]
    problems = []
    if job.kind == "cleanup" and job.cancelling_after != 1:
        problems.append(f"the cleanup task's cancelling() is {job.cancelling_after}, not 1")
    if isinstance(error, TimeoutError) and not notes(error):  # the caller's own timeout
        if job.kind not in ("wait_for", "timeout"):
            problems.append("a TimeoutError with no note, but the caller set no timeout")
        elif job.elapsed < job.delay - SLACK:
            problems.append(f"the caller's timeout came early: {job.elapsed} < {job.delay}")
    elif error is None:
        expected = 4 * job.x + sum(job.xs) + (job.x if job.threaded else 0)
        if fails:
            problems.append(f"returned {job.value!r} although a node failed: {plan.actions}")
        elif job.threaded and plan.thread_seconds > 0.005:
            problems.append(f"returned {job.value!r} although its thread outlived its timeout")
        elif job.value != expected:
            problems.append(f"returned {job.value!r}, not {expected}")
    elif not any(note.startswith("flowc: in flow `") for note in notes(error)):
        problems.append(f"{error!r} carries no note")
    elif isinstance(error, steps.StepError):
        if not any(error is raised for raised in plan.raised):
            problems.append(f"{error!r} was not raised in this run")
    elif not isinstance(error, TimeoutError):  # a node's timeout (f or i2) is a failure too
        problems.append(f"unexpected {error!r}")
    return problems


def outcome(job: Job) -> str:
    if job.error is None:
        return "value"
    if isinstance(job.error, TimeoutError):
        return "node timeout" if notes(job.error) else "caller timeout"
    return type(job.error).__name__


def most_in_a_window(starts: list[float]) -> int:
    """The most starts in any window of `PER` (less the slack)."""
    starts = sorted(starts)
    most, first = 0, 0
    for last, time in enumerate(starts):
        while time - starts[first] >= PER - SLACK:
            first += 1
        most = max(most, last - first + 1)
    return most


async def one_round(module: ModuleType, steps: ModuleType, runs: int, rng: random.Random) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    steps.reset()
    counter = [0]
    jobs = [make_job(rid, rng, steps, counter) for rid in range(runs)]
    await asyncio.gather(*(job.run(module) for job in jobs))
    for _ in range(2000):  # abandoned threads end within their 20 ms; their slots come back
        if not steps.counts["threads"] and not any(pool.in_use() for pool in pools(module)):
            break
        await asyncio.sleep(0.005)
    problems = []  # the round's invariants first, then each run's outcome
    left = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    if left:
        problems.append(f"{len(left)} tasks left: {sorted(task.get_name() for task in left)[:5]}")
    if any(steps.counts.values()):
        problems.append(f"calls still in flight: {steps.counts}")
    if any(pool.in_use() for pool in pools(module)):
        problems.append(f"pool slots still held: {[pool.in_use() for pool in pools(module)]}")
    for name in ("db", "api"):
        if steps.peaks[name] > LIMITS[name]:
            problems.append(f"pool {name}: {steps.peaks[name]} calls at once")
    if (most := max((plan.peak for plan in steps.plans.values()), default=0)) > LIMITS["run"]:
        problems.append(f"a run had {most} calls at once under `limit 6`")
    if (most := max((plan.map_peak for plan in steps.plans.values()), default=0)) > LIMITS["map"]:
        problems.append(f"a map had {most} elements at once under `limit 2`")
    if (most := most_in_a_window(steps.api_starts)) > RATE:
        problems.append(f"pool api: {most} starts in {PER * 1000:.0f} ms under `rate {RATE}`")
    observers = [c for c in reported if str(c.get("message", "")).startswith("flowc: observer method")]
    if len(observers) != counter[0]:
        problems.append(f"{counter[0]} observer errors, {len(observers)} reported")
    others = [c for c in reported if c not in observers]
    problems += [f"reported to the loop: {c.get('message')!r} {c.get('exception')!r}" for c in others]
    problems += [f"run {job.rid} ({job.kind}): {p}" for job in jobs for p in judge(job, steps)]
    outcomes: dict[str, int] = {}
    for job in jobs:
        key = f"{job.kind}: {outcome(job)}"
        outcomes[key] = outcomes.get(key, 0) + 1
    return {"problems": problems, "outcomes": outcomes, "observer_errors": counter[0]}


def pools(module: ModuleType) -> list[Any]:
    return [value for value in vars(module).values() if type(value).__name__ == "_Pool"]


def stress(module: ModuleType, steps: ModuleType, rounds: int, runs: int, seed: int) -> dict[str, Any]:
    unraisable: list[str] = []
    sys.unraisablehook = lambda hook: unraisable.append(f"{hook.exc_value!r} in {hook.object!r}")
    rng = random.Random(seed)
    problems: list[str] = []
    outcomes: dict[str, int] = {}
    observer_errors = 0
    for _ in range(rounds):
        result = asyncio.run(one_round(module, steps, runs, rng))
        problems += result["problems"]
        observer_errors += result["observer_errors"]
        for key, count in result["outcomes"].items():
            outcomes[key] = outcomes.get(key, 0) + count
    problems += [f"unraisable: {u}" for u in unraisable]
    return {
        "python": list(sys.version_info[:2]),
        "runs": rounds * runs,
        "violations": len(problems),
        "first_violations": problems[:20],
        "outcomes": dict(sorted(outcomes.items())),
        "observer_errors": observer_errors,
    }


def main(argv: list[str]) -> None:
    folder = Path(argv[1])
    sys.path.insert(0, str(folder))
    module = importlib.import_module("stress_flow")
    steps = importlib.import_module("stress_steps")
    if argv[2] == "scenarios":
        report = asyncio.run(scenarios(module))
    else:
        report = stress(module, steps, int(argv[3]), int(argv[4]), int(argv[5]))
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv)
