"""Completion: what may be typed at the cursor, from the text before it on its line.

Half-typed statements rarely parse, so the place is read from the line's text (a node's
right-hand side, inside its call, after its call among the clauses, an edge statement, an
import) and the names come from the document's outline (the flow around the cursor, its
nodes and parameters, the file's imports, pools and flows) and from the Python source of
imported modules (`llm.` lists what `llm` defines)."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable

from lsprotocol import types

from ..semantics.names import BUILTIN_EXCEPTIONS
from ..syntax import tree as s
from .document import Document
from .features import python_name
from .outline import Outline, read_tree
from .pysource import Definition, PythonSources

CLAUSES = tuple(clause.keyword for clause in typing.get_args(s.Clause))
"""The keywords that start a node's clauses, from the syntax tree's clause classes."""
RETRY_WORDS = ("backoff", "max", "jitter", "on")
"""The words that continue a `retry` clause."""
TOP_LEVEL = ("flow", "from", "import", "pool", "executor")
BODY = ("node", "return", "START")

Kind = types.CompletionItemKind
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*$|$")
STRINGS = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
NODE = re.compile(r"^\s*node\s+(\w+)\s*=\s*(.*)$", re.DOTALL)
FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s")
RETRY_ON = re.compile(r"\bretry\b.*\bon\s+(?:[\w.]+\s*,\s*)*$")


def completion(document: Document, line: int, column: int, python: PythonSources) -> list[types.CompletionItem]:
    prefix = document.source.line_text(line)[: column - 1]
    word = WORD.search(prefix)
    typed = word.group() if word else ""
    before = STRINGS.sub("0", prefix[: len(prefix) - len(typed)])  # each whole string a literal
    if "#" in before or '"' in before or "'" in before:
        return []  # in a comment or a string
    outline = document.outline
    importing = FROM_IMPORT.match(before)
    if importing is not None and "." not in typed:
        return imported_names(importing.group(1), python)
    if re.match(r"^\s*(from|import)\b", before):
        return []
    if "." in typed:
        return members(outline, typed.rpartition(".")[0], python)
    flow = outline.flow_at(line, column) if outline is not None else None
    if outline is None or flow is None:
        return (
            keywords(TOP_LEVEL) if not before.strip() and (outline is None or not inside_a_flow(outline, line)) else []
        )
    return in_body(outline, flow, before)


def inside_a_flow(outline: Outline, line: int) -> bool:
    return any(f.span.line <= line <= f.span.end_line for f in outline.module.flows)


def in_body(outline: Outline, flow: s.Flow, before: str) -> list[types.CompletionItem]:
    node = NODE.match(before)
    if node is not None:
        return in_node(outline, flow, node.group(1), node.group(2))
    stripped = before.strip()
    if re.match(r"^node\b", stripped):
        return []  # naming a new node
    if stripped.startswith("return"):
        return references(flow, None)
    if ">>" in stripped or stripped.startswith(("START", "[")):
        return references(flow, None, nodes_only=True) + [item("END", Kind.Constant, "the end of the run")]
    if not stripped:
        return keywords(BODY) + references(flow, None, nodes_only=True)
    return references(flow, None)


def in_node(outline: Outline, flow: s.Flow, name: str, rest: str) -> list[types.CompletionItem]:
    """After `node NAME = `: the callee, the call's arguments, then the clauses."""
    if rest.strip() in ("", "map"):
        return callees(outline, flow) + (keywords(["map"]) if not rest.strip() else [])
    if depth(rest) > 0:
        return references(flow, name) + keywords(["each", "first"] if rest.lstrip().startswith("map") else ["first"])
    words = re.findall(r"[A-Za-z_]\w*", re.sub(r"\([^()]*\)", "()", rest))
    last = words[-1] if words and re.search(r"\w\s+$", rest) else None
    if last == "pool":
        return [item(p, Kind.Struct, text_of_pool(outline, p)) for p in outline.pools]
    if last == "executor":
        return [item(e, Kind.Struct, f"executor {e}") for e in outline.executors]
    if RETRY_ON.search(rest):
        return exceptions(outline)
    if last in ("when", "fallback", "not", "and", "or", "in"):
        found = references(flow, name) + keywords(["not"] if last != "fallback" else [])
        return found + (callees(outline, flow) if last == "fallback" else [])
    used = set(words)
    offered = [c for c in CLAUSES if c not in used]
    if "retry" in used:
        offered += [w for w in RETRY_WORDS if w not in used and (w != "max" or "backoff" in used)]
    return keywords(offered)


def depth(text: str) -> int:
    """How many brackets of `text` are open at its end."""
    level = 0
    for char in text:
        level += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(char, 0)
    return level


def text_of_pool(outline: Outline, name: str) -> str:
    pool = outline.pools[name]
    return f"pool {pool.name} limit {pool.limit.value:g}"


def item(label: str, kind: types.CompletionItemKind, detail: str | None = None) -> types.CompletionItem:
    return types.CompletionItem(label=label, kind=kind, detail=detail)


def keywords(words: Iterable[str]) -> list[types.CompletionItem]:
    return [item(word, Kind.Keyword) for word in words]


def references(flow: s.Flow, current: str | None, nodes_only: bool = False) -> list[types.CompletionItem]:
    """The nodes of `flow` (but the one being written) and, unless `nodes_only`, its parameters."""
    found = [] if nodes_only else [item(p.name, Kind.Variable, f"parameter of {flow.name}") for p in flow.params]
    found += [item(n.name, Kind.Field, f"node of {flow.name}") for n in flow.nodes if n.name != current]
    return found


def callees(outline: Outline, flow: s.Flow) -> list[types.CompletionItem]:
    """What a node may call: the imported names and modules, the other flows of the file."""
    found = [
        item(alias, Kind.Module if imported.name is None else Kind.Function, python_name(outline, alias))
        for alias, imported in outline.imports.items()
    ]
    found += [item(name, Kind.Function, "flow of this file") for name in outline.flows if name != flow.name]
    return found


def exceptions(outline: Outline) -> list[types.CompletionItem]:
    found = [item(alias, Kind.Class, python_name(outline, alias)) for alias in outline.imports]
    return found + [item(name, Kind.Class, "builtin") for name in sorted(BUILTIN_EXCEPTIONS)]


def members(outline: Outline | None, head: str, python: PythonSources) -> list[types.CompletionItem]:
    """The names a module defines, after `alias.` where `alias` is an import of the file."""
    target = python_name(outline, head) if outline is not None else None
    if target is None or python.module_file(target) is None:
        return []
    return python_items(python.names(target))


def imported_names(module: str, python: PythonSources) -> list[types.CompletionItem]:
    """What `from MODULE import` may take: the flows and pools of a `.flow` file, else the
    names a Python module defines."""
    path = python.flow_file(module)
    if path is None:
        return python_items(python.names(module))
    read = read_tree(path)
    if read is None:
        return []
    tree = read[1]
    found = [item(f.name, Kind.Function, f"flow of {path.name}") for f in tree.flows]
    return found + [item(p.name, Kind.Struct, f"pool of {path.name}") for p in tree.pools]


def python_items(found: list[Definition]) -> list[types.CompletionItem]:
    """Names a Python module defines: functions, classes, variables, imported names."""
    return [item(d.name, python_kind(d.signature or ""), d.signature) for d in found]


def python_kind(signature: str) -> types.CompletionItemKind:
    if signature.startswith("class "):
        return Kind.Class
    return Kind.Function if signature.startswith(("def ", "async def ")) else Kind.Variable
