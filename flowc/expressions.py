"""Expressions and conditions of the IR as Python text. Every piece of text is built from
structure (names checked by the front end, literals through `repr`), never copied from the
`.flow` source, so nothing in a `.flow` file can inject code."""

from __future__ import annotations

from collections.abc import Callable

from . import syntax as s

Lookup = Callable[[str], str]
"""Maps a parameter or node name to the Python expression holding its value."""


def literal(value: int | float | str | bool | None) -> str:
    if isinstance(value, str):
        return string(value)
    return repr(value)


def string(value: str) -> str:
    """A string literal as black writes it when that is plain: double quotes, no escapes."""
    text = repr(value)
    if text[0] == "'" and '"' not in text and "\\" not in text:
        return f'"{text[1:-1]}"'
    return text


def expr(node: s.Expr, lookup: Lookup, each: str | None = None) -> str:
    """Python text of a value expression; `each` is the name bound to a map's element."""
    match node:
        case s.Literal(value=value):
            return literal(value)
        case s.Ref():
            return ref(node, lookup)
        case s.Each():
            assert each is not None, "`each` outside a map is rejected by the front end"
            return each
        case s.ListExpr(items=items):
            return "[" + ", ".join(expr(i, lookup, each) for i in items) + "]"
        case s.DictExpr(items=pairs):
            return "{" + ", ".join(f"{literal(k.value)}: {expr(v, lookup, each)}" for k, v in pairs) + "}"
        case s.First(items=items):
            return first([expr(i, lookup, each) for i in items])
        case s.Call():
            raise AssertionError("calls are not values; the front end rejects them")
    raise AssertionError(node)  # pragma: no cover


def ref(node: s.Ref, lookup: Lookup) -> str:
    text = lookup(node.name)
    for step in node.steps:
        if isinstance(step, s.Attr):
            text += f".{step.name}"
        else:
            text += f"[{expr(step.key, lookup)}]"
    return text


def first(items: list[str]) -> str:
    """`first(a, b, c)` as `a if a is not None else b if b is not None else c`."""
    text = items[-1]
    for item in reversed(items[:-1]):
        text = f"{item} if {item} is not None else {text}"
    return f"({text})" if len(items) > 1 else text


def args(pairs: tuple[tuple[str | None, s.Expr], ...], lookup: Lookup, each: str | None = None) -> str:
    return ", ".join(
        (f"{name}={expr(value, lookup, each)}" if name else expr(value, lookup, each)) for name, value in pairs
    )


def condition(node: s.Cond, lookup: Lookup) -> str:
    match node:
        case s.Compare(op=op, left=left, right=right):
            return f"{expr(left, lookup)} {op} {expr(right, lookup)}"
        case s.BoolOp(op=op, items=items):
            return f" {op} ".join(_grouped(i, lookup) for i in items)
        case s.Not(item=item):
            return f"not {_grouped(item, lookup)}"
        case s.Truthy(value=value):
            return expr(value, lookup)
    raise AssertionError(node)  # pragma: no cover


def _grouped(node: s.Cond, lookup: Lookup) -> str:
    text = condition(node, lookup)
    return f"({text})" if isinstance(node, s.BoolOp) else text
