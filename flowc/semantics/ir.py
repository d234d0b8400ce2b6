"""The resolved IR: what a checked `.flow` file means, ready for code generation.

Expressions and conditions are the syntax tree's own (frozen) objects: after resolution
every `Ref` in them is known to name a parameter or node of its flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral

from ..source import Span
from ..syntax.tree import Call, Cond, Expr

CallMode = TypingLiteral["await", "sync", "thread"]


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Every clause that guards one call (or one map element's call), normalised."""

    timeout: float | None = None
    retries: int = 0
    backoff: float | None = None
    max_delay: float | None = None
    jitter: bool = False
    retry_on: tuple[str, ...] = ()
    pool: str | None = None

    @property
    def plain(self) -> bool:
        return self == PLAIN


PLAIN = Policy()


@dataclass(frozen=True, slots=True, kw_only=True)
class Callee:
    """What a node calls: a Python expression (`f`, `llm.summarize`) or a flow of this file."""

    parts: tuple[str, ...]
    flow: str | None = None

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
    args: tuple[tuple[str | None, Expr], ...]
    mode: CallMode
    is_map: bool
    map_limit: int | None
    collect: bool
    policy: Policy
    fallback: Expr | Call | None
    when: Cond | None
    preds: tuple[str, ...]
    reads: tuple[str, ...]
    fallback_callee: Callee | None = None
    """What a `fallback g(...)` calls (its `flow` set for a flow of this file); None when the
    fallback is a value or there is none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    name: str
    type: str
    default: Expr | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """One flow: parameters, result, nodes in source order, the nodes END waits for."""

    name: str
    line: int
    params: tuple[Param, ...]
    result: str | None
    outputs: tuple[tuple[str, str], ...]
    limit: int | None
    timeout: float | None
    nodes: tuple[Node, ...]
    end_preds: tuple[str, ...]
    returns: tuple[tuple[str | None, Expr], ...]

    @property
    def result_class(self) -> str:
        """`<FlowNameInCamelCase>Result`, the NamedTuple of named outputs."""
        return result_class_name(self.name)


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
