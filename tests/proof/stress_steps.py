"""Steps of the stress harness (`stress.flow`, `stress.py`): each call does what its run's
plan says for its key, and the steps keep the counts the harness checks: calls in flight per
pool, per map and per run, the start times under the pool's rate, and every error raised.
Standard library only: any supported Python runs it."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field


class StepError(Exception):
    """What a step raises when its plan says so."""


@dataclass
class Plan:
    """What one run's steps do: key -> "ok", "fail" (after a short sleep), "now" (before
    its first suspension) or "flaky" (the first attempt fails); delays in seconds."""

    actions: dict[str, str] = field(default_factory=dict)
    delay: float = 0.001
    thread_seconds: float = 0.0
    raised: list[BaseException] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0  # the run's calls now: at most its flow limit
    peak: int = 0
    mapped: int = 0  # elements of the run's map now
    map_peak: int = 0


plans: dict[int, Plan] = {}
lock = threading.Lock()
counts = {"db": 0, "api": 0, "calls": 0, "threads": 0}
peaks = {"db": 0, "api": 0}
api_starts: list[float] = []
POOLED = {"b": "db", "c": "api"}


def reset() -> None:
    plans.clear()
    api_starts.clear()
    for key in counts:
        counts[key] = 0
    for key in peaks:
        peaks[key] = 0


def enter(plan: Plan, key: str) -> None:
    with lock:
        counts["calls"] += 1
        pool = POOLED.get(key)
        if pool is not None:
            counts[pool] += 1
            peaks[pool] = max(peaks[pool], counts[pool])
        plan.in_flight += 1  # `inner`'s i1 and i2, one after the other, hold d's slot
        plan.peak = max(plan.peak, plan.in_flight)
        if key == "c":
            plan.mapped += 1
            plan.map_peak = max(plan.map_peak, plan.mapped)


def leave(plan: Plan, key: str) -> None:
    with lock:
        counts["calls"] -= 1
        pool = POOLED.get(key)
        if pool is not None:
            counts[pool] -= 1
        plan.in_flight -= 1
        if key == "c":
            plan.mapped -= 1


def fail(plan: Plan, key: str) -> StepError:
    error = StepError(key)
    plan.raised.append(error)
    return error


async def step(rid: int, key: str, x: int) -> int:
    plan = plans[rid]
    action = plan.actions.get(key, "ok")
    attempt = plan.attempts[key] = plan.attempts.get(key, 0) + 1
    if key == "c":
        api_starts.append(asyncio.get_running_loop().time())
    if action == "now":
        raise fail(plan, key)
    enter(plan, key)
    try:
        await asyncio.sleep(plan.delay)
        if action == "fail" or (action == "flaky" and attempt == 1):
            raise fail(plan, key)
        return x
    finally:
        leave(plan, key)


def block(rid: int, x: int) -> int:
    """In a worker thread: holds a `db` slot, and a slot of the run's limit, while it runs."""
    plan = plans[rid]
    with lock:
        counts["threads"] += 1
        counts["db"] += 1
        peaks["db"] = max(peaks["db"], counts["db"])
        plan.in_flight += 1
        plan.peak = max(plan.peak, plan.in_flight)
    time.sleep(plan.thread_seconds)
    with lock:
        counts["threads"] -= 1
        counts["db"] -= 1
        plan.in_flight -= 1
    return x


async def total(values: list[int], more: list[int], extra: int | None) -> int:
    return sum(values) + sum(more) + (extra or 0)


async def hold(x: int, seconds: float) -> int:
    await asyncio.sleep(seconds)
    return x


async def fail_after(x: int, seconds: float) -> int:
    await asyncio.sleep(seconds)
    raise ValueError(x)


async def fail_now(x: int) -> int:
    raise ValueError(x)
