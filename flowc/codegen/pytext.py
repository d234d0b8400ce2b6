"""Expressions and conditions of the IR as Python text. Every piece of text is built from
structure (names checked by the front end, literals through `repr`), never copied from the
`.flow` source, so nothing in a `.flow` file can inject code."""

from __future__ import annotations

from collections.abc import Callable

from ..syntax import tree as s

Lookup = Callable[[str], str]
"""Maps a parameter or node name to the Python expression holding its value."""

Fresh = Callable[[str], str]
"""Names a local that holds the value of an expression (the same name for the same text), so
that `first(...)` reads a task's result once and mypy can narrow it."""


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


def expr(node: s.Expr, lookup: Lookup, each: str | None = None, fresh: Fresh | None = None) -> str:
    """Python text of a value expression; `each` is the name bound to a map's element."""
    match node:
        case s.Literal(value=value):
            return literal(value)
        case s.Ref():
            return ref(node, lookup, fresh)
        case s.Each():
            assert each is not None, "`each` outside a map is rejected by the front end"
            return each
        case s.ListExpr(items=items):
            return "[" + ", ".join(expr(i, lookup, each, fresh) for i in items) + "]"
        case s.DictExpr(items=items):
            return "{" + ", ".join(f"{literal(i.key.value)}: {expr(i.value, lookup, each, fresh)}" for i in items) + "}"
        case s.First(items=items):
            return first([expr(i, lookup, each, fresh) for i in items], fresh)
        case s.Call():
            raise AssertionError("calls are not values; the front end rejects them")
    raise AssertionError(node)  # pragma: no cover


def ref(node: s.Ref, lookup: Lookup, fresh: Fresh | None = None) -> str:
    text = lookup(node.name)
    for step in node.steps:
        if isinstance(step, s.Attr):
            text += f".{step.name}"
        else:
            text += f"[{expr(step.key, lookup, fresh=fresh)}]"
    return text


FIRST_CHAIN = 4
"""The most items `first(...)` joins in one chain of conditional expressions. black nests each
conditional of a chain one level deeper than the last, so a long chain makes output quadratic
in its length (and past 200 levels, code Python cannot parse); longer lists become a tree of
chains, `first(first(a, b, c, d), first(e, …), …)`, whose depth grows with the logarithm."""


def first(items: list[str], fresh: Fresh | None = None) -> str:
    """`first(a, b, c)` as `a if a is not None else b if b is not None else c`. An item that is
    more than a name (`a_task.result()`, `a.x`) is read once, into a local named by `fresh`:
    `v if (v := a_task.result()) is not None else b`, which mypy narrows. `first` is
    associative, so a long list is joined chunk by chunk (`FIRST_CHAIN`)."""
    while fresh is not None and len(items) > FIRST_CHAIN:
        items = [_chain(items[i : i + FIRST_CHAIN], fresh) for i in range(0, len(items), FIRST_CHAIN)]
    return _chain(items, fresh)


def _chain(items: list[str], fresh: Fresh | None) -> str:
    text = items[-1]
    for item in reversed(items[:-1]):
        if fresh is not None and not item.isidentifier():
            name = fresh(item)
            text = f"{name} if ({name} := {item}) is not None else {text}"
        else:
            text = f"{item} if {item} is not None else {text}"
    return f"({text})" if len(items) > 1 else text


def args(items: tuple[s.Arg, ...], lookup: Lookup, each: str | None = None, fresh: Fresh | None = None) -> str:
    return ", ".join(
        (f"{a.name}={expr(a.value, lookup, each, fresh)}" if a.name else expr(a.value, lookup, each, fresh))
        for a in items
    )


def condition(node: s.Cond, lookup: Lookup, fresh: Fresh | None = None) -> str:
    match node:
        case s.Compare(op=op, left=left, right=right):
            return f"{expr(left, lookup, fresh=fresh)} {op} {expr(right, lookup, fresh=fresh)}"
        case s.BoolOp(op=op, items=items):
            return f" {op} ".join(_grouped(i, lookup, fresh) for i in items)
        case s.Not(item=item):
            return f"not {_grouped(item, lookup, fresh)}"
        case s.Truthy(value=value):
            # `_when` takes a `bool`: a bare value is tested the way Python's `if` tests it.
            return f"bool({expr(value, lookup, fresh=fresh)})"
    raise AssertionError(node)  # pragma: no cover


def _grouped(node: s.Cond, lookup: Lookup, fresh: Fresh | None = None) -> str:
    text = condition(node, lookup, fresh)
    return f"({text})" if isinstance(node, s.BoolOp) else text
