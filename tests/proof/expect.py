"""What the reference interpreter expects of a run: plain data, without flowc, so that a
run can be checked in an interpreter where only the standard library is installed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

BIG = 3600.0
"""A timeout at least this long (seconds) never fires in a generated example."""

CallId = tuple[object, int | None]
"""A step call: its identity (`steplib.identity`) and attempt (None without observer)."""

TIMEOUT = ("e", "TimeoutError", None)


@dataclass(frozen=True)
class Ok:
    value: object


@dataclass(frozen=True)
class Fail:
    candidates: frozenset[object]
    """Canonical forms of the exceptions that may surface."""
    culprits: frozenset[tuple[CallId, int]]
    """(call, occurrence) whose failure is this failure."""
    error: BaseException | None = None
    """The exception itself when there is exactly one candidate."""


@dataclass(frozen=True)
class Hang:
    """Never ends by itself (a call that sleeps forever with no timeout over it)."""


Outcome = Ok | Fail | Hang


@dataclass
class Attempt:
    """One attempt of a unit: a step call (`call`, `occurrence`) or a sub-flow run."""

    call: CallId | None = None
    occurrence: int = 0
    child: Invocation | None = None


@dataclass
class Unit:
    """The call of a non-map node, or of one map element: its attempts, then its fallback."""

    index: int | None
    attempts: list[Attempt] = field(default_factory=list)
    fallback: Attempt | None = None
    delays: list[tuple[float, float]] = field(default_factory=list)
    """Before attempt k+2: the least and most seconds to wait after attempt k+1 ended."""


@dataclass
class NodeRun:
    name: str
    preds: tuple[str, ...]
    pool: str | None
    is_map: bool
    map_limit: int | None
    state: str = "ran"
    """`ran`, `skipped` or `blocked`."""
    units: list[Unit] = field(default_factory=list)


@dataclass
class Invocation:
    flow: str
    ctx: object
    limit: int | None
    nodes: list[NodeRun] = field(default_factory=list)
    cut: bool = False
    """The run failed (or hung until a timeout) and was recovered by its caller: it was cut
    short at its failure, so what it would have done after is unknown."""


@dataclass
class Expectation:
    outcome: Outcome
    calls: Counter[CallId]
    """Calls certainly made (in a successful run)."""
    maybe_calls: Counter[CallId]
    """Calls made at most: in sub-flow runs that were cut short."""
    events: Counter[tuple[object, ...]]
    maybe_events: Counter[tuple[object, ...]]
    top: Invocation
    pools: dict[str, tuple[int, int | None, float | None]]
    result_class: str | None
    fields: tuple[str, ...]
