"""The reference interpreter: what a run of a flow must do, read off the resolved IR.

It runs the flow the plainest way there is: one node after another in topological order,
each call to completion, as if nothing ran concurrently and nothing failed fast. That
*complete run* is what LANGUAGE.md's semantics reduce to once timing is taken out:

- a node whose predecessors all succeeded runs; one downstream of a failure never starts;
- `when` false: skipped, value `None`; `map`: one call per element, results in order;
- each call is retried while it fails with a retryable exception and attempts remain
  (`on` classes, default any `Exception`), then `fallback` or, in a map with `collect`,
  the exception becomes the element's value;
- a per-attempt `timeout` turns a call that is too slow into `TimeoutError`;
- the run fails when any node fails: the exception that surfaces is the *first* failure in
  time, which depends on timing, so the interpreter answers with every failure of the
  complete run (`Fail.candidates`), and the harness checks from the trace that the one
  raised was the first. With `culprits` it names the calls whose failure fails the run.

Every step call does what its `steplib.Script` says: the same functions the steps call.
The interpreter also records what the harness needs to check timing: per flow invocation,
per node, the calls (and sub-flow invocations) of each attempt.
"""

from __future__ import annotations

import collections
from collections import Counter
from typing import Any

from flowc.semantics import ir
from flowc.syntax import tree as s

from . import steplib
from .expect import BIG, TIMEOUT, Attempt, CallId, Expectation, Fail, Hang, Invocation, NodeRun, Ok, Outcome, Unit
from .steplib import canon


class Ambiguous(Exception):
    """The example's outcome depends on timing; the generator should not have made it."""


class Blocked:
    """A node that never starts: a predecessor failed (or never ends)."""


def topological(flow: ir.Flow) -> list[ir.Node]:
    """Nodes with every predecessor first; ties in source order."""
    done: set[str] = set()
    order: list[ir.Node] = []
    while len(order) < len(flow.nodes):
        ready = [n for n in flow.nodes if n.name not in done and all(p in done for p in n.preds)]
        if not ready:
            raise AssertionError("a cycle passed the front end")
        order.append(ready[0])
        done.add(ready[0].name)
    return order


