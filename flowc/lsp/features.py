"""What the server answers about a document: hover, definitions, document symbols.

Each function takes a `Document` and a 1-based (line, column) and returns protocol types;
none raises on any text (the outline may be missing, a name may be undefined, the Python
source of an import may not be found: each answers with less, never with an error).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from ..semantics.ir import result_class_name
from ..semantics.names import BUILTIN_TYPES
from ..source import Source, Span
from ..syntax import tree as s
from .document import Document
from .outline import Occurrence, Outline, read_tree
from .pysource import Definition, PythonSources

CLAUSE_MEANINGS = {
    "timeout": "each attempt is cancelled after this long and fails with `TimeoutError`",
    "retry": "more attempts after a failure (`backoff` between them, `on` only those exceptions)",
    "fallback": "the value (or the call) used when the call still fails",
    "when": "runs only if the condition holds; otherwise skipped, its value `None`",
    "limit": "at most this many elements of the map in flight",
    "pool": "each attempt holds a slot of the pool",
    "executor": "a plain function, run on the executor bound to that name (`bind_executor`; unbound: a worker thread)",
    "collect": "the value is a list of each element's result or the exception it ended with",
    "sync": "a plain function, called on the event loop",
    "thread": "a plain function, run with `asyncio.to_thread`",
}


def text_of(document: Document, span: Span) -> str:
    start = document.source.offset(span.line, span.column)
    return document.source.text[start : document.source.offset(span.end_line, span.end_column)]


def code(language: str, text: str) -> str:
    return f"```{language}\n{text}\n```"


def python_name(outline: Outline, dotted: str) -> str | None:
    """The Python name a callee or type of the file stands for, through its imports."""
    head, _, rest = dotted.partition(".")
    item = outline.imports.get(head)
    if item is None:
        return None
    if item.name is not None:
        base = ".".join((*item.module, item.name))
    elif item.written:
        base = ".".join(item.module)
    else:  # `import a.b` binds `a`
        base = head
    return f"{base}.{rest}" if rest else base


# ---------------------------------------------------------------- hover


def hover(document: Document, line: int, column: int, python: PythonSources) -> types.Hover | None:
    outline = document.outline
    occurrence = outline.at(line, column) if outline is not None else None
    if outline is None or occurrence is None:
        return None
    parts = describe(document, outline, occurrence, python)
    if not parts:
        return None
    content = types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(parts))
    return types.Hover(contents=content, range=document.positions.range(occurrence.span))


def describe(document: Document, outline: Outline, occurrence: Occurrence, python: PythonSources) -> list[str]:
    flow = occurrence.flow
    match occurrence.kind:
        case "node" | "ref" | "edge" if flow is not None:
            local = outline.local(flow, occurrence.name)
            if isinstance(local, s.Node):
                return describe_node(document, outline, local, python)
            if isinstance(local, s.Param):
                return [code("flow", text_of(document, local.span)), f"parameter of flow `{flow.name}`"]
            if occurrence.name in ("START", "END"):
                return [
                    f"`{occurrence.name}`: the {'start' if occurrence.name == 'START' else 'end'} of a run of `{flow.name}`"
                ]
        case "param" if flow is not None:
            param = next(
                (p for p in flow.params if p.span.line == occurrence.span.line and p.name == occurrence.name), None
            )
            if param is not None:
                return [code("flow", text_of(document, param.span)), f"parameter of flow `{flow.name}`"]
        case "flow":
            if (declared := outline.flows.get(occurrence.name)) is not None:
                return [code("flow", flow_signature(document, declared))]
        case "callee" | "type" | "import":
            return describe_callee(document, outline, occurrence.name, python)
        case "pool" | "pool-ref":
            return describe_pool(document, outline, occurrence.name, python)
        case "executor" | "executor-ref" if occurrence.name in outline.executors:
            return describe_executor(document, outline, occurrence.name)
    return []


def flow_signature(document: Document, flow: s.Flow) -> str:
    """`flow NAME(…) -> … limit N timeout D`, as written (without the body)."""
    return signature_in(document.source.text, flow)


def signature_in(text: str, flow: s.Flow) -> str:
    source = Source("", text)
    head = max([flow.returns.span, *(option.span for option in flow.options)], key=lambda x: (x.end_line, x.end_column))
    body = source.text.find("{", source.offset(head.end_line, head.end_column))
    end = body if body >= 0 else source.offset(flow.span.end_line, flow.span.end_column)
    return " ".join(source.text[source.offset(flow.span.line, flow.span.column) : end].split())


def describe_node(document: Document, outline: Outline, node: s.Node, python: PythonSources) -> list[str]:
    call = node.call
    head = f"node {node.name} = {'map ' if node.is_map else ''}{text_of(document, call.span)}"
    parts = [code("flow", head)]
    if isinstance(call, s.Call):
        parts += describe_callee(document, outline, ".".join(call.callee), python)
    if node.clauses:
        lines = [f"- `{written}`: {CLAUSE_MEANINGS.get(c.keyword, '')}" for c, written in clauses(document, node)]
        parts.append("clauses:\n" + "\n".join(lines))
    value = value_type(document, outline, node, python)
    if value is not None:
        parts.append(f"value: `{value}`" + (", the results in input order" if node.is_map else ""))
    elif node.is_map:
        parts.append("value: a list of the results, in input order")
    return parts


def value_type(document: Document, outline: Outline, node: s.Node, python: PythonSources) -> str | None:
    """The type of a node's value, as the language defines it, when the callee's result is
    annotated (or the callee is a flow of this file): `T`, `list[T]` for a map,
    `list[T | Exception]` with `collect`, `| None` with `when`, the fallback's type added."""
    call = node.call
    result = result_type(document, outline, ".".join(call.callee), python) if isinstance(call, s.Call) else None
    if result is None:
        return None
    fallback = next((c for c in node.clauses if isinstance(c, s.Fallback)), None)
    if fallback is not None:
        other = expression_type(document, outline, fallback.value, python)
        if other is None:
            return None
        result = union(result, other)
    if node.is_map:
        collect = any(isinstance(c, s.Collect) for c in node.clauses)
        result = f"list[{union(result, 'Exception') if collect else result}]"
    if any(isinstance(c, s.When) for c in node.clauses):
        result = union(result, "None")
    return result


