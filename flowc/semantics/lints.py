"""Warnings: what compiles but is likely a mistake. An import nothing uses, a node whose
value nothing reads in a flow that returns one, a `when` condition that never changes.
A warning never stops a compile (`--warnings-as-errors` makes it fail a command)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from typing import Any

from .. import codes
from ..diagnostics import Collector
from ..syntax import tree as s
from . import ir
from .expressions import walk_refs

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def lint(tree: s.Module, module: ir.Module, errors: Collector) -> None:
    """Report the warnings of a file that compiles."""
    unused_imports(tree, module, errors)
    flows = {flow.name: flow for flow in tree.flows}
    for flow in module.flows:
        unused_nodes(flow, flows[flow.name], errors)
        for node in flows[flow.name].nodes:
            for clause in node.clauses:
                if isinstance(clause, s.When):
                    constant_condition(node, clause, errors)


# ---------------------------------------------------------------- imports


def unused_imports(tree: s.Module, module: ir.Module, errors: Collector) -> None:
    used = set(used_names(module))
    for item in tree.imports:
        if item.alias not in used:
            what = f"`{item.alias}`" if item.written else f"module `{'.'.join(item.module)}`"
            errors.warning(
                codes.UNUSED_IMPORT,
                f"{what} is imported but nothing in the file uses it",
                item.span,
                help="remove the import, or call it from a node",
            )


def used_names(module: ir.Module) -> Iterator[str]:
    """The first word of every callee, type and exception class the file names."""
    for flow in module.flows:
        for param in flow.params:
            yield from WORD.findall(param.type)
        if isinstance(flow.result, ir.SingleResult):
            yield from WORD.findall(flow.result.type)
        elif isinstance(flow.result, ir.NamedOutputs):
            for output in flow.result.outputs:
                yield from WORD.findall(output.type)
        for node in flow.nodes:
            yield node.callee.parts[0]
            if isinstance(node.fallback, ir.FallbackCall):
                yield node.fallback.callee.parts[0]
            yield from (name.split(".")[0] for name in node.policy.retry_on)
            if node.policy.pool is not None:
                yield node.policy.pool  # a pool imported from another `.flow` file


# ---------------------------------------------------------------- nodes


def unused_nodes(flow: ir.Flow, written: s.Flow, errors: Collector) -> None:
    """A node nothing reads, and whose only edge out is to END, in a flow that returns a
    value: its result is thrown away, most often because a read was forgotten. A flow
    returning None runs its nodes for what they do; a name starting with `_` says so too."""
    if isinstance(flow.result, ir.NoResult):
        return
    read = {name for node in flow.nodes for name in node.reads}
    read.update(ref.name for value in flow.returns for ref in walk_refs(value.value))
    ordering = {pred for node in flow.nodes for pred in node.preds}
    spans = {node.name: node.name_span for node in written.nodes}
    for node in flow.nodes:
        if node.name in read or node.name in ordering or node.name.startswith("_"):
            continue
        errors.warning(
            codes.UNUSED_NODE,
            f"nothing reads the value of node `{node.name}`, and it only leads to END",
            spans[node.name],
            help=f"pass `{node.name}` to a node or return it; if only its effect matters, name it `_{node.name}`",
        )


# ---------------------------------------------------------------- conditions

COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


class NotConstant(Exception):
    """The condition reads a parameter or node, or Python cannot evaluate it."""


def constant_condition(node: s.Node, clause: s.When, errors: Collector) -> None:
    try:
        holds = evaluate(clause.cond)
    except NotConstant:
        return
    if holds:
        message = f"the `when` condition of node `{node.name}` is always true: the node always runs"
        help = "remove the `when` clause, or compare a parameter or node"
    else:
        message = f"the `when` condition of node `{node.name}` is always false: the node never runs"
        help = "compare a parameter or node, or remove the node"
    errors.warning(codes.CONSTANT_CONDITION, message, clause.cond.span, help=help)


def evaluate(cond: s.Cond) -> bool:
    """The value of a condition made of literals only; `NotConstant` otherwise."""
    match cond:
        case s.Compare(op=op, left=left, right=right):
            try:
                return bool(COMPARE[op](value(left), value(right)))
            except TypeError:  # `1 < "a"`: a type error, left to the type checker
                raise NotConstant from None
        case s.BoolOp(op=op, items=items):
            return either(op, items)
        case s.Not(item=item):
            return not evaluate(item)
        case s.Truthy(value=item):
            return bool(value(item))
    raise NotConstant  # pragma: no cover


def either(op: str, items: tuple[s.Cond, ...]) -> bool:
    """`and`/`or` of conditions: constant when every item is, or when one item decides it
    (`False and …`, `True or …`) whatever the others are."""
    deciding = op == "or"  # the value of an item that decides the whole
    known = []
    for item in items:
        try:
            known.append(evaluate(item))
        except NotConstant:
            continue
        if known[-1] == deciding:
            return deciding
    if len(known) < len(items):
        raise NotConstant
    return not deciding


def value(expr: s.Expr) -> object:
    match expr:
        case s.Literal(value=literal):
            return literal
        case s.ListExpr(items=items):
            return [value(item) for item in items]
        case s.DictExpr(items=items):
            return {entry.key.value: value(entry.value) for entry in items}
    raise NotConstant