class Interpreter:
    def __init__(self, module: ir.Module, observe: bool) -> None:
        self.flows = {f.name: f for f in module.flows}
        self.observe = observe
        self.calls: Counter[CallId] = Counter()
        self.maybe_calls: Counter[CallId] = Counter()
        self.seen: Counter[CallId] = Counter()
        self.events: Counter[tuple[object, ...]] = Counter()
        self.maybe_events: Counter[tuple[object, ...]] = Counter()
        self.pools = {p.name: (p.limit, p.rate, p.per) for p in module.pools}

    # ---------------------------------------------------------------- values

    def expr(self, node: s.Expr, env: dict[str, object], item: object = None) -> object:
        match node:
            case s.Literal(value=value):
                return value
            case s.Ref():
                return self.ref(node, env)
            case s.Each():
                return item
            case s.ListExpr(items=items):
                return [self.expr(i, env, item) for i in items]
            case s.DictExpr(items=entries):
                return {e.key.value: self.expr(e.value, env, item) for e in entries}
            case s.First(items=items):
                values = [self.expr(i, env, item) for i in items]
                return next((v for v in values[:-1] if v is not None), values[-1])
        raise AssertionError(f"not a value: {node!r}")

    def ref(self, ref: s.Ref, env: dict[str, object]) -> object:
        value = env[ref.name]
        for step in ref.steps:
            if isinstance(step, s.Attr):
                value = getattr(value, step.name)
            else:
                value = value[self.expr(step.key, env)]  # type: ignore[index]
        return value

    def cond(self, node: s.Cond, env: dict[str, object]) -> bool:
        match node:
            case s.Compare(op=op, left=left, right=right):
                a, b = self.expr(left, env), self.expr(right, env)
                return bool(COMPARE[op](a, b))
            case s.BoolOp(op="and", items=items):
                return all(self.cond(i, env) for i in items)
            case s.BoolOp(op="or", items=items):
                return any(self.cond(i, env) for i in items)
            case s.Not(item=item):
                return not self.cond(item, env)
            case s.Truthy(value=value):
                return bool(self.expr(value, env))
        raise AssertionError(node)

    # ---------------------------------------------------------------- flows

    def run(self, name: str, kwargs: dict[str, object]) -> Expectation:
        outcome, top = self.run_flow(name, kwargs)
        flow = self.flows[name]
        named = flow.result if isinstance(flow.result, ir.NamedOutputs) else None
        return Expectation(
            outcome=outcome,
            calls=self.calls,
            maybe_calls=self.maybe_calls,
            events=self.events,
            maybe_events=self.maybe_events,
            top=top,
            pools=self.pools,
            result_class=named.class_name if named else None,
            fields=tuple(o.name for o in named.outputs) if named else (),
        )

    def run_flow(self, name: str, kwargs: dict[str, object]) -> tuple[Outcome, Invocation]:
        flow = self.flows[name]
        env: dict[str, object] = {}
        for param in flow.params:
            if param.name in kwargs:
                env[param.name] = kwargs[param.name]
            else:
                assert param.default is not None, f"{name}: {param.name} not given"
                env[param.name] = self.expr(param.default, env)
        inv = Invocation(flow=name, ctx=canon(env["ctx"]), limit=flow.limit)
        outcomes: dict[str, Outcome | Blocked] = {}
        for node in topological(flow):
            run = NodeRun(node.name, node.preds, node.policy.pool, node.is_map, node.map_limit)
            inv.nodes.append(run)
            if any(not isinstance(outcomes[p], Ok) for p in node.preds):
                run.state = "blocked"
                outcomes[node.name] = Blocked()
                continue
            outcome = self.run_node(flow, node, env, run)
            outcomes[node.name] = outcome
            if isinstance(outcome, Ok):
                env[node.name] = outcome.value
        return self.flow_outcome(flow, outcomes, env), inv

    def flow_outcome(self, flow: ir.Flow, outcomes: dict[str, Outcome | Blocked], env: dict[str, object]) -> Outcome:
        fails = [o for o in outcomes.values() if isinstance(o, Fail)]
        short = flow.timeout is not None and flow.timeout < BIG
        if fails:
            candidates = frozenset().union(*(f.candidates for f in fails)) | ({TIMEOUT} if short else set())
            culprits = frozenset().union(*(f.culprits for f in fails))
            return fail(candidates, culprits, fails[0].error if len(fails) == 1 else None)
        if any(isinstance(o, Hang) for o in outcomes.values()):
            return fail({TIMEOUT}, frozenset(), TimeoutError()) if flow.timeout is not None else Hang()
        if short:
            raise Ambiguous(f"flow {flow.name} ends, yet has a short timeout")
        match flow.result:
            case ir.NamedOutputs(class_name=class_name, outputs=outputs):
                values = {r.name: r.value for r in flow.returns}
                cls = collections.namedtuple(class_name, [o.name for o in outputs])  # type: ignore[misc]
                return Ok(cls(*(self.expr(values[o.name], env) for o in outputs)))
            case ir.SingleResult() if flow.returns:
                return Ok(self.expr(flow.returns[0].value, env))
        return Ok(None)

    # ---------------------------------------------------------------- nodes

    def run_node(self, flow: ir.Flow, node: ir.Node, env: dict[str, object], run: NodeRun) -> Outcome:
        if node.when is not None and not self.cond(node.when, env):
            run.state = "skipped"
            self.events[("skipped", flow.name, node.name, None, None)] += 1
            return Ok(None)
        if not node.is_map:
            unit = Unit(index=None)
            run.units.append(unit)
            return self.guarded(flow, node, env, unit, None)
        each = next(a.value for a in node.args if isinstance(a.value, s.Each))
        items = list(self.ref(each.ref, env))  # type: ignore[call-overload]
        results: list[object] = []
        fails: list[Fail] = []
        hang = False
        for index, item in enumerate(items):
            unit = Unit(index=index)
            run.units.append(unit)
            outcome = self.guarded(flow, node, env, unit, item)
            if isinstance(outcome, Ok):
                results.append(outcome.value)
            elif isinstance(outcome, Hang):
                hang = True
            elif node.collect:
                if outcome.error is None:
                    raise Ambiguous(f"{flow.name}.{node.name}[{index}] collects one of several exceptions")
                results.append(outcome.error)
            else:
                fails.append(outcome)
        if fails:
            return fail(
                frozenset().union(*(f.candidates for f in fails)),
                frozenset().union(*(f.culprits for f in fails)),
                fails[0].error if len(fails) == 1 else None,
            )
        return Hang() if hang else Ok(results)

    def guarded(self, flow: ir.Flow, node: ir.Node, env: dict[str, object], unit: Unit, item: object) -> Outcome:
        """A node's (or element's) call with retries, timeout and fallback."""
        policy = node.policy
        retry_on = tuple(steplib.CLASSES[c] for c in policy.retry_on) or (Exception,)
        outcome: Outcome = Hang()
        for attempt in range(1, policy.retries + 2):
            self.event("started", flow, node, unit.index, attempt)
            outcome = self.attempt(flow, node, env, item, attempt, unit)
            if isinstance(outcome, Ok):
                self.event("finished", flow, node, unit.index, attempt)
                return outcome
            if isinstance(outcome, Hang):
                return outcome
            self.event("failed", flow, node, unit.index, attempt)
            retryable = {self.retryable(c, retry_on) for c in outcome.candidates}
            if len(retryable) > 1:
                raise Ambiguous(f"{flow.name}.{node.name}: retried or not depending on which failure comes first")
            if attempt > policy.retries or not retryable.pop():
                break
            self.event("retrying", flow, node, unit.index, attempt)
            unit.delays.append(delays(policy, attempt))
        assert isinstance(outcome, Fail)
        match node.fallback:
            case None:
                return outcome
            case ir.FallbackValue(value=value):
                return Ok(self.expr(value, env))
            case ir.FallbackCall(call=call, callee=callee):
                attempt_record = Attempt()
                unit.fallback = attempt_record
                return self.call(callee, call.args, env, item, None, None, attempt_record)

    def retryable(self, candidate: object, retry_on: tuple[type[BaseException], ...]) -> bool:
        assert isinstance(candidate, tuple)
        cls = steplib.CLASSES.get(candidate[1]) or {"TaggedValueError": ValueError}.get(candidate[1])
        assert cls is not None, candidate
        if candidate[1] == "TaggedValueError":
            cls = steplib.TaggedValueError
        return issubclass(cls, retry_on)

    def event(self, kind: str, flow: ir.Flow, node: ir.Node, index: int | None, attempt: int) -> None:
        self.events[(kind, flow.name, node.name, index, attempt)] += 1

    def attempt(
        self, flow: ir.Flow, node: ir.Node, env: dict[str, object], item: object, attempt: int, unit: Unit
    ) -> Outcome:
        record = Attempt()
        unit.attempts.append(record)
        return self.call(node.callee, node.args, env, item, attempt, node.policy.timeout, record)

    def call(
        self,
        callee: ir.Callee,
        args: tuple[s.Arg, ...],
        env: dict[str, object],
        item: object,
        attempt: int | None,
        timeout: float | None,
        record: Attempt,
    ) -> Outcome:
        """One call of a step or a sub-flow, under a per-attempt timeout."""
        if callee.flow is not None:
            target = self.flows[callee.flow]
            kwargs = bind([p.name for p in target.params], args, self, env, item)
            calls, events = self.calls.copy(), self.events.copy()
            outcome, child = self.run_flow(callee.flow, kwargs)
            record.child = child
            if not isinstance(outcome, Ok):
                # Cut short at its first failure: what it calls after is unknown.
                child.cut = True
                self.maybe_calls += self.calls - calls
                self.maybe_events += self.events - events
                self.calls, self.events = calls, events
            return limited(outcome, timeout)
        name = callee.text
        script = steplib.SCRIPTS[name]
        kwargs = bind([*script.params, "ctx"], args, self, env, item)
        ctx = kwargs.pop("ctx")
        key = steplib.identity(name, ctx, kwargs)
        at = attempt if self.observe and not script.fallback else None
        call_id: CallId = (key, at)
        self.calls[call_id] += 1
        self.seen[call_id] += 1
        record.call, record.occurrence = call_id, self.seen[call_id]
        plan = steplib.behaviour(script, key, at)
        if plan.outcome == "raise":
            error = steplib.error_for(script, key, at)
            return Fail(frozenset({canon(error)}), frozenset({(call_id, record.occurrence)}), error)
        if timeout is not None and abs(plan.delay / 1000 - timeout) < 1e-6:
            raise Ambiguous(f"{name} takes exactly its timeout")
        if timeout is not None and plan.delay / 1000 > timeout:
            return Fail(frozenset({TIMEOUT}), frozenset({(call_id, record.occurrence)}), TimeoutError())
        if plan.outcome == "slow" and plan.delay >= steplib.HANG_MS:
            return Hang()
        return Ok(steplib.value(name, ctx, kwargs))


