"""The syntax tree: what was written in a `.flow` file, with a span on everything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from ..source import Span

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True, kw_only=True)
class Literal:
    """A number, string, True, False or None."""

    value: int | float | str | bool | None
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Attr:
    """A `.name` step after a reference."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Index:
    """A `[literal]` step after a reference."""

    key: Expr
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Ref:
    """A parameter or node of the flow, followed by attribute and index steps."""

    name: str
    steps: tuple[Attr | Index, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class ListExpr:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class DictItem:
    """`"key": value` inside a dict; the key is a string literal."""

    key: Literal
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class DictExpr:
    items: tuple[DictItem, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class First:
    """`first(a, b, …)`: the first argument that is not None."""

    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Each:
    """`each REF`: the element of a `map`."""

    ref: Ref
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """`callee(args)`; only a node's right-hand side or a fallback may be a call."""

    callee: tuple[str, ...]
    callee_span: Span
    args: tuple[Arg, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Arg:
    """A positional (`name` is None) or keyword argument."""

    name: str | None
    value: Expr
    span: Span


Expr: TypeAlias = Literal | Ref | ListExpr | DictExpr | First | Each | Call

# ---------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare:
    """`left OP right` where OP is a comparison, `in` or `not in`."""

    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class BoolOp:
    """`and` / `or` over two or more conditions."""

    op: str
    items: tuple[Cond, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    item: Cond
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Truthy:
    """A bare reference or literal used as a condition."""

    value: Expr
    span: Span


Cond: TypeAlias = Compare | BoolOp | Not | Truthy

# ---------------------------------------------------------------- types


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeName:
    parts: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeSubscript:
    base: TypeName
    args: tuple[TypeExpr, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeUnion:
    items: tuple[TypeExpr, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeList:
    """`[A, B]` as in `Callable[[A, B], R]`."""

    items: tuple[TypeExpr, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeConst:
    """`None`, `...`, or a string, number or bool literal (only inside `Literal[...]`)."""

    value: str | int | float | bool | None
    text: str
    span: Span


TypeExpr: TypeAlias = TypeName | TypeSubscript | TypeUnion | TypeList | TypeConst

# ---------------------------------------------------------------- clauses and nodes


@dataclass(frozen=True, slots=True, kw_only=True)
class Number:
    """A number written where a count is expected (validated by the checker); `valid` is
    False when the text could not be read as a number (already reported)."""

    value: int | float
    span: Span
    valid: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Duration:
    seconds: float
    text: str
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamName:
    """A parameter of the flow named where a count or duration is expected (`limit width`,
    `timeout wait`): the value is the parameter's, read when a run starts."""

    name: str
    span: Span


Count: TypeAlias = Number | ParamName
"""A limit or retry count: a number as written, or a parameter's name."""

Seconds: TypeAlias = Duration | ParamName
"""A timeout, backoff or cap: a duration as written, or a parameter's name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeout:
    """`timeout DURATION`: the longest one attempt of the call may take."""

    keyword: ClassVar[str] = "timeout"
    duration: Seconds
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Retry:
    """`retry COUNT [backoff DELAY [max CAP]] [jitter] [on Exc, ...]`."""

    keyword: ClassVar[str] = "retry"
    count: Count
    backoff: Seconds | None
    max_delay: Seconds | None
    jitter: bool
    on: tuple[TypeName, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Fallback:
    """`fallback EXPR`: a value, or a call, used when the node's call fails."""

    keyword: ClassVar[str] = "fallback"
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class When:
    """`when CONDITION`: the node runs only if the condition holds."""

    keyword: ClassVar[str] = "when"
    cond: Cond
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Limit:
    """`limit COUNT`: how many elements of a map run at once."""

    keyword: ClassVar[str] = "limit"
    count: Count
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolClause:
    """`pool NAME`: each call holds a slot of a module-level pool."""

    keyword: ClassVar[str] = "pool"
    name: str
    name_span: Span
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutorClause:
    """`executor NAME`: the callee is a plain function, called on a module-level executor."""

    keyword: ClassVar[str] = "executor"
    name: str
    name_span: Span
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Collect:
    """`collect`: a map's failed element becomes its exception instead of failing the node."""

    keyword: ClassVar[str] = "collect"
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Sync:
    """`sync`: the callee is a plain function, called on the event loop."""

    keyword: ClassVar[str] = "sync"
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Thread:
    """`thread`: the callee is a plain function, called in a worker thread."""

    keyword: ClassVar[str] = "thread"
    span: Span


Clause: TypeAlias = Timeout | Retry | Fallback | When | Limit | PoolClause | ExecutorClause | Collect | Sync | Thread
"""One clause as written; `keyword` is the word it starts with."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    name: str
    name_span: Span
    is_map: bool
    call: Expr
    clauses: tuple[Clause, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeName:
    """One name in an edge statement: a node, `START` or `END`."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeTerm:
    """`START`, `END`, a node name or a `[a, b]` group."""

    names: tuple[EdgeName, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Edges:
    terms: tuple[EdgeTerm, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Return:
    """`return EXPR` (`value`) or `return a=EXPR, b=EXPR` (`outputs`)."""

    value: Expr | None
    outputs: tuple[Arg, ...]
    span: Span


# ---------------------------------------------------------------- module level


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    name: str
    type: TypeExpr
    default: Expr | None
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    name: str
    type: TypeExpr
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Outputs:
    """`(a: int, b: str)` after `->`: the flow returns named outputs."""

    items: tuple[Output, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowOption:
    """`limit COUNT` or `timeout DURATION` after a flow's result; `keyword` is the word."""

    keyword: str
    value: Count | Seconds
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    name: str
    name_span: Span
    params: tuple[Param, ...]
    returns: TypeExpr | Outputs
    limit: Count | None
    timeout: Seconds | None
    options: tuple[FlowOption, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edges, ...]
    returns_stmt: tuple[Return, ...]
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    """`from module import name as alias` (`name` set) or `import module as alias`."""

    module: tuple[str, ...]
    name: str | None
    alias: str
    span: Span
    written: bool = True  # False for `import a.b` without `as`, which binds `a`


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    name: str
    limit: Number
    rate: Number | None
    per: Duration | None
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Executor:
    """`executor NAME`: a named executor, bound at run time (`bind_executor`)."""

    name: str
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Module:
    imports: tuple[Import, ...]
    pools: tuple[Pool, ...]
    flows: tuple[Flow, ...]
    executors: tuple[Executor, ...] = ()