def union(left: str, right: str) -> str:
    parts = [p.strip() for p in left.split("|")]
    return left if right in parts else f"{left} | {right}"


def result_type(document: Document, outline: Outline, callee: str, python: PythonSources) -> str | None:
    """What calling `callee` gives: a flow's declared result, or the annotation in Python."""
    flow = outline.flows.get(callee)
    if flow is not None:
        if isinstance(flow.returns, s.Outputs):
            return result_class_name(flow.name)
        return " ".join(text_of(document, flow.returns.span).split())
    target = python_name(outline, callee)
    if target is None:
        return None
    imported = imported_flow(python, target)
    if imported is not None:
        if imported.flow is None:
            return None
        returns = imported.flow.returns
        return (
            result_class_name(imported.flow.name) if isinstance(returns, s.Outputs) else imported.written(returns.span)
        )
    found = python.find(target)
    return found.returns if found is not None else None


def expression_type(document: Document, outline: Outline, value: s.Expr, python: PythonSources) -> str | None:
    """The type of a fallback's value, when it is a literal or a call with an annotated result."""
    match value:
        case s.Literal(value=None):
            return "None"
        case s.Literal(value=literal):
            return type(literal).__name__
        case s.ListExpr():
            return "list"
        case s.DictExpr():
            return "dict"
        case s.Call(callee=callee):
            return result_type(document, outline, ".".join(callee), python)
    return None


