"""Parse results to syntax tree. Builds structure only; literal values that Python cannot
represent are reported here, everything else is judged by `resolve` and `check`.

The builder runs inside the parser (lark calls one method per rule as it reduces), so no
parse tree is built and nothing recurses, however deeply the input nests. The parser keeps
every token, so each method sees its rule's punctuation and keywords too, and a span runs
from the first token or child of a rule to its last.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from typing import Any

from lark import Token, Transformer

from .. import codes
from ..diagnostics import Collector
from ..source import Span
from . import literals
from . import tree as s
from .fragments import (
    Backoff,
    CallSuffix,
    ImportName,
    Imports,
    Rate,
    RetryOn,
)

# The collector of the parse in progress: the parser (and this builder) is built once per
# process and shared, so the file-specific part travels in a context variable.
current_errors: contextvars.ContextVar[Collector] = contextvars.ContextVar("current_errors")


def span_of(item: Any) -> Span:
    """The span of a token or of anything built here (which all carry `.span`)."""
    if type(item) is Token:
        return Span(item.line or 1, item.column or 1, item.end_line or 1, item.end_column or 1)
    span: Span = item.span
    return span


def cover(first: Any, last: Any) -> Span:
    """From the start of `first` to the end of `last` (tokens or built objects); the
    parser's hottest helper, hence the plain code."""
    if type(first) is not Token:
        first = first.span
    if type(last) is not Token:
        last = last.span
    return Span(first.line, first.column, last.end_line, last.end_column)


def whole(children: Sequence[Any]) -> Span:
    return cover(children[0], children[-1])


def values(children: Sequence[Any]) -> list[Any]:
    """The children that are not punctuation or keyword tokens."""
    return [c for c in children if not isinstance(c, Token)]


def tokens(children: Sequence[Any], kind: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type == kind]


