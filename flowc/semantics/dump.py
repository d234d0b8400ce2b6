"""A readable, deterministic text form of the IR, for golden tests and for debugging.

Expressions and conditions are printed in the flow language's own syntax, fully
parenthesised, so that the dump shows how the front end grouped them.
"""

from __future__ import annotations

from ..syntax import tree as s
from . import ir


def dump(module: ir.Module) -> str:
    """The whole module, one fact per line; the same IR always gives the same text."""
    lines = [f"module {module.name}"]
    for item in module.imports:
        lines.append(f"import {item.module}" + (f" name {item.name}" if item.name else "") + f" as {item.alias}")
    for pool in module.pools:
        rate = f" rate {pool.rate} per {seconds(pool.per)}" if pool.rate is not None else ""
        lines.append(f"pool {pool.name} limit {pool.limit}{rate}")
    for name in module.executors:
        lines.append(f"executor {name}")
    for flow in module.flows:
        lines += dump_flow(flow)
    return "\n".join(lines) + "\n"


def dump_flow(flow: ir.Flow) -> list[str]:
    lines = ["", f"flow {flow.name} (line {flow.line})"]
    for param in flow.params:
        default = f" = {expr(param.default)}" if param.default is not None else ""
        lines.append(f"  param {param.name}: {param.type}{default}")
    if isinstance(flow.result, ir.NamedOutputs):
        outputs = ", ".join(f"{o.name}: {o.type}" for o in flow.result.outputs)
        lines.append(f"  outputs {flow.result.class_name}({outputs})")
    else:
        lines.append(f"  result {flow.result.annotation}")
    if flow.limit is not None:
        lines.append(f"  limit {count(flow.limit)}")
    if flow.timeout is not None:
        lines.append(f"  timeout {seconds(flow.timeout)}")
    for node in flow.nodes:
        lines += dump_node(node)
    lines.append(f"  end after [{', '.join(flow.end_preds)}]")
    for returned in flow.returns:
        lines.append(f"  return {returned.name + '=' if returned.name else ''}{expr(returned.value)}")
    return lines


def dump_node(node: ir.Node) -> list[str]:
    lines = [f"  node {node.name} (line {node.line}, column {node.span.column})"]
    flow = " (a flow)" if node.callee.flow else ""
    mode = f"executor {node.executor}" if node.executor else node.mode
    lines.append(f"    call {'map ' if node.is_map else ''}{node.callee.text}({args(node.args)}) {mode}{flow}")
    if node.map_limit is not None:
        lines.append(f"    map limit {count(node.map_limit)}")
    if node.collect:
        lines.append("    collect")
    if not node.policy.plain:
        lines.append(f"    policy {'; '.join(node.policy.clauses(seconds))}")
    match node.fallback:
        case ir.FallbackValue(value=value):
            lines.append(f"    fallback {expr(value)}")
        case ir.FallbackCall(call=call, callee=callee):
            lines.append(f"    fallback {expr(call)}{' (a flow)' if callee.flow else ''}")
    if node.when is not None:
        lines.append(f"    when {cond(node.when)}")
    lines.append(f"    after [{', '.join(node.preds)}] reads [{', '.join(node.reads)}]")
    return lines


def seconds(value: float | ir.FromParam | None) -> str:
    """A duration in seconds, or the parameter that gives it."""
    return f"param {value.name}" if isinstance(value, ir.FromParam) else f"{value!r}s"


def count(value: int | ir.FromParam) -> str:
    """A limit or count, or the parameter that gives it."""
    return f"param {value.name}" if isinstance(value, ir.FromParam) else str(value)


def args(items: tuple[s.Arg, ...]) -> str:
    return ", ".join(f"{a.name}={expr(a.value)}" if a.name else expr(a.value) for a in items)


def expr(node: s.Expr) -> str:
    match node:
        case s.Literal(value=value):
            return repr(value)
        case s.Ref(name=name, steps=steps):
            return name + "".join(
                f".{step.name}" if isinstance(step, s.Attr) else f"[{expr(step.key)}]" for step in steps
            )
        case s.ListExpr(items=items):
            return "[" + ", ".join(expr(i) for i in items) + "]"
        case s.DictExpr(items=items):
            return "{" + ", ".join(f"{expr(i.key)}: {expr(i.value)}" for i in items) + "}"
        case s.First(items=items):
            return "first(" + ", ".join(expr(i) for i in items) + ")"
        case s.Each(ref=ref):
            return f"each {expr(ref)}"
        case s.Call(callee=callee, args=call_args):
            return ".".join(callee) + "(" + args(call_args) + ")"
    raise AssertionError(node)  # pragma: no cover


def cond(node: s.Cond) -> str:
    match node:
        case s.Compare(op=op, left=left, right=right):
            return f"({expr(left)} {op} {expr(right)})"
        case s.BoolOp(op=op, items=items):
            return "(" + f" {op} ".join(cond(i) for i in items) + ")"
        case s.Not(item=item):
            return f"(not {cond(item)})"
        case s.Truthy(value=value):
            return expr(value)
    raise AssertionError(node)  # pragma: no cover
