"""What a document declares and where each name in it is written, from its syntax tree.

The features of the server (hover, definition, completion, symbols) work on half-typed
text, which rarely parses: `repaired` blanks the lines with syntax errors (keeping every
other line and column where it was) or closes what the end of the file left open, until the
rest parses. `Outline` then lists every declaration and every use of a name with its span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .. import codes
from ..diagnostics import Collector
from ..source import Source, Span
from ..syntax import parse
from ..syntax import tree as s
from .positions import contains

MAX_REPAIRS = 12
"""The most lines blanked (or braces closed) before giving up on a tree for the text."""

Kind = Literal[
    "flow", "node", "param", "pool", "executor", "import", "ref", "edge", "callee", "pool-ref", "executor-ref", "type"
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Occurrence:
    """A name as written: a declaration (`flow`, `node`, `param`, `pool`, `import`) or a use
    (`ref` and `edge`: a node or parameter; `callee`, `type`: dotted names; `pool-ref`)."""

    kind: Kind
    name: str
    span: Span
    flow: s.Flow | None = None


def repaired(text: str) -> s.Module | None:
    """The syntax tree of `text`, or of `text` with its syntax errors blanked out and the
    braces the end of the file left open closed; None when a few repairs do not do."""
    for _ in range(MAX_REPAIRS):
        module, line = attempt(text)
        if module is not None:
            return module
        depth = open_braces(text)
        if depth > 0 and (closed := attempt(text + "\n" + "}" * depth + "\n")[0]) is not None:
            return closed
        lines = text.split("\n")
        if line is None or line > len(lines) or not lines[line - 1].strip():
            return None  # nothing left to blank there
        lines[line - 1] = BLANK.sub(" ", lines[line - 1])
        text = "\n".join(lines)
    return None


def read_tree(path: Path) -> tuple[str, s.Module] | None:
    """Another `.flow` file's text and (repaired) tree, as it is on disk; None when it
    cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    module = repaired(text)
    return (text, module) if module is not None else None


def attempt(text: str) -> tuple[s.Module | None, int | None]:
    """The tree of `text`, or None and the line of its first syntax error."""
    errors = Collector(Source("", text))
    module = parse(text, errors)
    if module is not None:
        return module, None
    found = [d for d in errors.diagnostics if d.code == codes.SYNTAX.code] or errors.diagnostics
    return None, (found[0].span.line if found else None)


def open_braces(text: str) -> int:
    """How many `{` are still open at the end of `text` (outside strings and comments)."""
    depth = 0
    for match in BRACES.finditer(text):
        depth = max(0, depth + {"{": 1, "}": -1}.get(match.group(), 0))
    return depth


BLANK = re.compile(r"[^\r]")
BRACES = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*|[{}]")


class Outline:
    """Every declaration and every use of a name in one syntax tree."""

    def __init__(self, module: s.Module) -> None:
        self.module = module
        self.imports = {item.alias: item for item in module.imports}
        self.pools = {pool.name: pool for pool in module.pools}
        self.executors = {executor.name: executor for executor in module.executors}
        self.flows = {flow.name: flow for flow in module.flows}
        self.occurrences = list(occurrences(module))

    def flow_at(self, line: int, column: int) -> s.Flow | None:
        """The flow whose text holds (line, column)."""
        return next((f for f in self.module.flows if contains(f.span, line, column)), None)

    def at(self, line: int, column: int) -> Occurrence | None:
        """The name written at (line, column), or just before it."""
        found = [o for o in self.occurrences if contains(o.span, line, column)]
        # The innermost, and a name the cursor is on over one it has just left.
        found.sort(key=lambda o: ((o.span.end_line, o.span.end_column) == (line, column), size(o.span)))
        return found[0] if found else None

    def local(self, flow: s.Flow, name: str) -> s.Node | s.Param | None:
        """The node or parameter `name` of `flow`."""
        return next((n for n in flow.nodes if n.name == name), None) or next(
            (p for p in flow.params if p.name == name), None
        )


def size(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_column - span.column)


