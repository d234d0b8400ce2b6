"""From a position in a generated module back to what the `.flow` file wrote there.

A type checker reports a line and column of the generated module; `SourceMap.place` reads
the module's syntax tree at that position and says which flow, node and part of the node
the code there was written for: an argument of the node's call (or of its fallback call),
the callee, the `when` condition, the fallback value, a value of the `return`, a
parameter's default. The code is recognised by what plan and emit write: each node's code
names the node's `NodeInfo` constant, the helpers (`_when`, `_fallback`, `_map`, …) take
their parts at fixed positions, and the user's callee is called with the node's arguments
in the order they were written.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

from ..semantics import ir
from ..source import Span
from ..syntax import tree as s
from .plan import FlowPlan, named_outputs, plan

Role = Literal["argument", "items", "callee", "when", "fallback", "return", "default", "import", "flow", "module"]

HELPER_PARTS: dict[str, tuple[int, str]] = {
    "_when": (2, "when"),
    "_fallback": (4, "fallback"),
    "_fallback_call": (4, "fallback call"),
    "_map": (2, "items"),
    "_map_collect": (2, "items"),
}
"""A runtime helper → the position of the argument that holds a part of the node, and which."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """What a position of the generated module was written for."""

    role: Role
    span: Span
    flow: ir.Flow | None = None
    node: ir.Node | None = None
    arg: s.Arg | None = None
    """The argument (of the call, the fallback call or the return's outputs)."""
    in_fallback: bool = False
    """In the fallback call, not the node's own."""
    callee: ir.Callee | None = None
    """The function called, for an argument or the callee."""
    parameter: str | None = None
    """The flow's parameter, for its default."""
    position: int = 0
    """For a positional argument, which one (from 1)."""
    imported: str | None = None
    """For an import, the module."""


class SourceMap:
    """Positions of one generated module → places in its `.flow` file."""

    def __init__(self, module: ir.Module, code: str) -> None:
        self.module = module
        self.lines = code.splitlines()
        self.tree = ast.parse(code)
        planned = plan(module)
        self.plans: dict[str, FlowPlan] = {p.flow.name: p for p in planned.flows}
        self.functions = {
            f.name: f for f in self.tree.body if isinstance(f, ast.AsyncFunctionDef) and f.name in self.plans
        }
        self.classes = {r.class_name: flow for flow, r in named_outputs(module)}

    def place(self, line: int, column: int) -> Place:
        """The place of a 1-based line and column (in characters) of the generated module."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        position = (line, len(text[: max(column - 1, 0)].encode("utf-8")))
        for name, function in self.functions.items():
            if contains(function, position):
                return self.in_flow(self.plans[name], function, position)
        for statement in self.tree.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)) and contains(statement, position):
                name = imported_module(statement)
                found = import_span(self.module.text, name)
                if found is not None:
                    return Place(role="import", span=found, imported=name)
        return Place(role="module", span=Span.point(1, 1))

    def in_flow(self, planned: FlowPlan, function: ast.AsyncFunctionDef, position: tuple[int, int]) -> Place:
        flow = planned.flow
        whole = Place(role="flow", span=Span.point(flow.line, 1), flow=flow)
        arguments = function.args
        first = len(arguments.args) - len(arguments.defaults)
        for index, default in enumerate(arguments.defaults):
            param = flow.params[first + index]
            if contains(default, position) and param.default is not None:
                return Place(role="default", span=param.default.span, flow=flow, parameter=param.name)
        path = path_to(function, position)
        returned = self.returned(flow, path)
        if returned is not None:
            return returned
        # A node's code names its `NodeInfo`; awaiting its task names the task.
        infos = {planned.info[node.name]: node for node in flow.nodes}
        infos.update({planned.task[node.name]: node for node in flow.nodes if node.name in planned.task})
        statement = next((n for n in reversed(path) if isinstance(n, ast.stmt)), None)
        if statement is None:
            return whole
        node = next((infos[n.id] for n in ast.walk(statement) if isinstance(n, ast.Name) and n.id in infos), None)
        if node is None:
            return whole
        return in_node(flow, node, path)

    def returned(self, flow: ir.Flow, path: list[ast.AST]) -> Place | None:
        """The place of a position in the statement that makes the flow's result."""
        for step, inner in zip(path, path[1:], strict=False):
            if isinstance(step, ast.AnnAssign) and isinstance(flow.result, ir.SingleResult) and flow.returns:
                single = flow.returns[0]
                return Place(role="return", span=single.value.span, flow=flow, arg=single)
            if (
                isinstance(step, ast.Call)
                and isinstance(step.func, ast.Name)
                and self.classes.get(step.func.id) is flow
                and isinstance(inner, ast.keyword)
            ):
                value = next((r for r in flow.returns if r.name == inner.arg), None)
                if value is not None:
                    return Place(role="return", span=value.value.span, flow=flow, arg=value)
        return None


def in_node(flow: ir.Flow, node: ir.Node, path: list[ast.AST]) -> Place:
    """The place of a position in a node's code: which part of the node it is in."""
    part = "call"
    for step, inner in zip(path, path[1:], strict=False):
        helper = called_name(step)
        if helper in HELPER_PARTS:
            assert isinstance(step, ast.Call)
            index, name = HELPER_PARTS[helper]
            if len(step.args) > index and step.args[index] is inner:
                part = name
    fallback = node.fallback
    if part == "when" and node.when is not None:
        return Place(role="when", span=node.when.span, flow=flow, node=node)
    if part == "fallback" and isinstance(fallback, ir.FallbackValue):
        return Place(role="fallback", span=fallback.value.span, flow=flow, node=node)
    if part == "fallback call" and isinstance(fallback, ir.FallbackCall):
        callee, args, span = fallback.callee, fallback.call.args, fallback.call.callee_span
    else:
        callee, args, span = node.callee, node.args, node.callee_span
    in_fallback = part == "fallback call"
    each = next((a for a in node.args if isinstance(a.value, s.Each)), None)
    if part == "items" and each is not None:
        return Place(role="items", span=each.value.span, flow=flow, node=node, arg=each, callee=callee)
    for step, inner in zip(path, path[1:], strict=False):
        shift = calls(step, callee, node.mode)
        if shift is None:
            continue
        assert isinstance(step, ast.Call)
        arg = argument(step, inner, args, shift)
        if arg is not None:
            positional = [a for a in args if a.name is None]
            return Place(
                role="argument",
                span=arg.value.span,
                flow=flow,
                node=node,
                arg=arg,
                in_fallback=in_fallback,
                callee=callee,
                position=next((i + 1 for i, a in enumerate(positional) if a is arg), 0),
            )
    return Place(role="callee", span=span, flow=flow, node=node, in_fallback=in_fallback, callee=callee)


def called_name(step: ast.AST) -> str | None:
    """The name a call calls: `_when` both as a name and as an attribute of a shared
    runtime module (`rt._when`)."""
    if not isinstance(step, ast.Call):
        return None
    if isinstance(step.func, ast.Name):
        return step.func.id
    return step.func.attr if isinstance(step.func, ast.Attribute) else None


def imported_module(statement: ast.Import | ast.ImportFrom) -> str:
    if isinstance(statement, ast.ImportFrom):
        return statement.module or ""
    return statement.names[0].name


def import_span(text: str, module: str) -> Span | None:
    """Where the `.flow` file names `module` in an import (a generated import statement
    merges a file's imports of one module)."""
    pattern = re.compile(rf"^\s*(?:from|import)\s+({re.escape(module)})\b", re.MULTILINE)
    found = pattern.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start(1)) + 1
    column = found.start(1) - (text.rfind("\n", 0, found.start(1)) + 1) + 1
    return Span(line, column, line, column + len(module))


