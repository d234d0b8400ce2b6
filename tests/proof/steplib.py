"""Instrumented test steps: the library behind every generated example's steps module.

A generated steps module has one small typed wrapper per node (and per fallback call); each
wrapper hands its name, its `ctx` and its arguments to `step` (awaited) or `step_plain` (a
`sync` or `thread` callee). What a call does is a pure function of its `Script` and of the
call's identity (name, context, arguments) and, when an observer supplies it, its attempt:
how long it takes (virtual milliseconds), whether it returns, raises or is too slow for its
timeout, and which value it returns. The reference interpreter calls the same functions, so
both sides agree on what every step does, and every call is recorded in `TRACE` with its
start and end on the event loop's clock.

This module imports nothing but the standard library: it also runs in bare interpreters.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALWAYS = 99
"""`Script.failures` for a call that fails on every attempt."""

HANG_MS = 10_000_000
"""How long a hanging call sleeps (virtual milliseconds): longer than any run."""


class StepError(Exception):
    """A scripted failure; `tag` names the call and attempt that raised it."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


class RetryableError(StepError):
    """A subclass, so that `on StepError` also retries it."""


class OtherError(Exception):
    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


class TaggedValueError(ValueError):
    """A builtin exception class (`on ValueError`), tagged like the others."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


ERRORS: dict[str, Callable[[str], Exception]] = {
    "StepError": StepError,
    "RetryableError": RetryableError,
    "OtherError": OtherError,
    "ValueError": TaggedValueError,
}
CLASSES: dict[str, type[BaseException]] = {
    "StepError": StepError,
    "RetryableError": RetryableError,
    "OtherError": OtherError,
    "ValueError": ValueError,
    "TimeoutError": TimeoutError,
    "Exception": Exception,
}


@dataclass(frozen=True, slots=True)
class Script:
    """What one callee does. Delays are virtual milliseconds.

    A call is *affected* when `hash % 100 < fail_pct` (so map elements differ); an affected
    call fails on its first `failures` attempts (`ALWAYS`: on all), by raising `error`, or,
    when `error` is `"slow"`, by taking `slow` ms (longer than its node's timeout) or
    `HANG_MS` when `slow` is 0.
    """

    flow: str
    node: str
    params: tuple[str, ...]
    mode: str = "await"
    returns: str = "int"
    length: int = 0
    delay: int = 0
    spread: int = 0
    failures: int = 0
    fail_pct: int = 100
    error: str = "StepError"
    slow: int = 0
    fallback: bool = False
    pool: str | None = None
    """The pool its node holds while calling it (to count calls in flight)."""


SCALE = 1.0
"""Real seconds per virtual second: 1 on the virtual clock; small on a real loop."""

SCRIPTS: dict[str, Script] = {}
"""The scripts of the example being run, by callee name."""


# ---------------------------------------------------------------- values


def canon(value: object) -> object:
    """A hashable, comparable form of a value that may reach a step or a result."""
    if value is None or isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int):
        return ("i", value)
    if isinstance(value, float):
        return ("f", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, BaseException):
        return ("e", type(value).__name__, getattr(value, "tag", None))
    if isinstance(value, tuple):
        return ("t", tuple(canon(v) for v in value))
    if isinstance(value, list):
        return ("l", tuple(canon(v) for v in value))
    if isinstance(value, dict):
        return ("d", tuple(sorted((repr(k), canon(v)) for k, v in value.items())))
    raise TypeError(f"no canonical form for {type(value).__name__}")


def digest(*parts: object) -> int:
    """A stable 48-bit hash (not Python's `hash`, which varies between runs)."""
    data = repr(parts).encode("utf-8", "backslashreplace")
    return int.from_bytes(hashlib.blake2b(data, digest_size=6).digest(), "big")


def identity(name: str, ctx: object, args: dict[str, object]) -> tuple[str, object, object]:
    """What tells one call of a callee from another (the attempt aside)."""
    return (name, canon(ctx), canon(args))


def value(name: str, ctx: object, args: dict[str, object]) -> int | list[int]:
    """The value a successful call returns."""
    script = SCRIPTS[name]
    key = identity(name, ctx, args)
    if script.returns == "list":
        return [digest(key, i) % 10**12 for i in range(script.length)]
    return digest(key) % 10**12


@dataclass(frozen=True, slots=True)
class Behaviour:
    delay: int
    """Milliseconds (virtual) the call takes before returning or raising."""
    outcome: str
    """`ok`, `raise` or `slow`."""


def behaviour(script: Script, key: object, attempt: int | None) -> Behaviour:
    """What a call does on an attempt (`None`: unknown, no observer; scripts are then
    independent of the attempt)."""
    h = digest(key)
    delay = script.delay + (h // 100) % (script.spread + 1)
    affected = h % 100 < script.fail_pct and script.failures > 0
    failing = affected and (attempt is None or attempt <= script.failures)
    if not failing:
        return Behaviour(delay, "ok")
    if script.error == "slow":
        return Behaviour(script.slow or HANG_MS, "slow")
    return Behaviour(delay, "raise")


def error_for(script: Script, key: object, attempt: int | None) -> Exception:
    name = key[0] if isinstance(key, tuple) else "?"
    return ERRORS[script.error](f"{name}#{digest(key)}@{attempt}")


# ---------------------------------------------------------------- the trace


@dataclass(slots=True)
class Record:
    """One call of a step, as it happened."""

    name: str
    key: object
    attempt: int | None
    start: float
    end: float | None = None
    outcome: str = "running"
    """`ok`, `raise`, `cancelled` (a timeout or fail-fast) or `running`."""
    error: BaseException | None = None
    anomaly: str | None = None


@dataclass
class Trace:
    records: list[Record] = field(default_factory=list)
    events: list[tuple[str, str, str, int | None, int | None, float]] = field(default_factory=list)
    """Observer events: (kind, flow, node, index, attempt, time)."""
    anomalies: list[str] = field(default_factory=list)
    live: dict[str, int] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)
    """Step calls of each pool in flight now, and at most (real time, threads included)."""

    def enter(self, pool: str | None) -> None:
        if pool is not None:
            with LOCK:
                self.live[pool] = self.live.get(pool, 0) + 1
                self.peaks[pool] = max(self.peaks.get(pool, 0), self.live[pool])

    def leave(self, pool: str | None) -> None:
        if pool is not None:
            with LOCK:
                self.live[pool] -= 1


TRACE = Trace()
LOOP: asyncio.AbstractEventLoop | None = None
"""The loop of the run (thread steps read its clock)."""
LOCK = threading.Lock()

ATTEMPT: contextvars.ContextVar[tuple[str, str, int | None, int] | None] = contextvars.ContextVar(
    "flowc_proof_attempt", default=None
)
"""(flow, node, index, attempt) of the latest `node_started` in this context."""


def reset(scripts: dict[str, Script], loop: asyncio.AbstractEventLoop | None) -> Trace:
    global TRACE, LOOP
    SCRIPTS.clear()
    SCRIPTS.update(scripts)
    TRACE = Trace()
    LOOP = loop
    return TRACE


def now() -> float:
    assert LOOP is not None, "the harness sets the loop"
    return LOOP.time()


def current_attempt(script: Script) -> int | None:
    """The attempt of this call, from the observer's `node_started` just before it."""
    if script.fallback:
        return None
    started = ATTEMPT.get()
    if started is None:
        return None
    flow, node, _, attempt = started
    if (flow, node) != (script.flow, script.node):
        TRACE.anomalies.append(f"{script.flow}.{script.node} called after node_started of {flow}.{node}")
        return None
    return attempt


async def step(name: str, ctx: object, args: dict[str, object]) -> Any:
    """An awaited step."""
    script = SCRIPTS[name]
    key = identity(name, ctx, args)
    attempt = current_attempt(script)
    plan = behaviour(script, key, attempt)
    record = Record(name, key, attempt, now())
    TRACE.records.append(record)
    TRACE.enter(script.pool)
    try:
        await asyncio.sleep(plan.delay / 1000 * SCALE)
    except BaseException:
        record.end, record.outcome = now(), "cancelled"
        raise
    finally:
        TRACE.leave(script.pool)
    record.end = now()
    if plan.outcome == "raise":
        error = error_for(script, key, attempt)
        record.outcome, record.error = "raise", error
        raise error
    record.outcome = "ok"
    return value(name, ctx, args)


def step_plain(name: str, ctx: object, args: dict[str, object]) -> Any:
    """A `sync` step (called on the loop) or a `thread` step (in a worker thread): it takes
    no virtual time."""
    script = SCRIPTS[name]
    key = identity(name, ctx, args)
    attempt = current_attempt(script)
    plan = behaviour(script, key, attempt)
    on_loop = threading.current_thread() is threading.main_thread()
    if (script.mode == "sync") != on_loop:
        TRACE.anomalies.append(f"{name}: a {script.mode} step ran {'on' if on_loop else 'off'} the loop's thread")
    with LOCK:
        at = now()
        record = Record(name, key, attempt, at, at)
        TRACE.records.append(record)
    TRACE.enter(script.pool)
    if not on_loop:
        time.sleep(0.0005)  # real time, so that threads of one pool can overlap
    TRACE.leave(script.pool)
    if plan.outcome == "raise":
        error = error_for(script, key, attempt)
        record.outcome, record.error = "raise", error
        raise error
    record.outcome = "ok"
    return value(name, ctx, args)


class Observer:
    """A `FlowObserver` that records every event and tells steps their attempt."""

    def __init__(self) -> None:
        self.events = TRACE.events

    def _add(self, kind: str, node: Any, index: int | None, attempt: int | None) -> None:
        self.events.append((kind, node.flow, node.node, index, attempt, now()))

    def node_started(self, node: Any, index: int | None, attempt: int) -> None:
        self._add("started", node, index, attempt)
        ATTEMPT.set((node.flow, node.node, index, attempt))

    def node_finished(self, node: Any, index: int | None, attempt: int, duration: float) -> None:
        self._add("finished", node, index, attempt)

    def node_retrying(self, node: Any, index: int | None, attempt: int, error: BaseException, delay: float) -> None:
        self._add("retrying", node, index, attempt)

    def node_failed(self, node: Any, index: int | None, attempt: int, error: BaseException, duration: float) -> None:
        kind = "cancelled" if isinstance(error, asyncio.CancelledError) else "failed"
        self._add(kind, node, index, attempt)

    def node_skipped(self, node: Any) -> None:
        self._add("skipped", node, None, None)
