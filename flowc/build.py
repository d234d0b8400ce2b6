"""Parse tree to syntax tree. Builds structure only; literal values that Python cannot
represent are reported here, everything else is judged by `resolve` and `check`."""

from __future__ import annotations

import ast
import math
import warnings
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from . import codes
from . import syntax as s
from .diagnostics import Collector
from .source import Span

UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def span_of(item: Meta | Token) -> Span:
    if isinstance(item, Token):
        return Span(item.line or 1, item.column or 1, item.end_line or 1, item.end_column or 1)
    return Span(item.line, item.column, item.end_line, item.end_column)


def cover(first: Span, last: Span) -> Span:
    return Span(first.line, first.column, last.end_line, last.end_column)


def expr_span(expr: Any) -> Span:
    span: Span = expr.span
    return span


@v_args(meta=True)
class Builder(Transformer[Token, s.Module]):
    """One method per grammar rule; each returns the syntax-tree object for its rule."""

    def __init__(self, errors: Collector) -> None:
        super().__init__()
        self.errors = errors

    # ---------------------------------------------------------------- literals

    def number(self, meta: Meta, children: list[Token]) -> s.Literal:
        return s.Literal(value=self.number_value(children[0]), span=span_of(children[0]))

    def number_value(self, token: Token) -> int | float:
        text = str(token)
        try:
            value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            value = 0
            self.errors.error(codes.INVALID_LITERAL, "this number has too many digits", span_of(token))
        if isinstance(value, float) and not math.isfinite(value):
            self.errors.error(codes.INVALID_LITERAL, "this number is too large for a float", span_of(token))
            value = 0.0
        return value

    def string(self, meta: Meta, children: list[Token]) -> s.Literal:
        return s.Literal(value=self.string_value(children[0]), span=span_of(children[0]))

    def string_value(self, token: Token) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                value = ast.literal_eval(str(token))
            except (SyntaxError, ValueError, Warning) as error:
                message = str(error.args[0] if error.args else error).split(" (", 1)[0]
                self.errors.error(
                    codes.INVALID_LITERAL,
                    f"invalid string literal: {message}",
                    span_of(token),
                    help="use Python escapes such as `\\n`, `\\t`, `\\\\`, `\\\"` or `\\u00e9`",
                )
                return ""
        assert isinstance(value, str)
        return value

    def true(self, meta: Meta, children: list[Token]) -> s.Literal:
        return s.Literal(value=True, span=span_of(children[0]))

    def false(self, meta: Meta, children: list[Token]) -> s.Literal:
        return s.Literal(value=False, span=span_of(children[0]))

    def none(self, meta: Meta, children: list[Token]) -> s.Literal:
        return s.Literal(value=None, span=span_of(children[0]))

    def literal_list(self, meta: Meta, children: list[Any]) -> s.ListExpr:
        return s.ListExpr(items=tuple(c for c in children if c is not None), span=span_of(meta))

    list = literal_list

    def literal_item(self, meta: Meta, children: list[Any]) -> tuple[s.Literal, s.Expr]:
        return self.string(meta, [children[0]]), children[1]

    dict_item = literal_item

    def literal_dict(self, meta: Meta, children: list[Any]) -> s.DictExpr:
        return s.DictExpr(items=tuple(c for c in children if c is not None), span=span_of(meta))

    dict = literal_dict

    # ---------------------------------------------------------------- expressions

    def attr(self, meta: Meta, children: list[Token]) -> s.Attr:
        return s.Attr(name=str(children[0]), span=span_of(meta))

    def index(self, meta: Meta, children: list[Any]) -> s.Index:
        return s.Index(key=children[1], span=span_of(meta))

    def call(self, meta: Meta, children: list[Any]) -> tuple[str, tuple[s.Arg, ...], Span]:
        args: tuple[s.Arg, ...] = children[0] or ()
        return ("call", args, span_of(meta))

    def args(self, meta: Meta, children: list[Any]) -> tuple[s.Arg, ...]:
        return tuple(
            c if isinstance(c, s.Arg) else s.Arg(name=None, value=c, span=expr_span(c)) for c in children if c is not None
        )

    def keyword(self, meta: Meta, children: list[Any]) -> s.Arg:
        return s.Arg(name=str(children[0]), value=children[1], span=span_of(meta))

    def ref(self, meta: Meta, children: list[Any]) -> s.Ref:
        name = children[0]
        return s.Ref(name=str(name), steps=tuple(children[1:]), span=span_of(meta), name_span=span_of(name))

    def postfix(self, meta: Meta, children: list[Any]) -> s.Expr:
        """`a.b.c(args)` is a call; `a.b[0]` a reference; anything else is reported later as
        an invalid call (kept as a Call with the steps that could not belong to it)."""
        name, steps = children[0], children[1:]
        calls = [i for i, step in enumerate(steps) if isinstance(step, tuple)]
        if not calls:
            return s.Ref(name=str(name), steps=tuple(steps), span=span_of(meta), name_span=span_of(name))
        first = calls[0]
        callee = (str(name), *(step.name for step in steps[:first] if isinstance(step, s.Attr)))
        valid = all(isinstance(step, s.Attr) for step in steps[:first]) and first == len(steps) - 1
        _, args, call_span = steps[first]
        if not valid:
            self.errors.error(
                codes.INVALID_CALL,
                "only a name or a dotted name can be called, and a call cannot be indexed or called again",
                span_of(meta),
            )
        return s.Call(
            callee=callee,
            callee_span=cover(span_of(name), steps[first - 1].span if first else span_of(name)),
            args=args,
            span=span_of(meta),
        )

    def each(self, meta: Meta, children: list[Any]) -> s.Each:
        return s.Each(ref=children[0], span=span_of(meta))

    def first(self, meta: Meta, children: list[Any]) -> s.First:
        return s.First(items=tuple(c for c in children if c is not None), span=span_of(meta))

    # ---------------------------------------------------------------- conditions

    def compare(self, meta: Meta, children: list[Any]) -> s.Compare:
        return s.Compare(op=str(children[1]), left=children[0], right=children[2], span=span_of(meta))

    def is_in(self, meta: Meta, children: list[Any]) -> s.Compare:
        return s.Compare(op="in", left=children[0], right=children[1], span=span_of(meta))

    def not_in(self, meta: Meta, children: list[Any]) -> s.Compare:
        return s.Compare(op="not in", left=children[0], right=children[1], span=span_of(meta))

    def bool_op(self, op: str, meta: Meta, children: list[Any]) -> s.Cond:
        items = tuple(self.as_cond(c) for c in children)
        return items[0] if len(items) == 1 else s.BoolOp(op=op, items=items, span=span_of(meta))

    def or_(self, meta: Meta, children: list[Any]) -> s.Cond:
        return self.bool_op("or", meta, children)

    def and_(self, meta: Meta, children: list[Any]) -> s.Cond:
        return self.bool_op("and", meta, children)

    def not_(self, meta: Meta, children: list[Any]) -> s.Not:
        return s.Not(item=self.as_cond(children[0]), span=span_of(meta))

    @staticmethod
    def as_cond(item: Any) -> s.Cond:
        if isinstance(item, (s.Compare, s.BoolOp, s.Not, s.Truthy)):
            return item
        return s.Truthy(value=item, span=expr_span(item))

    # ---------------------------------------------------------------- types

    def dotted(self, meta: Meta, children: list[Token]) -> s.TypeName:
        return s.TypeName(parts=tuple(str(c) for c in children), span=span_of(meta))

    def type_name(self, meta: Meta, children: list[Any]) -> s.TypeName:
        name: s.TypeName = children[0]
        return name

    def type_subscript(self, meta: Meta, children: list[Any]) -> s.TypeSubscript:
        return s.TypeSubscript(base=children[0], args=tuple(c for c in children[1:] if c is not None), span=span_of(meta))

    def type_union(self, meta: Meta, children: list[Any]) -> s.TypeExpr:
        if len(children) == 1:
            only: s.TypeExpr = children[0]
            return only
        return s.TypeUnion(items=tuple(children), span=span_of(meta))

    def type_list(self, meta: Meta, children: list[Any]) -> s.TypeList:
        return s.TypeList(items=tuple(c for c in children if c is not None), span=span_of(meta))

    def type_none(self, meta: Meta, children: list[Token]) -> s.TypeConst:
        return s.TypeConst(value=None, text="None", span=span_of(children[0]))

    def type_ellipsis(self, meta: Meta, children: list[Token]) -> s.TypeConst:
        return s.TypeConst(value=None, text="...", span=span_of(children[0]))

    def type_string(self, meta: Meta, children: list[Token]) -> s.TypeConst:
        value = self.string_value(children[0])
        return s.TypeConst(value=value, text=repr(value), span=span_of(children[0]))

    def type_number(self, meta: Meta, children: list[Token]) -> s.TypeConst:
        value = self.number_value(children[0])
        return s.TypeConst(value=value, text=repr(value), span=span_of(children[0]))

    # ---------------------------------------------------------------- clauses

    def count(self, token: Token) -> s.Number:
        return s.Number(value=self.number_value(token), span=span_of(token))

    def duration(self, token: Token) -> s.Duration:
        text = str(token)
        unit = text.lstrip("0123456789.")
        return s.Duration(seconds=float(text[: -len(unit)]) * UNIT_SECONDS[unit], text=text, span=span_of(token))

    def timeout(self, meta: Meta, children: list[Token]) -> s.Clause:
        return s.Clause(kind="timeout", span=span_of(meta), duration=self.duration(children[0]))

    def backoff(self, meta: Meta, children: list[Token | None]) -> tuple[s.Duration, s.Duration | None]:
        first, cap = children
        assert first is not None
        return self.duration(first), self.duration(cap) if cap is not None else None

    def retry_on(self, meta: Meta, children: list[s.TypeName]) -> tuple[s.TypeName, ...]:
        return tuple(children)

    def retry(self, meta: Meta, children: list[Any]) -> s.Clause:
        count, backoff, jitter, retry_on = children
        return s.Clause(
            kind="retry",
            span=span_of(meta),
            number=self.count(count),
            backoff=backoff[0] if backoff else None,
            max_delay=backoff[1] if backoff else None,
            jitter=jitter is not None,
            retry_on=retry_on or (),
        )

    def fallback(self, meta: Meta, children: list[Any]) -> s.Clause:
        return s.Clause(kind="fallback", span=span_of(meta), value=children[0])

    def when(self, meta: Meta, children: list[Any]) -> s.Clause:
        return s.Clause(kind="when", span=span_of(meta), cond=self.as_cond(children[0]))

    def limit(self, meta: Meta, children: list[Token]) -> s.Clause:
        return s.Clause(kind="limit", span=span_of(meta), number=self.count(children[0]))

    def pool_clause(self, meta: Meta, children: list[Token]) -> s.Clause:
        return s.Clause(kind="pool", span=span_of(meta), name=str(children[0]), name_span=span_of(children[0]))

    def collect(self, meta: Meta, children: list[Token]) -> s.Clause:
        return s.Clause(kind="collect", span=span_of(children[0]))

    def sync(self, meta: Meta, children: list[Token]) -> s.Clause:
        return s.Clause(kind="sync", span=span_of(children[0]))

    def thread(self, meta: Meta, children: list[Token]) -> s.Clause:
        return s.Clause(kind="thread", span=span_of(children[0]))

    # ---------------------------------------------------------------- statements

    def node(self, meta: Meta, children: list[Any]) -> s.Node:
        name, is_map, call, *clauses = children
        return s.Node(
            name=str(name),
            name_span=span_of(name),
            is_map=is_map is not None,
            call=call,
            clauses=tuple(clauses),
            span=span_of(meta),
        )

    def edge_term(self, meta: Meta, children: list[Token | None]) -> s.EdgeTerm:
        return s.EdgeTerm(names=tuple((str(c), span_of(c)) for c in children if c is not None), span=span_of(meta))

    def edges(self, meta: Meta, children: list[s.EdgeTerm]) -> s.Edges:
        return s.Edges(terms=tuple(children), span=span_of(meta))

    def return_value(self, meta: Meta, children: list[Any]) -> s.Return:
        return s.Return(value=children[0], outputs=(), span=span_of(meta))

    def return_outputs(self, meta: Meta, children: list[Any]) -> s.Return:
        pairs = zip(children[::2], children[1::2])
        outputs = tuple(s.Arg(name=str(n), value=v, span=cover(span_of(n), expr_span(v))) for n, v in pairs)
        return s.Return(value=None, outputs=outputs, span=span_of(meta))

    # ---------------------------------------------------------------- module level

    def param(self, meta: Meta, children: list[Any]) -> s.Param:
        name, type_, default = children
        return s.Param(name=str(name), type=type_, default=default, span=span_of(meta))

    def output(self, meta: Meta, children: list[Any]) -> s.Output:
        return s.Output(name=str(children[0]), type=children[1], span=span_of(meta))

    def outputs(self, meta: Meta, children: list[Any]) -> tuple[s.Output, ...]:
        return tuple(c for c in children if c is not None)

    def flow_limit(self, meta: Meta, children: list[Token]) -> tuple[str, Any, Span]:
        return ("limit", self.count(children[0]), span_of(meta))

    def flow_timeout(self, meta: Meta, children: list[Token]) -> tuple[str, Any, Span]:
        return ("timeout", self.duration(children[0]), span_of(meta))

    def flow(self, meta: Meta, children: list[Any]) -> s.Flow:
        name = children[0]
        params = tuple(c for c in children if isinstance(c, s.Param))
        rest = [c for c in children[1:] if c is not None and not isinstance(c, s.Param)]
        returns = rest[0]
        options = [c for c in rest[1:] if isinstance(c, tuple) and len(c) == 3 and isinstance(c[0], str)]
        limits = [o[1] for o in options if o[0] == "limit"]
        timeouts = [o[1] for o in options if o[0] == "timeout"]
        return s.Flow(
            name=str(name),
            name_span=span_of(name),
            params=params,
            returns=returns,
            limit=limits[0] if limits else None,
            timeout=timeouts[0] if timeouts else None,
            options=tuple((o[0], o[2]) for o in options),
            nodes=tuple(c for c in rest if isinstance(c, s.Node)),
            edges=tuple(c for c in rest if isinstance(c, s.Edges)),
            returns_stmt=tuple(c for c in rest if isinstance(c, s.Return)),
            span=span_of(meta),
        )

    def import_name(self, meta: Meta, children: list[Token | None]) -> tuple[Token, Token | None]:
        name, alias = children
        assert name is not None
        return name, alias

    def from_import(self, meta: Meta, children: list[Any]) -> list[s.Import]:
        module: s.TypeName = children[0]
        names = [c for c in children[1:] if c is not None]
        return [
            s.Import(
                module=module.parts,
                name=str(name),
                alias=str(alias or name),
                span=cover(span_of(name), span_of(alias or name)),
            )
            for name, alias in names
        ]

    def module_import(self, meta: Meta, children: list[Any]) -> list[s.Import]:
        module: s.TypeName = children[0]
        alias = children[1]
        return [s.Import(module=module.parts, name=None, alias=str(alias or module.parts[0]), span=span_of(meta))]

    def pool(self, meta: Meta, children: list[Any]) -> s.Pool:
        name, limit, rate = children
        return s.Pool(
            name=str(name),
            limit=self.count(limit),
            rate=rate[0] if rate else None,
            per=rate[1] if rate else None,
            span=span_of(meta),
            name_span=span_of(name),
        )

    def pool_rate(self, meta: Meta, children: list[Token]) -> tuple[s.Number, s.Duration]:
        return self.count(children[0]), self.duration(children[1])

    def start(self, meta: Meta, children: list[Any]) -> s.Module:
        imports = tuple(i for c in children if isinstance(c, list) for i in c)
        return s.Module(
            imports=imports,
            pools=tuple(c for c in children if isinstance(c, s.Pool)),
            flows=tuple(c for c in children if isinstance(c, s.Flow)),
        )


def build(tree: Tree[Token], errors: Collector) -> s.Module:
    """The syntax tree of a parsed file."""
    return Builder(errors).transform(tree)