def calls(step: ast.AST, callee: ir.Callee, mode: ir.CallMode) -> int | None:
    """If `step` is the call of `callee`, how many arguments come before the node's own
    (1 for a `thread` callee passed to `asyncio.to_thread`); else None."""
    if not isinstance(step, ast.Call):
        return None
    function = step.func.body if isinstance(step.func, ast.IfExp) else step.func
    if ast.unparse(function) == callee.text:
        return 0
    if mode == "thread" and step.args:
        passed = step.args[0]  # `_in_thread(node, f)`, passed to `asyncio.to_thread`
        if isinstance(passed, ast.Call) and passed.args and ast.unparse(passed.args[-1]) == callee.text:
            return 1
    return None


def argument(call: ast.Call, inner: ast.AST, args: tuple[s.Arg, ...], shift: int) -> s.Arg | None:
    """The written argument whose value the call's positional or keyword `inner` is."""
    if isinstance(inner, ast.keyword):
        return next((a for a in args if a.name == inner.arg), None)
    positional = [a for a in args if a.name is None]
    for index, value in enumerate(call.args[shift:]):
        if value is inner and index < len(positional):
            return positional[index]
    return None


def mentions(statement: ast.stmt, names: dict[str, ir.Node]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(statement))


def contains(node: ast.AST, position: tuple[int, int]) -> bool:
    start = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    end = (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)
    return start <= position < end or start == position


def path_to(root: ast.AST, position: tuple[int, int]) -> list[ast.AST]:
    """The nodes from `root` down to the innermost one holding `position`."""
    path = [root]
    while True:
        inner = next((c for c in ast.iter_child_nodes(path[-1]) if has_position(c) and contains(c, position)), None)
        if inner is None:
            return path
        path.append(inner)


def has_position(node: ast.AST) -> bool:
    return hasattr(node, "lineno") or isinstance(node, ast.keyword)