def occurrences(module: s.Module) -> Iterator[Occurrence]:
    for item in module.imports:
        yield Occurrence(kind="import", name=item.alias, span=item.span)
    for pool in module.pools:
        yield Occurrence(kind="pool", name=pool.name, span=pool.name_span)
    for executor in module.executors:
        yield Occurrence(kind="executor", name=executor.name, span=executor.name_span)
    for flow in module.flows:
        yield Occurrence(kind="flow", name=flow.name, span=flow.name_span, flow=flow)
        yield from flow_occurrences(flow)


def flow_occurrences(flow: s.Flow) -> Iterator[Occurrence]:
    for param in flow.params:
        yield Occurrence(kind="param", name=param.name, span=param_name_span(param), flow=flow)
        yield from type_names(param.type, flow)
        if param.default is not None:
            yield from expression(param.default, flow)
    outputs = flow.returns.items if isinstance(flow.returns, s.Outputs) else ()
    for output in outputs:
        yield from type_names(output.type, flow)
    if not isinstance(flow.returns, s.Outputs):
        yield from type_names(flow.returns, flow)
    for node in flow.nodes:
        yield Occurrence(kind="node", name=node.name, span=node.name_span, flow=flow)
        yield from expression(node.call, flow)
        for clause in node.clauses:
            yield from clause_names(clause, flow)
    for edges in flow.edges:
        for term in edges.terms:
            for name in term.names:
                yield Occurrence(kind="edge", name=name.name, span=name.span, flow=flow)
    for statement in flow.returns_stmt:
        if statement.value is not None:
            yield from expression(statement.value, flow)
        for arg in statement.outputs:
            yield from expression(arg.value, flow)


def param_name_span(param: s.Param) -> Span:
    return Span.point(param.span.line, param.span.column, len(param.name))


def clause_names(clause: s.Clause, flow: s.Flow) -> Iterator[Occurrence]:
    match clause:
        case s.Fallback(value=value):
            yield from expression(value, flow)
        case s.When(cond=cond):
            yield from condition(cond, flow)
        case s.PoolClause(name=name, name_span=span):
            yield Occurrence(kind="pool-ref", name=name, span=span, flow=flow)
        case s.ExecutorClause(name=name, name_span=span):
            yield Occurrence(kind="executor-ref", name=name, span=span, flow=flow)
        case s.Retry(on=on):
            for exception in on:
                yield Occurrence(kind="type", name=".".join(exception.parts), span=exception.span, flow=flow)


def expression(expr: s.Expr, flow: s.Flow) -> Iterator[Occurrence]:
    stack: list[s.Expr] = [expr]
    while stack:
        match stack.pop():
            case s.Ref() as ref:
                yield Occurrence(kind="ref", name=ref.name, span=ref.name_span, flow=flow)
                stack.extend(step.key for step in ref.steps if isinstance(step, s.Index))
            case s.Call(callee=callee, callee_span=span, args=args):
                yield Occurrence(kind="callee", name=".".join(callee), span=span, flow=flow)
                stack.extend(arg.value for arg in args)
            case s.ListExpr(items=items) | s.First(items=items):
                stack.extend(items)
            case s.DictExpr(items=items):
                stack.extend(item.value for item in items)
            case s.Each(ref=ref):
                stack.append(ref)
            case s.Literal():
                pass


def condition(cond: s.Cond, flow: s.Flow) -> Iterator[Occurrence]:
    stack: list[s.Cond] = [cond]
    while stack:
        match stack.pop():
            case s.Compare(left=left, right=right):
                yield from expression(left, flow)
                yield from expression(right, flow)
            case s.BoolOp(items=items):
                stack.extend(items)
            case s.Not(item=item):
                stack.append(item)
            case s.Truthy(value=value):
                yield from expression(value, flow)


def type_names(expr: s.TypeExpr | s.Outputs, flow: s.Flow) -> Iterator[Occurrence]:
    stack: list[s.TypeExpr | s.Outputs] = [expr]
    while stack:
        match stack.pop():
            case s.TypeName(parts=parts, span=span):
                yield Occurrence(kind="type", name=".".join(parts), span=span, flow=flow)
            case s.TypeSubscript(base=base, args=args):
                stack.append(base)
                stack.extend(args)
            case s.TypeUnion(items=items) | s.TypeList(items=items):
                stack.extend(items)
            case s.Outputs(items=items):
                stack.extend(item.type for item in items)
            case s.TypeConst():
                pass
