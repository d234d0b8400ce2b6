"""`flowc graph`: a flow as a Mermaid flowchart or a Graphviz DOT digraph.

Each node is labelled with its name, its call and its clauses; a `map` node, a `when` node
and a sub-flow call each have their own shape and style. START and END are drawn, and every
edge the flow waits on. Several flows become Mermaid subgraphs or DOT clusters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..semantics import ir
from ..source import Source, Span

START, END = "START", "END"


def labels(node: ir.Node, source: Source) -> list[str]:
    """The lines of a node's label: `fetch`, `map api.get limit 5`, `retry 3, timeout 2s`..."""
    call = ("map " if node.is_map else "") + node.callee.text
    if node.callee.flow is not None:
        call += " (flow)"
    if node.map_limit is not None:
        call += f" limit {node.map_limit}"
    if node.collect:
        call += " collect"
    if node.mode != "await":
        call += f" {node.mode}"
    lines = [node.name, call]
    lines += policy(node.policy)
    if node.when is not None:
        lines.append("when " + snippet(source, node.when.span))
    if node.fallback is not None:
        lines.append("fallback " + snippet(source, node.fallback.span))
    return lines


def policy(p: ir.Policy) -> list[str]:
    """The call's clauses on one line, `retry 3, timeout 2s, pool api`; a retry with an
    `on` list (itself comma-separated) gets a line of its own."""
    parts = list(p.clauses(duration))
    if p.retries and p.retry_on:
        return [parts[0], ", ".join(parts[1:])] if len(parts) > 1 else parts
    return [", ".join(parts)] if parts else []


def duration(seconds: float) -> str:
    """Seconds written back in the flow language's largest exact unit: `250ms`, `2s`, `1h`."""
    for unit, size in (("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{unit}"
    millis = seconds * 1000
    if seconds < 1 and round(millis, 6).is_integer():
        return f"{int(round(millis))}ms"
    return f"{seconds:g}s"


def snippet(source: Source, span: Span) -> str:
    """The source text of a span, on one line."""
    text = source.text[source.offset(span.line, span.column) : source.offset(span.end_line, span.end_column)]
    return re.sub(r"\s+", " ", text).strip()


def edges(flow: ir.Flow) -> Iterator[tuple[str, str]]:
    """Every edge: START into each node that waits for nothing else, the nodes' own
    predecessors, and into END."""
    for node in flow.nodes:
        if not node.preds:
            yield START, node.name
        for pred in node.preds:
            yield pred, node.name
    for pred in flow.end_preds:
        yield pred, END
    if not flow.end_preds:
        yield START, END


# ---------------------------------------------------------------- mermaid

MERMAID_SHAPES = {"plain": '["{}"]', "map": '[/"{}"/]', "when": '{{{{"{}"}}}}', "flow": '[["{}"]]'}


def kind(node: ir.Node) -> str:
    if node.when is not None:
        return "when"
    if node.is_map:
        return "map"
    return "flow" if node.callee.flow is not None else "plain"


def classes(node: ir.Node) -> list[str]:
    found = []
    if node.is_map:
        found.append("map")
    if node.when is not None:
        found.append("when")
    if node.callee.flow is not None:
        found.append("subflow")
    return found


def mermaid_text(text: str) -> str:
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


def mermaid(module: ir.Module, flows: Sequence[ir.Flow]) -> str:
    """A Mermaid flowchart; with several flows, one subgraph each."""
    source = Source(module.path, module.text)
    lines = ["flowchart TD"]
    nested = len(flows) > 1
    for index, flow in enumerate(flows):
        body = mermaid_flow(flow, f"f{index}_", source)
        if nested:
            lines += [f'    subgraph f{index}["flow {flow.name}"]', "        direction TB"]
            lines += ["    " + line for line in body] + ["    end"]
        else:
            lines += body
    lines += [
        "    classDef terminal fill:#333,stroke:#333,color:#fff",
        "    classDef map fill:#e8f0fe,stroke:#1a56db,stroke-width:2px",
        "    classDef when stroke-dasharray:5 5",
        "    classDef subflow fill:#f3e8ff,stroke:#7e22ce",
    ]
    for index, flow in enumerate(flows):
        lines.append(f"    class f{index}_{START},f{index}_{END} terminal")
        for name in ("map", "when", "subflow"):
            ids = [f"f{index}_{n.name}" for n in flow.nodes if name in classes(n)]
            if ids:
                lines.append(f"    class {','.join(ids)} {name}")
    return "\n".join(lines) + "\n"


def mermaid_flow(flow: ir.Flow, prefix: str, source: Source) -> list[str]:
    lines = [f"    {prefix}{START}([{START}])"]
    for node in flow.nodes:
        label = "<br/>".join(mermaid_text(line) for line in labels(node, source))
        lines.append(f"    {prefix}{node.name}" + MERMAID_SHAPES[kind(node)].format(label))
    lines.append(f"    {prefix}{END}([{END}])")
    lines += [f"    {prefix}{a} --> {prefix}{b}" for a, b in edges(flow)]
    return lines


# ---------------------------------------------------------------- dot


def dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot_attributes(node: ir.Node) -> str:
    attributes = []
    if node.is_map:
        attributes += ["shape=box3d", 'fillcolor="#e8f0fe"']
    elif node.when is not None:
        attributes.append("shape=hexagon")
    elif node.callee.flow is not None:
        attributes += ["peripheries=2", 'fillcolor="#f3e8ff"']
    if node.when is not None:
        attributes.append('style="filled,dashed"')
    return ", ".join(attributes)


def dot(module: ir.Module, flows: Sequence[ir.Flow]) -> str:
    """A Graphviz digraph; with several flows, one cluster each."""
    source = Source(module.path, module.text)
    name = flows[0].name if len(flows) == 1 else module.name.removesuffix(".flow")
    lines = [
        f'digraph "{dot_text(name)}" {{',
        "    rankdir=TB;",
        '    node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica"];',
        '    edge [fontname="Helvetica"];',
    ]
    for index, flow in enumerate(flows):
        body = dot_flow(flow, f"f{index}_", source)
        if len(flows) > 1:
            lines += [f"    subgraph cluster_{index} {{", f'        label="flow {dot_text(flow.name)}";']
            lines += ["    " + line for line in body] + ["    }"]
        else:
            lines += body
    return "\n".join(lines + ["}"]) + "\n"


def dot_flow(flow: ir.Flow, prefix: str, source: Source) -> list[str]:
    terminal = "shape=ellipse, style=filled, fillcolor=black, fontcolor=white"
    lines = [f'    {prefix}{START} [label="{START}", {terminal}];']
    for node in flow.nodes:
        label = "\\n".join(dot_text(line) for line in labels(node, source))
        extra = dot_attributes(node)
        lines.append(f'    {prefix}{node.name} [label="{label}"' + (f", {extra}" if extra else "") + "];")
    lines.append(f'    {prefix}{END} [label="{END}", {terminal}];')
    lines += [f"    {prefix}{a} -> {prefix}{b};" for a, b in edges(flow)]
    return lines
