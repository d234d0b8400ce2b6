"""A flow's structure digest: what a journal's fingerprint holds of the flow, so that a run
recorded by one version of a flow is not resumed by another that does something else."""

from __future__ import annotations

import hashlib
import re

from . import ir
from .dump import dump_flow


def structure_digest(flow: ir.Flow, module: ir.Module) -> str:
    """A digest of what the flow does: its parameters, result, nodes, clauses and edges, where
    each node's callee comes from (`from app.steps import f` is another step than
    `from app.other import f`), and the same of the flows it calls: those of this file, and
    the flows imported from other files by their own digests (so through every level of
    imports). Not where any of it is written, so that moving or commenting lines changes
    nothing. A journal refuses to resume a run recorded by a flow of another digest."""
    own = {f.name: f for f in module.flows}
    imported = {i.alias: i for i in module.flow_imports if i.kind == "flow"}
    lines: list[str] = []
    seen: set[str] = {flow.name}
    stack = [flow]
    while stack:
        current = stack.pop()
        lines += dump_flow(current)
        lines += origins(current, module)
        for callee in callees(current):
            if callee.flow is None or callee.flow in seen:
                continue
            seen.add(callee.flow)
            if callee.origin is None and callee.flow in own:
                stack.append(own[callee.flow])
            elif (found := imported.get(callee.flow)) is not None:
                lines.append(f"flow {found.alias} = {found.module}.{found.name} digest {found.digest}")
    text = "\n".join(re.sub(r" \(line \d+(?:, column \d+)?\)", "", line) for line in lines)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def callees(flow: ir.Flow) -> list[ir.Callee]:
    """What the flow's nodes call, and their fallbacks, in the order written."""
    found: list[ir.Callee] = []
    for node in flow.nodes:
        found.append(node.callee)
        if isinstance(node.fallback, ir.FallbackCall):
            found.append(node.fallback.callee)
    return found


def origins(flow: ir.Flow, module: ir.Module) -> list[str]:
    """Where each Python callee of the flow comes from: the imports that bind its first name."""
    used = {callee.parts[0] for callee in callees(flow) if callee.flow is None}
    return sorted(
        f"  uses {item.alias} = import {item.module}" + (f" name {item.name}" if item.name else "")
        for item in module.imports
        if item.alias in used
    )