class Builder(Transformer[Token, Any]):
    """One method per grammar rule; each returns the syntax-tree object for its rule."""

    @property
    def errors(self) -> Collector:
        return current_errors.get()

    # ---------------------------------------------------------------- literals

    def number(self, children: list[Token]) -> s.Literal:
        value, _ = self.number_value(children[0])
        return s.Literal(value=value, span=span_of(children[0]))

    def number_value(self, token: Token) -> tuple[int | float, bool]:
        return literals.number_value(token, self.errors)

    def string(self, children: list[Token]) -> s.Literal:
        return s.Literal(value=self.string_value(children[0]), span=span_of(children[0]))

    def string_value(self, token: Token) -> str:
        return literals.string_value(token, self.errors)

    def true(self, children: list[Token]) -> s.Literal:
        return s.Literal(value=True, span=span_of(children[0]))

    def false(self, children: list[Token]) -> s.Literal:
        return s.Literal(value=False, span=span_of(children[0]))

    def none(self, children: list[Token]) -> s.Literal:
        return s.Literal(value=None, span=span_of(children[0]))

    def list_expr(self, children: list[Any]) -> s.ListExpr:
        return s.ListExpr(items=tuple(values(children)), span=whole(children))

    literal_list = list_expr

    def dict_item(self, children: list[Any]) -> s.DictItem:
        return s.DictItem(key=self.string([children[0]]), value=children[2], span=whole(children))

    literal_item = dict_item

    def dict_expr(self, children: list[Any]) -> s.DictExpr:
        return s.DictExpr(items=tuple(values(children)), span=whole(children))

    literal_dict = dict_expr

    # ---------------------------------------------------------------- expressions

    def attr(self, children: list[Token]) -> s.Attr:
        return s.Attr(name=str(children[1]), span=span_of(children[1]))

    def index(self, children: list[Any]) -> s.Index:
        return s.Index(key=children[1], span=whole(children))

    def call(self, children: list[Any]) -> CallSuffix:
        args = values(children)
        return CallSuffix(args=args[0] if args else (), span=whole(children))

    def args(self, children: list[Any]) -> tuple[s.Arg, ...]:
        return tuple(c if isinstance(c, s.Arg) else s.Arg(name=None, value=c, span=c.span) for c in values(children))

    def keyword(self, children: list[Any]) -> s.Arg:
        return s.Arg(name=str(children[0]), value=children[2], span=whole(children))

    def ref(self, children: list[Any]) -> s.Ref:
        name = children[0]
        return s.Ref(name=str(name), steps=tuple(children[1:]), span=whole(children), name_span=span_of(name))

    def postfix(self, children: list[Any]) -> s.Expr:
        """`a.b.c(args)` is a call; `a.b[0]` a reference; anything else is reported here as
        an invalid call (kept as a Call with the steps that could not belong to it)."""
        name = children[0]
        if len(children) == 1:
            return s.Ref(name=str(name), steps=(), span=span_of(name), name_span=span_of(name))
        steps = children[1:]
        calls = [i for i, step in enumerate(steps) if isinstance(step, CallSuffix)]
        if not calls:
            return s.Ref(name=str(name), steps=tuple(steps), span=whole(children), name_span=span_of(name))
        first = calls[0]
        callee = (str(name), *(step.name for step in steps[:first] if isinstance(step, s.Attr)))
        if not all(isinstance(step, s.Attr) for step in steps[:first]) or first != len(steps) - 1:
            # `f(x).attr`, `f(x)[0]`: a read of the call's result, which a node makes.
            read_after = (
                len(calls) == 1
                and all(isinstance(step, s.Attr) for step in steps[:first])
                and all(isinstance(step, (s.Attr, s.Index)) for step in steps[first + 1 :])
            )
            self.errors.error(
                codes.INVALID_CALL,
                "only a name or a dotted name can be called, and a call cannot be indexed or called again",
                whole(children),
                help=(
                    "make the call a node of its own, then read from the node: `node r = CALLEE(ARGS)`, then `r.attr`"
                    if read_after
                    else None
                ),
            )
        return s.Call(
            callee=callee,
            callee_span=cover(name, steps[first - 1] if first else name),
            args=steps[first].args,
            span=whole(children),
        )

    def each(self, children: list[Any]) -> s.Each:
        return s.Each(ref=children[1], span=whole(children))

    def first(self, children: list[Any]) -> s.First:
        return s.First(items=tuple(values(children)), span=whole(children))

    # ---------------------------------------------------------------- conditions

    def compare(self, children: list[Any]) -> s.Compare:
        return s.Compare(op=str(children[1]), left=children[0], right=children[2], span=whole(children))

    def is_in(self, children: list[Any]) -> s.Compare:
        return s.Compare(op="in", left=children[0], right=children[2], span=whole(children))

    def not_in(self, children: list[Any]) -> s.Compare:
        return s.Compare(op="not in", left=children[0], right=children[3], span=whole(children))

    def parens(self, children: list[Any]) -> s.Cond:
        return self.as_cond(children[1])

    def bool_op(self, op: str, children: list[Any]) -> s.Cond:
        items = tuple(self.as_cond(c) for c in values(children))
        return items[0] if len(items) == 1 else s.BoolOp(op=op, items=items, span=whole(children))

    def or_(self, children: list[Any]) -> s.Cond:
        return self.bool_op("or", children)

    def and_(self, children: list[Any]) -> s.Cond:
        return self.bool_op("and", children)

    def not_(self, children: list[Any]) -> s.Not:
        return s.Not(item=self.as_cond(children[1]), span=whole(children))

    @staticmethod
    def as_cond(item: Any) -> s.Cond:
        if isinstance(item, (s.Compare, s.BoolOp, s.Not, s.Truthy)):
            return item
        return s.Truthy(value=item, span=item.span)

    # ---------------------------------------------------------------- types

    def dotted(self, children: list[Token]) -> s.TypeName:
        return s.TypeName(parts=tuple(str(c) for c in tokens(children, "NAME")), span=whole(children))

    def type_name(self, children: list[Any]) -> s.TypeName:
        name: s.TypeName = children[0]
        return name

    def type_subscript(self, children: list[Any]) -> s.TypeSubscript:
        base, *args = values(children)
        return s.TypeSubscript(base=base, args=tuple(args), span=whole(children))

    def type_union(self, children: list[Any]) -> s.TypeExpr:
        items = values(children)
        if len(items) == 1:
            only: s.TypeExpr = items[0]
            return only
        return s.TypeUnion(items=tuple(items), span=whole(children))

    def type_list(self, children: list[Any]) -> s.TypeList:
        return s.TypeList(items=tuple(values(children)), span=whole(children))

    def type_none(self, children: list[Token]) -> s.TypeConst:
        return s.TypeConst(value=None, text="None", span=span_of(children[0]))

    def type_ellipsis(self, children: list[Token]) -> s.TypeConst:
        return s.TypeConst(value=None, text="...", span=span_of(children[0]))

    def type_string(self, children: list[Token]) -> s.TypeConst:
        value = self.string_value(children[0])
        return s.TypeConst(value=value, text=repr(value), span=span_of(children[0]))

    def type_bool(self, children: list[Token]) -> s.TypeConst:
        return s.TypeConst(value=str(children[0]) == "True", text=str(children[0]), span=span_of(children[0]))

    def type_number(self, children: list[Token]) -> s.TypeConst:
        value, _ = self.number_value(children[0])
        return s.TypeConst(value=value, text=repr(value), span=span_of(children[0]))

    # ---------------------------------------------------------------- clauses

    def count(self, token: Token) -> s.Number:
        value, valid = self.number_value(token)
        return s.Number(value=value, span=span_of(token), valid=valid)

    def duration(self, token: Token) -> s.Duration:
        return literals.duration(token, self.errors)

    def count_or_name(self, token: Token) -> s.Count:
        """A clause's count: a number, or the name of a parameter (`limit width`)."""
        if token.type == "NAME":
            return s.ParamName(name=str(token), span=span_of(token))
        return self.count(token)

    def seconds(self, token: Token) -> s.Seconds:
        """A clause's duration: `250ms`, or the name of a parameter (`timeout wait`)."""
        if token.type == "NAME":
            return s.ParamName(name=str(token), span=span_of(token))
        return self.duration(token)

    def timeout(self, children: list[Token]) -> s.Timeout:
        return s.Timeout(duration=self.seconds(children[1]), span=span_of(children[0]))

    def backoff(self, children: list[Token]) -> Backoff:
        durations = [c for c in children if c.type in ("DURATION", "NAME")]
        cap = self.seconds(durations[1]) if len(durations) > 1 else None
        return Backoff(delay=self.seconds(durations[0]), cap=cap, span=whole(children))

    def retry_on(self, children: list[Any]) -> RetryOn:
        return RetryOn(names=tuple(values(children)), span=whole(children))

    def retry(self, children: list[Any]) -> s.Retry:
        backoff = next((c for c in children if isinstance(c, Backoff)), None)
        retry_on = next((c for c in children if isinstance(c, RetryOn)), None)
        return s.Retry(
            count=self.count_or_name(children[1]),
            backoff=backoff.delay if backoff else None,
            max_delay=backoff.cap if backoff else None,
            jitter=bool(tokens(children, "JITTER")),
            on=retry_on.names if retry_on else (),
            span=span_of(children[0]),
        )

    def fallback(self, children: list[Any]) -> s.Fallback:
        return s.Fallback(value=children[1], span=span_of(children[0]))

    def when(self, children: list[Any]) -> s.When:
        return s.When(cond=self.as_cond(children[1]), span=span_of(children[0]))

    def limit(self, children: list[Token]) -> s.Limit:
        return s.Limit(count=self.count_or_name(children[1]), span=span_of(children[0]))

    def pool_clause(self, children: list[Token]) -> s.PoolClause:
        return s.PoolClause(name=str(children[1]), name_span=span_of(children[1]), span=span_of(children[0]))

    def executor_clause(self, children: list[Token]) -> s.ExecutorClause:
        return s.ExecutorClause(name=str(children[1]), name_span=span_of(children[1]), span=span_of(children[0]))

    def collect(self, children: list[Token]) -> s.Collect:
        return s.Collect(span=span_of(children[0]))

    def sync(self, children: list[Token]) -> s.Sync:
        return s.Sync(span=span_of(children[0]))

    def thread(self, children: list[Token]) -> s.Thread:
        return s.Thread(span=span_of(children[0]))

    # ---------------------------------------------------------------- statements

    def node(self, children: list[Any]) -> s.Node:
        call, *clauses = values(children)
        return s.Node(
            name=str(children[1]),
            name_span=span_of(children[1]),
            is_map=bool(tokens(children[:4], "MAP")),
            call=call,
            clauses=tuple(clauses),
            span=whole(children),
        )

    def edge_term(self, children: list[Token]) -> s.EdgeTerm:
        names = [c for c in children if c.type in ("NAME", "START", "END")]
        return s.EdgeTerm(names=tuple(s.EdgeName(name=str(c), span=span_of(c)) for c in names), span=whole(children))

    def edges(self, children: list[Any]) -> s.Edges:
        return s.Edges(terms=tuple(values(children)), span=whole(children))

    def return_value(self, children: list[Any]) -> s.Return:
        return s.Return(value=children[1], outputs=(), span=whole(children))

    def return_outputs(self, children: list[Any]) -> s.Return:
        names = children[1::4]
        exprs = children[3::4]
        outputs = tuple(s.Arg(name=str(n), value=v, span=cover(n, v)) for n, v in zip(names, exprs))
        return s.Return(value=None, outputs=outputs, span=whole(children))

    # ---------------------------------------------------------------- module level

    def param(self, children: list[Any]) -> s.Param:
        default = children[4] if len(children) > 3 else None
        return s.Param(name=str(children[0]), type=children[2], default=default, span=whole(children))

    def output(self, children: list[Any]) -> s.Output:
        return s.Output(name=str(children[0]), type=children[2], span=whole(children))

    def outputs(self, children: list[Any]) -> s.Outputs:
        return s.Outputs(items=tuple(values(children)), span=whole(children))

    def flow_limit(self, children: list[Token]) -> s.FlowOption:
        return s.FlowOption(keyword="limit", value=self.count_or_name(children[1]), span=span_of(children[0]))

    def flow_timeout(self, children: list[Token]) -> s.FlowOption:
        return s.FlowOption(keyword="timeout", value=self.seconds(children[1]), span=span_of(children[0]))

    def flow(self, children: list[Any]) -> s.Flow:
        parts = values(children)
        params = tuple(c for c in parts if isinstance(c, s.Param))
        returns = parts[len(params)]
        options = [c for c in parts if isinstance(c, s.FlowOption)]
        limits = [o.value for o in options if o.keyword == "limit" and isinstance(o.value, (s.Number, s.ParamName))]
        timeouts = [
            o.value for o in options if o.keyword == "timeout" and isinstance(o.value, (s.Duration, s.ParamName))
        ]
        return s.Flow(
            name=str(children[1]),
            name_span=span_of(children[1]),
            params=params,
            returns=returns,
            limit=limits[0] if limits else None,
            timeout=timeouts[0] if timeouts else None,
            options=tuple(options),
            nodes=tuple(c for c in parts if isinstance(c, s.Node)),
            edges=tuple(c for c in parts if isinstance(c, s.Edges)),
            returns_stmt=tuple(c for c in parts if isinstance(c, s.Return)),
            span=whole(children),
        )

    def import_name(self, children: list[Token]) -> ImportName:
        return ImportName(name=children[0], alias=children[2] if len(children) > 1 else None, span=whole(children))

    def from_import(self, children: list[Any]) -> Imports:
        module: s.TypeName = children[1]
        names = [c for c in children if isinstance(c, ImportName)]
        items = tuple(
            s.Import(module=module.parts, name=str(n.name), alias=str(n.alias or n.name), span=n.span) for n in names
        )
        return Imports(items=items, span=whole(children))

    def module_import(self, children: list[Any]) -> Imports:
        module: s.TypeName = children[1]
        alias = children[3] if len(children) > 2 else None
        item = s.Import(
            module=module.parts,
            name=None,
            alias=str(alias or module.parts[0]),
            span=cover(module, children[-1]),
            written=alias is not None,
        )
        return Imports(items=(item,), span=whole(children))

    def pool(self, children: list[Any]) -> s.Pool:
        rate = children[4] if len(children) > 4 else None
        return s.Pool(
            name=str(children[1]),
            limit=self.count(children[3]),
            rate=rate.count if rate else None,
            per=rate.per if rate else None,
            span=whole(children),
            name_span=span_of(children[1]),
        )

    def executor(self, children: list[Token]) -> s.Executor:
        return s.Executor(name=str(children[1]), span=whole(children), name_span=span_of(children[1]))

    def pool_rate(self, children: list[Token]) -> Rate:
        return Rate(count=self.count(children[1]), per=self.duration(children[3]), span=whole(children))

    def start(self, children: list[Any]) -> s.Module:
        return s.Module(
            imports=tuple(i for c in children if isinstance(c, Imports) for i in c.items),
            pools=tuple(c for c in children if isinstance(c, s.Pool)),
            executors=tuple(c for c in children if isinstance(c, s.Executor)),
            flows=tuple(c for c in children if isinstance(c, s.Flow)),
        )

    def resume_body(self, children: list[Any]) -> None:
        """Only parsed to find more syntax errors; the result is not used."""
        return None
