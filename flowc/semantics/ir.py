"""The resolved IR: what a checked `.flow` file means, ready for code generation.

Expressions, conditions and arguments (`Arg`: a name or None, a value, a span) are the
syntax tree's own (frozen) objects: after resolution every `Ref` in them is known to name a
parameter or node of its flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal as TypingLiteral
from typing import TypeAlias

from ..diagnostics import Diagnostic
from ..source import Span
from ..syntax.tree import Arg, Call, Cond, Expr

CallMode = TypingLiteral["await", "sync", "thread", "executor"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    """One imported name: `from module import name as alias` or `import module as alias`."""

    module: str
    name: str | None
    alias: str
    written: bool = True  # False for `import a.b` without `as`, which binds `a`


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    """A module-level pool: `limit` slots, optionally at most `rate` starts per `per` seconds."""

    name: str
    limit: int
    rate: int | None
    per: float | None
    public: bool = True
    """Whether the generated module binds the pool under its own name too, for other `.flow`
    files to import: not when an import or flow of the file has the name, or the generated
    module uses it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FromParam:
    """A limit, retry count or duration given by a parameter of the flow (`limit width`):
    checked and read when a run starts, before any node does. `clause` is the clause as
    written (`limit width`, `retry attempts`), for the run-time error that names it."""

    name: str
    clause: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Every clause that guards one call (or one map element's call), normalised."""

    timeout: float | FromParam | None = None
    retries: int | FromParam = 0
    backoff: float | FromParam | None = None
    max_delay: float | FromParam | None = None
    jitter: bool = False
    retry_on: tuple[str, ...] = ()
    pool: str | None = None

    @property
    def plain(self) -> bool:
        return self == PLAIN

    @property
    def per_run(self) -> bool:
        """Whether a setting comes from a parameter: the policy is then made for each run."""
        return any(isinstance(v, FromParam) for v in (self.timeout, self.retries, self.backoff, self.max_delay))

    def settings(self) -> tuple[Setting, ...]:
        """What differs from the default, in field order: `timeout`, `retries`, `backoff`,
        `max_delay`, `jitter`, `retry_on`, `pool` (the runtime's `_Policy` keywords)."""
        values: tuple[tuple[str, SettingValue | None], ...] = (
            ("timeout", self.timeout),
            ("retries", self.retries or None),
            ("backoff", self.backoff),
            ("max_delay", self.max_delay),
            ("jitter", True if self.jitter else None),
            ("retry_on", self.retry_on or None),
            ("pool", self.pool),
        )
        return tuple(Setting(field=name, value=value) for name, value in values if value is not None)

    def clauses(self, duration: Callable[[float], str]) -> tuple[str, ...]:
        """The policy as the flow language writes it, one clause each: `retry 3 backoff 1s
        max 10s jitter on KeyError`, `timeout 2s`, `pool api`; `duration` writes seconds."""

        def seconds(value: float | FromParam) -> str:
            return value.name if isinstance(value, FromParam) else duration(value)

        clauses = []
        if self.retries:
            retry = [f"retry {self.retries}"]
            if self.backoff is not None:
                retry.append(f"backoff {seconds(self.backoff)}")
            if self.max_delay is not None:
                retry.append(f"max {seconds(self.max_delay)}")
            if self.jitter:
                retry.append("jitter")
            if self.retry_on:
                retry.append("on " + ", ".join(self.retry_on))
            clauses.append(" ".join(retry))
        if self.timeout is not None:
            clauses.append(f"timeout {seconds(self.timeout)}")
        if self.pool is not None:
            clauses.append(f"pool {self.pool}")
        return tuple(clauses)


SettingValue: TypeAlias = int | float | bool | str | tuple[str, ...] | FromParam


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """One setting of a policy: a field of `Policy` (the runtime's `_Policy` keyword of the
    same name) and its value; `jitter` is True, `retry_on` the exception classes' names, a
    setting given by a parameter a `FromParam`."""

    field: str
    value: SettingValue


PLAIN = Policy()


@dataclass(frozen=True, slots=True, kw_only=True)
class Callee:
    """What a node calls: a Python expression (`f`, `llm.summarize`), a flow of this file, or
    a flow imported from another `.flow` file (`flow` is then its alias here, and `origin`
    the file that declares it)."""

    parts: tuple[str, ...]
    flow: str | None = None
    origin: str | None = None

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One node of a flow: its call, clauses and the nodes it waits for (`preds`)."""

    name: str
    line: int
    span: Span
    callee: Callee
    callee_span: Span
    args: tuple[Arg, ...]
    mode: CallMode
    is_map: bool
    map_limit: int | FromParam | None
    collect: bool
    policy: Policy
    fallback: Fallback | None
    when: Cond | None
    preds: tuple[str, ...]
    reads: tuple[str, ...]
    executor: str | None = None
    """The module-level executor a node of mode `executor` runs its calls on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackValue:
    """`fallback EXPR`: the node's value when its call fails."""

    value: Expr
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackCall:
    """`fallback g(...)`: a call made (the way the node's own call is) when the node's call
    fails; `callee.flow` is set for a flow of this file."""

    call: Call
    callee: Callee
    span: Span


Fallback: TypeAlias = FallbackValue | FallbackCall


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    name: str
    type: str
    default: Expr | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoResult:
    """`-> None`: the flow returns nothing."""

    @property
    def annotation(self) -> str:
        return "None"


@dataclass(frozen=True, slots=True, kw_only=True)
class SingleResult:
    """`-> TYPE`: the flow returns one value."""

    type: str

    @property
    def annotation(self) -> str:
        return self.type


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    """One named output: `name: type` in `-> (name: type, ...)`."""

    name: str
    type: str
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class NamedOutputs:
    """`-> (a: A, b: B)`: the flow returns the NamedTuple `class_name` of these outputs."""

    class_name: str
    outputs: tuple[Output, ...]

    @property
    def annotation(self) -> str:
        return self.class_name


Result: TypeAlias = NoResult | SingleResult | NamedOutputs
"""What a flow returns, as declared after `->`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """One flow: parameters, result, nodes in source order, the nodes END waits for, and the
    values its `return` gives (one unnamed, or one per named output)."""

    name: str
    line: int
    params: tuple[Param, ...]
    result: Result
    limit: int | FromParam | None
    timeout: float | FromParam | None
    nodes: tuple[Node, ...]
    end_preds: tuple[str, ...]
    returns: tuple[Arg, ...]


def result_class_name(flow: str) -> str:
    """`<FlowNameInCamelCase>Result`: `fetch_all` gives `FetchAllResult`."""
    return "".join(part[:1].upper() + part[1:] for part in flow.split("_")) + "Result"


@dataclass(frozen=True, slots=True, kw_only=True)
class Module:
    path: str
    name: str
    text: str
    imports: tuple[Import, ...]
    pools: tuple[Pool, ...]
    flows: tuple[Flow, ...]
    executors: tuple[str, ...] = ()
    """The executors the file declares (`executor NAME`), in order."""
    warnings: tuple[Diagnostic, ...] = ()
    """What compiles but is likely a mistake (`lints.py`): an unused import, an unread node."""
    flow_imports: tuple[FlowImport, ...] = ()
    """The flows and pools this file imports from other `.flow` files."""

    def pool_id(self, name: str) -> str:
        """A pool's identity across files: `path:name` of the file that declares it."""
        for item in self.flow_imports:
            if item.alias == name and item.kind == "pool":
                return item.pool_ids[0]
        return f"{self.path}:{name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowImport:
    """A flow or pool that a file imports from another `.flow` file (`from MODULE import
    NAME as ALIAS`): for a flow, its signature and every pool its runs may hold (their
    identities, `path:name`, through its sub-flows too); for a pool, its identity alone."""

    module: str
    name: str
    alias: str
    kind: TypingLiteral["flow", "pool"]
    path: str
    """The declaring file, as displayed."""
    flow: Flow | None
    pool_ids: tuple[str, ...]
    span: Span
    waits: tuple[tuple[str, str], ...] = ()
    """For a flow: each (pool held, pool then needed) its runs may create, by identity."""
    digest: str = ""
    """For a flow: its structure digest (`structure_digest`), which its callers' digests hold."""
