"""Rules for expressions and conditions: which references they read, and what may stand
where (a call only as a callee or fallback, `each` only as a whole argument of a `map`,
`first(...)` not in a condition, no Python keyword as an attribute or keyword argument)."""

from __future__ import annotations

import keyword
from collections.abc import Iterator
from typing import Literal as TypingLiteral

from .. import codes
from ..diagnostics import Collector
from ..source import Span
from ..syntax import tree as s

# Where an expression stands, for `each`: a whole argument of a map's call, somewhere
# inside such an argument, or anywhere else (another node's call, a fallback, a return…).
EachPlace = TypingLiteral["map-argument", "inside-map-argument", "elsewhere"]

MAX_FIRST_ITEMS = 256
"""The most arguments of one `first(...)`: its code is a tree of conditional expressions that
grows a little faster than its length (docs/language.md, "Bounds")."""

MAX_STEPS = 100
"""The most `.attr` and `[key]` steps after one reference: black's time to lay out a chain of
steps grows with the square of its length."""


def walk_refs(expr: s.Expr | s.Cond | None) -> Iterator[s.Ref]:
    """Every reference in an expression or condition, in source order."""
    match expr:
        case s.Ref():
            yield expr
            for step in expr.steps:
                if isinstance(step, s.Index):
                    yield from walk_refs(step.key)
        case s.Each(ref=ref):
            yield from walk_refs(ref)
        case s.ListExpr(items=items) | s.First(items=items):
            for item in items:
                yield from walk_refs(item)
        case s.DictExpr(items=entries):
            for entry in entries:
                yield from walk_refs(entry.value)
        case s.Call(args=args):
            for arg in args:
                yield from walk_refs(arg.value)
        case s.Compare(left=left, right=right):
            yield from walk_refs(left)
            yield from walk_refs(right)
        case s.BoolOp(items=conds):
            for cond in conds:
                yield from walk_refs(cond)
        case s.Not(item=item):
            yield from walk_refs(item)
        case s.Truthy(value=value):
            yield from walk_refs(value)


class ExprRules:
    """Reports expressions that are not allowed where they stand."""

    def __init__(self, errors: Collector) -> None:
        self.errors = errors

    def value(self, expr: s.Expr, place: EachPlace = "elsewhere") -> None:
        """A value: an argument, a fallback value, a default or a returned value."""
        match expr:
            case s.Call(span=span):
                self.errors.error(
                    codes.INVALID_CALL,
                    "a call cannot be used as a value here",
                    span,
                    help="make the call a node of its own and pass the node",
                )
            case s.Each(span=span, ref=ref):
                self.each(span, place)
                self.ref(ref)
            case s.First(items=items) | s.ListExpr(items=items):
                if isinstance(expr, s.First) and len(items) > MAX_FIRST_ITEMS:
                    self.errors.error(
                        codes.TOO_LARGE,
                        f"`first(...)` has {len(items)} arguments; flowc accepts at most {MAX_FIRST_ITEMS}",
                        expr.span,
                        help="join the values in several nodes, or pass them as a list",
                    )
                for item in items:
                    self.value(item, "inside-map-argument" if place != "elsewhere" else place)
            case s.DictExpr(items=entries):
                for entry in entries:
                    self.value(entry.value, "inside-map-argument" if place != "elsewhere" else place)
            case s.Ref():
                self.ref(expr)
            case s.Literal():
                pass

    def each(self, span: Span, place: EachPlace) -> None:
        if place == "inside-map-argument":
            self.errors.error(
                codes.MAP_EACH,
                "`each` must be a whole argument of the map, not part of one",
                span,
                help="pass the iterable itself: `map f(x=each items)`",
            )
        elif place == "elsewhere":
            self.errors.error(
                codes.EACH_OUTSIDE_MAP,
                "`each` is only allowed as an argument of a `map` node's call",
                span,
                help="to call once per element, write `node NAME = map CALLEE(x=each ITEMS)`",
            )

    def ref(self, ref: s.Ref) -> None:
        if len(ref.steps) > MAX_STEPS:
            self.errors.error(
                codes.TOO_LARGE,
                f"this reference has {len(ref.steps)} `.attr` and `[key]` steps; flowc accepts at most {MAX_STEPS}",
                ref.span,
                help="read the value in steps: a node of your own that returns the part you need",
            )
        for step in ref.steps:
            if isinstance(step, s.Attr) and keyword.iskeyword(step.name):
                self.errors.error(
                    codes.RESERVED_NAME,
                    f"`{step.name}` is a Python keyword and cannot be an attribute name",
                    step.span,
                    help=f'read it with `getattr` in a step of your own, or index it: `{ref.name}["{step.name}"]`',
                )

    def args(self, args: tuple[s.Arg, ...], *, is_map: bool) -> None:
        """A call's arguments: positional before keyword, each keyword once, valid values."""
        seen: set[str] = set()
        keyword_seen = False
        for arg in args:
            self.value(arg.value, "map-argument" if is_map else "elsewhere")
            if arg.name is None:
                if keyword_seen:
                    self.errors.error(
                        codes.SYNTAX,
                        "a positional argument cannot follow a keyword argument",
                        arg.span,
                        help="put the positional arguments first",
                    )
                continue
            keyword_seen = True
            if keyword.iskeyword(arg.name):
                self.errors.error(
                    codes.RESERVED_NAME, f"`{arg.name}` is a Python keyword and cannot name an argument", arg.span
                )
            if arg.name in seen:
                self.errors.error(codes.DUPLICATE_ARGUMENT, f"argument `{arg.name}` is given twice", arg.span)
            seen.add(arg.name)

    def condition(self, cond: s.Cond) -> None:
        """A `when` condition: references and literals only, so no `first(...)`."""
        match cond:
            case s.Compare(left=left, right=right):
                self.operand(left)
                self.operand(right)
            case s.BoolOp(items=items):
                for item in items:
                    self.condition(item)
            case s.Not(item=item):
                self.condition(item)
            case s.Truthy(value=value):
                self.operand(value)

    def operand(self, expr: s.Expr) -> None:
        if isinstance(expr, s.First):
            self.errors.error(
                codes.INVALID_EXPRESSION,
                "`first(...)` cannot be used in a condition",
                expr.span,
                help="compare the references themselves, as in `when a != None or b != None`",
            )
        elif isinstance(expr, s.Ref):
            self.ref(expr)