def limited(outcome: Outcome, timeout: float | None) -> Outcome:
    """A sub-flow's outcome under its caller's per-attempt timeout."""
    if timeout is None:
        return outcome
    if isinstance(outcome, Hang):
        return fail({TIMEOUT}, frozenset(), TimeoutError())
    if timeout >= BIG:
        return outcome
    if isinstance(outcome, Ok):
        raise Ambiguous("a sub-flow call that ends, under a short timeout")
    return fail(outcome.candidates | {TIMEOUT}, outcome.culprits, None)


def fail(candidates: frozenset[object] | set[object], culprits: frozenset[Any], error: BaseException | None) -> Fail:
    candidates = frozenset(candidates)
    return Fail(candidates, culprits, error if len(candidates) == 1 else None)


def bind(
    names: list[str],
    args: tuple[s.Arg, ...],
    interp: Interpreter,
    env: dict[str, object],
    item: object,
) -> dict[str, object]:
    """Arguments by parameter name: positional ones in order, then keywords."""
    bound: dict[str, object] = {}
    position = 0
    for arg in args:
        value = interp.expr(arg.value, env, item)
        if arg.name is None:
            bound[names[position]] = value
            position += 1
        else:
            bound[arg.name] = value
    return bound


def delays(policy: ir.Policy, retry: int) -> tuple[float, float]:
    """The least and most wait before retry number `retry` (from 1)."""
    if policy.backoff is None:
        return (0.0, 0.0)
    delay = policy.backoff * 2.0 ** min(retry - 1, 100)
    low, high = (delay * 0.5, delay * 1.5) if policy.jitter else (delay, delay)
    if policy.max_delay is not None:
        low, high = min(low, policy.max_delay), min(high, policy.max_delay)
    return (low, high)


COMPARE: dict[str, Any] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}