def clauses(document: Document, node: s.Node) -> list[tuple[s.Clause, str]]:
    """Each clause of a node with its text as written: from its keyword to the next clause,
    the last one to the end of its line (a clause's span is its keyword's)."""
    ordered = sorted(node.clauses, key=lambda c: (c.span.line, c.span.column))
    found = []
    for index, clause in enumerate(ordered):
        start = document.source.offset(clause.span.line, clause.span.column)
        if index + 1 < len(ordered):
            after = ordered[index + 1].span
            end = document.source.offset(after.line, after.column)
        else:
            end = document.source.text.find("\n", start)
            end = len(document.source.text) if end < 0 else end
        written = document.source.text[start:end].split("#", 1)[0]
        found.append((clause, " ".join(written.split())))
    return found


def describe_callee(document: Document, outline: Outline, dotted: str, python: PythonSources) -> list[str]:
    if (flow := outline.flows.get(dotted)) is not None:
        return [f"sub-flow `{flow.name}`", code("flow", flow_signature(document, flow))]
    target = python_name(outline, dotted)
    if target is None:
        return [f"`{dotted}`: a Python builtin" if dotted in BUILTIN_TYPES else f"`{dotted}`: not defined in this file"]
    imported = imported_flow(python, target)
    if imported is not None and imported.flow is None:
        return [f"pool `{target}`, from `{imported.path.name}`"]
    if imported is not None and imported.flow is not None:
        signature = signature_in(imported.text, imported.flow)
        return [f"flow `{target}`, from `{imported.path.name}`", code("flow", signature)]
    parts = [f"`{target}`"]
    found = python.find(target)
    if found is not None:
        if found.signature:
            parts.append(code("python", found.signature))
        if found.doc:
            parts.append(found.doc)
    return parts


def describe_pool(document: Document, outline: Outline, name: str, python: PythonSources) -> list[str]:
    pool = outline.pools.get(name)
    if pool is None:  # imported from another `.flow` file, or undefined
        return describe_callee(document, outline, name, python)
    users = [
        node.name
        for flow in outline.module.flows
        for node in flow.nodes
        if any(isinstance(c, s.PoolClause) and c.name == name for c in node.clauses)
    ]
    parts = [code("flow", text_of(document, pool.span))]
    if users:
        parts.append("used by " + ", ".join(f"`{u}`" for u in users))
    return parts


def describe_executor(document: Document, outline: Outline, name: str) -> list[str]:
    users = [
        node.name
        for flow in outline.module.flows
        for node in flow.nodes
        if any(isinstance(c, s.ExecutorClause) and c.name == name for c in node.clauses)
    ]
    parts = [
        code("flow", text_of(document, outline.executors[name].span)),
        f"bound at run time: `bind_executor({name!r}, executor)`; unbound, calls run in worker threads",
    ]
    if users:
        parts.append("used by " + ", ".join(f"`{u}`" for u in users))
    return parts


# ---------------------------------------------------------------- definition


def definition(document: Document, line: int, column: int, python: PythonSources) -> list[types.Location]:
    outline = document.outline
    occurrence = outline.at(line, column) if outline is not None else None
    if outline is None or occurrence is None:
        return []
    span = declaration(outline, occurrence)
    if span is not None:
        return [types.Location(uri=document.uri, range=document.positions.range(span))]
    if occurrence.kind == "import":
        item = next((i for i in outline.module.imports if i.span == occurrence.span), None)
        target = ".".join((*item.module, item.name) if item.name else item.module) if item else None
    else:
        target = python_name(outline, occurrence.name)
    if target is None:
        return []
    imported = imported_flow(python, target)
    if imported is not None:
        return [types.Location(uri=imported.path.as_uri(), range=point_range(imported.span))]
    found = python.find(target)
    return [python_location(found, python)] if found is not None else []


@dataclass(frozen=True, slots=True)
class ImportedFlow:
    """A flow or pool of another `.flow` file that this one imports."""

    path: Path
    text: str
    flow: s.Flow | None
    span: Span
    """Where the flow's (or the pool's) name is declared."""

    def written(self, span: Span) -> str:
        """The text of a span of that file, its whitespace runs made single spaces."""
        source = Source("", self.text)
        start, end = source.offset(span.line, span.column), source.offset(span.end_line, span.end_column)
        return " ".join(self.text[start:end].split())


