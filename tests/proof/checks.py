"""What a run must satisfy, given the interpreter's expectation and the run's trace.

Times are the virtual clock's (see `vloop`): exact, so "started as soon as its last
predecessor finished" is checked as equality. Every check returns problems as text; an
empty list is a pass.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .expect import Attempt, CallId, Expectation, Fail, Invocation, NodeRun, Ok, Unit
from .steplib import Record, Trace, canon

EPS = 1e-7
INFINITY = float("inf")


@dataclass
class Run:
    """What happened: the flow's value or exception, the trace, the end and what was left."""

    value: object = None
    error: BaseException | None = None
    trace: Trace = field(default_factory=Trace)
    start: float = 0.0
    end: float = 0.0
    pending: list[str] = field(default_factory=list)
    busy_pools: dict[str, int] = field(default_factory=dict)


Span = tuple[float, float]


class Checker:
    def __init__(self, exp: Expectation, run: Run, top_short_timeout: bool) -> None:
        self.exp = exp
        self.run = run
        self.top_short_timeout = top_short_timeout
        self.problems: list[str] = list(run.trace.anomalies)
        self.by_call: dict[CallId, list[Record]] = defaultdict(list)
        for record in sorted(run.trace.records, key=lambda r: r.start):
            self.by_call[(record.key, record.attempt)].append(record)
        self.pool_holds: dict[str, list[Span]] = defaultdict(list)
        self.limit_holds: list[tuple[int, list[Span]]] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)

    # ---------------------------------------------------------------- records

    def record(self, call: CallId | None, occurrence: int) -> Record | None:
        if call is None:
            return None
        records = self.by_call.get(call, [])
        return records[occurrence - 1] if len(records) >= occurrence else None

    def attempt_span(self, attempt: Attempt) -> Span | None:
        if attempt.child is not None:
            return self.inv_span(attempt.child)
        record = self.record(attempt.call, attempt.occurrence)
        if record is None or record.end is None:
            return None
        return (record.start, record.end)

    def inv_span(self, inv: Invocation) -> Span | None:
        spans = [s for node in inv.nodes for unit in node.units if (s := self.unit_span(unit)) is not None]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None

    def unit_span(self, unit: Unit) -> Span | None:
        parts = [self.attempt_span(a) for a in [*unit.attempts, *([unit.fallback] if unit.fallback else [])]]
        spans = [s for s in parts if s is not None]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None

    # ---------------------------------------------------------------- all runs

    def check(self) -> list[str]:
        run, exp = self.run, self.exp
        if run.pending:
            self.problem(f"tasks left pending after the run: {run.pending}")
        for pool, busy in run.busy_pools.items():
            if busy:
                self.problem(f"pool {pool}: {busy} slot(s) still held after the run")
        for record in run.trace.records:
            if record.end is None:
                self.problem(f"{record.name} still running when the run ended")
            elif record.end > run.end + EPS:
                self.problem(f"{record.name} ended at {record.end:.4f}, after the run ended at {run.end:.4f}")
        actual = Counter({call: len(records) for call, records in self.by_call.items()})
        if isinstance(exp.outcome, Ok):
            self.check_success(actual)
        elif isinstance(exp.outcome, Fail):
            self.check_failure(exp.outcome, actual)
        else:
            self.problem("the interpreter expects the run to hang")
        self.check_limits()
        return self.problems

    def check_success(self, actual: Counter[CallId]) -> None:
        run, exp = self.run, self.exp
        assert isinstance(exp.outcome, Ok)
        if run.error is not None:
            self.problem(f"expected a value, got {type(run.error).__name__}: {run.error!r} {notes(run.error)}")
            return
        if canon(run.value) != canon(exp.outcome.value):
            self.problem(f"value {run.value!r} != expected {exp.outcome.value!r}")
        if exp.result_class is not None:
            if type(run.value).__name__ != exp.result_class or getattr(run.value, "_fields", None) != exp.fields:
                self.problem(f"result {type(run.value).__name__} is not {exp.result_class}{exp.fields}")
        missing, extra = exp.calls - actual, actual - exp.calls - exp.maybe_calls
        if missing or extra:
            self.problem(f"calls differ: missing {describe(missing)}; unexpected {describe(extra)}")
        if run.trace.events or exp.events and self.observed:
            got = Counter(e[:5] for e in run.trace.events)
            missing = exp.events - got
            extra = Counter({e: n for e, n in (got - exp.events - exp.maybe_events).items() if e[0] != "cancelled"})
            cancelled = {e[1:3] for e in got if e[0] == "cancelled"}
            if not cancelled <= {e[1:3] for e in exp.maybe_events}:
                extra.update(
                    {e: 1 for e in got if e[0] == "cancelled" and e[1:3] not in {m[1:3] for m in exp.maybe_events}}
                )
            if missing or extra:
                self.problem(f"observer events differ: missing {dict(missing)}; unexpected {dict(extra)}")
        self.check_timing(exp.top, run.start)

    @property
    def observed(self) -> bool:
        return any(call[1] is not None for call in self.exp.calls)

    def check_failure(self, expected: Fail, actual: Counter[CallId]) -> None:
        run = self.run
        error = run.error
        if error is None:
            self.problem(f"expected one of {sorted(map(str, expected.candidates))}, got value {run.value!r}")
            return
        if canon(error) not in expected.candidates:
            self.problem(
                f"raised {type(error).__name__}({error}) {notes(error)}; expected one of {sorted(map(str, expected.candidates))}"
            )
        if isinstance(error, BaseExceptionGroup):
            self.problem("an ExceptionGroup surfaced")
        self.check_notes(error)
        extra = actual - self.exp.calls - self.exp.maybe_calls
        if extra:
            self.problem(f"calls the complete run does not make: {describe(extra)}")
        origin = next((r for r in run.trace.records if r.error is error), None)
        if getattr(error, "tag", None) is not None:
            if origin is None:
                self.problem(f"{error!r} was not raised by any step")
            elif origin.end is not None and abs(origin.end - run.end) > EPS:
                self.problem(f"failure at {origin.end:.4f} but the run ended at {run.end:.4f}: not fail-fast")
        for call, occurrence in expected.culprits:
            record = self.record(call, occurrence)
            if record is not None and record.end is not None and record.outcome != "ok" and record.end < run.end - EPS:
                self.problem(
                    f"{record.name} failed for good at {record.end:.4f}, yet the run went on until {run.end:.4f}"
                )
        self.check_timing(self.exp.top, run.start, run.end)

    def check_notes(self, error: BaseException) -> None:
        found = notes(error)
        if getattr(error, "tag", None) is None and isinstance(error, TimeoutError) and self.top_short_timeout:
            return  # the top flow's own timeout names no node
        if not any(n.startswith("flowc: in flow `main`, node `") and ".flow:" in n for n in found):
            self.problem(f"{type(error).__name__} lacks the note of flow `main`: {found}")
        origin = next((r for r in self.run.trace.records if r.error is error), None)
        if origin is not None:
            from .steplib import SCRIPTS

            script = SCRIPTS[origin.name]
            want = f"flowc: in flow `{script.flow}`, node `{script.node}`"
            if not found or not found[0].startswith(want):
                self.problem(f"first note should start with {want!r}: {found}")

    # ---------------------------------------------------------------- timing

    def check_timing(self, inv: Invocation, start: float, cut_at: float | None = None) -> None:
        """Every node starts exactly when its last predecessor finished, unless a limit
        or pool was full all the while; retries wait their backoff. In a failed run, only
        up to the failure: what was cut short finishes at no known time."""
        finish: dict[str, float] = {}
        for node in inv.nodes:
            ready = max((finish[p] for p in node.preds), default=start)
            if node.state != "ran" or not node.units or ready == INFINITY:
                finish[node.name] = ready
                continue
            ends = [ready]
            previous_start = ready
            for unit in node.units:
                where = f"{inv.flow}.{node.name}" + ("" if unit.index is None else f"[{unit.index}]")
                first = self.attempt_span(unit.attempts[0])
                if first is None:
                    ends.append(INFINITY)
                    if cut_at is not None and ready < cut_at - EPS and not self.constrained(inv, node):
                        self.problem(
                            f"{where} could start at {ready:.4f}, yet had not when the run failed at {cut_at:.4f}"
                        )
                    continue
                if first[0] < ready - EPS:
                    self.problem(f"{where} started at {first[0]:.4f}, before its predecessors finished at {ready:.4f}")
                if first[0] < previous_start - EPS:
                    self.problem(f"{where} started before the element before it")
                previous_start = first[0]
                if first[0] > ready + EPS:
                    self.justify(inv, node, where, ready, first[0])
                self.check_retries(inv, node, unit, where)
                for attempt in [*unit.attempts, *([unit.fallback] if unit.fallback else [])]:
                    if attempt.child is not None and (child := self.inv_span(attempt.child)) is not None:
                        child_cut = child[1] if attempt.child.cut else cut_at
                        self.check_timing(attempt.child, child[0], child_cut)
                ends.append(self.unit_end(unit, cut_at))
            finish[node.name] = max(ends)

    @property
    def failed(self) -> bool:
        return isinstance(self.exp.outcome, Fail)

    def unit_end(self, unit: Unit, cut_at: float | None) -> float:
        """When the unit finished: its last attempt's (or fallback's) end; never, in a run
        cut short at `cut_at`, if a call it must make is missing or was cut short."""
        span = self.unit_span(unit)
        assert span is not None
        attempts = [*unit.attempts, *([unit.fallback] if unit.fallback else [])]
        if cut_at is not None and any(self.cut(a, cut_at) for a in attempts):
            return INFINITY
        return span[1]

    def cut(self, attempt: Attempt, cut_at: float) -> bool:
        """The attempt did not run to its end: it is missing, or cancelled by the failure."""
        if attempt.child is not None:
            units = [u for n in attempt.child.nodes for u in n.units]
            return any(self.cut(a, cut_at) for u in units for a in [*u.attempts, *([u.fallback] if u.fallback else [])])
        record = self.record(attempt.call, attempt.occurrence)
        if record is None or record.end is None:
            return True
        return record.outcome == "cancelled" and record.end >= cut_at - EPS

    def constrained(self, inv: Invocation, node: NodeRun) -> bool:
        return node.pool is not None or inv.limit is not None or (node.is_map and node.map_limit is not None)

    def check_retries(self, inv: Invocation, node: NodeRun, unit: Unit, where: str) -> None:
        spans = [self.attempt_span(a) for a in unit.attempts]
        for k, (low, high) in enumerate(unit.delays):
            before, after = spans[k], spans[k + 1] if k + 1 < len(spans) else None
            if before is None or after is None:
                continue
            waited = after[0] - before[1]
            if waited < low - 1e-6:
                self.problem(f"{where}: retry {k + 1} after {waited:.4f}s, before its backoff of {low:.4f}s")
            elif waited > high + 1e-6:
                self.justify(inv, node, f"{where} retry {k + 1}", before[1] + high, after[0])
        if unit.fallback is not None and spans and spans[-1] is not None:
            fallback = self.attempt_span(unit.fallback)
            if fallback is not None and abs(fallback[0] - spans[-1][1]) > EPS:
                self.problem(
                    f"{where}: fallback call at {fallback[0]:.4f}, not when the call failed at {spans[-1][1]:.4f}"
                )

    def justify(self, inv: Invocation, node: NodeRun, where: str, ready: float, start: float) -> None:
        """A call that started after it could have: something it needs must have been full
        at every moment in between."""
        rate_pools = {p for p, (_, rate, _) in self.exp.pools.items() if rate is not None}
        if node.pool in rate_pools or (inv.limit and rate_pools):
            return  # waits for a rate window; the rate itself is checked in `check_limits`
        times = sorted(
            {ready, start}
            | {t for r in self.run.trace.records for t in (r.start, r.end or r.start) if ready < t < start}
        )
        for a, b in zip(times, times[1:]):
            moment = (a + b) / 2
            if not self.full_at(inv, node, moment):
                self.problem(
                    f"{where} could start at {ready:.4f} but started at {start:.4f}; nothing was full at {moment:.4f}"
                )
                return

    def full_at(self, inv: Invocation, node: NodeRun, moment: float) -> bool:
        def occupied(spans: Iterable[Span | None]) -> int:
            return sum(1 for s in spans if s is not None and s[0] <= moment < s[1])

        if node.is_map and node.map_limit is not None:
            if occupied(self.unit_span(u) for u in node.units) >= node.map_limit:
                return True
        pool_full = {name: occupied(self.pool_spans(name)) >= limit for name, (limit, _, _) in self.exp.pools.items()}
        if node.pool is not None and pool_full[node.pool]:
            return True
        if inv.limit is not None:
            spans = [self.attempt_span(a) for n in inv.nodes for u in n.units for a in u.attempts]
            if occupied(spans) >= inv.limit or any(pool_full.values()):
                return True
        return False

    # ---------------------------------------------------------------- limits

    def pool_spans(self, pool: str) -> list[Span]:
        if not self.pool_holds:
            self.walk_holds(self.exp.top)
        return self.pool_holds.get(pool, [])

    def walk_holds(self, inv: Invocation) -> None:
        spans = []
        for node in inv.nodes:
            for unit in node.units:
                for attempt in unit.attempts:
                    span = self.attempt_span(attempt)
                    if span is not None:
                        spans.append(span)
                        if node.pool is not None:
                            self.pool_holds[node.pool].append(span)
                    if attempt.child is not None:
                        self.walk_holds(attempt.child)
                if unit.fallback is not None and unit.fallback.child is not None:
                    self.walk_holds(unit.fallback.child)
        if inv.limit is not None:
            self.limit_holds.append((inv.limit, spans))
        for node in inv.nodes:
            if node.is_map and node.map_limit is not None:
                units = [s for u in node.units if (s := self.unit_span(u)) is not None]
                self.limit_holds.append((node.map_limit, units))

    def check_limits(self) -> None:
        if not self.pool_holds:
            self.walk_holds(self.exp.top)
        for limit, spans in self.limit_holds:
            if (peak := overlap(spans)) > limit:
                self.problem(f"a limit of {limit} was exceeded: {peak} at once")
        for pool, (limit, rate, per) in self.exp.pools.items():
            spans = self.pool_holds.get(pool, [])
            if (peak := overlap(spans)) > limit:
                self.problem(f"pool {pool} (limit {limit}) held {peak} times at once")
            if rate is not None and per is not None:
                starts = sorted(s for s, _ in spans)
                for a, b in zip(starts, starts[rate:]):
                    if b - a < per - 1e-6:
                        self.problem(f"pool {pool}: {rate + 1} starts within {b - a:.4f}s, rate {rate} per {per}s")
                        break
        for pool, peak in self.run.trace.peaks.items():
            limit = self.exp.pools[pool][0]
            if peak > limit:
                self.problem(f"pool {pool} (limit {limit}): {peak} step calls ran at once")


def overlap(spans: list[Span]) -> int:
    """The most spans open at one moment (an end and a start at the same time do not overlap)."""
    events = sorted([(s, 1) for s, e in spans if e > s] + [(e, -1) for s, e in spans if e > s])
    peak = count = 0
    for _, delta in events:
        count += delta
        peak = max(peak, count)
    return peak


def notes(error: BaseException) -> list[str]:
    return list(getattr(error, "__notes__", ()))


def describe(calls: Counter[CallId]) -> str:
    items = [f"{key[0]}@{attempt} x{n}" for (key, attempt), n in calls.items()]  # type: ignore[index]
    return ", ".join(sorted(items)[:8]) or "none"