def imported_flow(python: PythonSources, target: str) -> ImportedFlow | None:
    """For `app.flows.limits.llm` naming a flow or pool of `app/flows/limits.flow`: what
    that file declares under the name."""
    module, _, name = target.rpartition(".")
    path = python.flow_file(module) if module else None
    if path is None:
        return None
    found = read_tree(path)
    if found is None:
        return None
    text, tree = found
    flow = next((f for f in tree.flows if f.name == name), None)
    pool = next((p for p in tree.pools if p.name == name), None)
    span = flow.name_span if flow is not None else pool.name_span if pool is not None else None
    return ImportedFlow(path=path, text=text, flow=flow, span=span) if span is not None else None


def point_range(span: Span) -> types.Range:
    """The range at the start of a span in another file (its columns counted in code points)."""
    point = types.Position(line=span.line - 1, character=span.column - 1)
    return types.Range(start=point, end=point)


def declaration(outline: Outline, occurrence: Occurrence) -> Span | None:
    """The span that declares what `occurrence` names in this file, if it is declared here."""
    flow = occurrence.flow
    match occurrence.kind:
        case "node" | "param" | "flow" | "pool" | "executor":
            return occurrence.span
        case "ref" | "edge" if flow is not None:
            local = outline.local(flow, occurrence.name)
            if isinstance(local, s.Node):
                return local.name_span
            if isinstance(local, s.Param):
                return Span.point(local.span.line, local.span.column, len(local.name))
        case "callee" | "type" if occurrence.name in outline.flows:
            return outline.flows[occurrence.name].name_span
        case "pool-ref" if occurrence.name in outline.pools:
            return outline.pools[occurrence.name].name_span
        case "executor-ref" if occurrence.name in outline.executors:
            return outline.executors[occurrence.name].name_span
    return None


def python_location(found: Definition, python: PythonSources) -> types.Location:
    """The location of a Python definition; for a flow of a module flowc generated, the
    flow in the `.flow` file beside it."""
    source = python.flow_source(found)
    if source is not None:
        span = flow_span(source, found.name)
        if span is not None:
            return types.Location(uri=source.as_uri(), range=point_range(span))
    point = types.Position(line=found.line - 1, character=found.column - 1)
    return types.Location(uri=found.path.resolve().as_uri(), range=types.Range(start=point, end=point))


def flow_span(path: Path, name: str) -> Span | None:
    found = read_tree(path)
    flow = next((f for f in found[1].flows if f.name == name), None) if found is not None else None
    return flow.name_span if flow is not None else None


# ---------------------------------------------------------------- document symbols


def declarations(module: s.Module) -> list[s.Pool | s.Executor]:
    """The module's pools and executors, in that order."""
    return [*module.pools, *module.executors]


def symbols(document: Document) -> list[types.DocumentSymbol]:
    outline = document.outline
    if outline is None:
        return []
    found = [
        types.DocumentSymbol(
            name=declared.name,
            kind=types.SymbolKind.Object,
            detail=text_of(document, declared.span),
            range=document.positions.range(declared.span),
            selection_range=document.positions.range(declared.name_span),
        )
        for declared in declarations(outline.module)
    ]
    for flow in outline.module.flows:
        nodes = [
            types.DocumentSymbol(
                name=node.name,
                kind=types.SymbolKind.Variable,
                detail=("map " if node.is_map else "") + text_of(document, node.call.span),
                range=document.positions.range(node.span),
                selection_range=document.positions.range(node.name_span),
            )
            for node in flow.nodes
        ]
        found.append(
            types.DocumentSymbol(
                name=flow.name,
                kind=types.SymbolKind.Function,
                detail=flow_signature(document, flow),
                range=document.positions.range(flow.span),
                selection_range=document.positions.range(flow.name_span),
                children=nodes,
            )
        )
    return found
