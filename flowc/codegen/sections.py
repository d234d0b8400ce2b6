"""The sections of `runtime.py` that generated modules copy: their code, the stdlib imports
they need and the other sections they use."""

from __future__ import annotations

import ast
import builtins
import functools
from dataclasses import dataclass
from importlib import resources

from ..semantics.names import GeneratedNames


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    code: str
    needs: tuple[str, ...]
    imports: tuple[str, ...]
    defines: tuple[str, ...]


def parse_sections(text: str) -> dict[str, Section]:
    """Split runtime text at `# flowc:begin NAME` / `# flowc:end NAME` markers."""
    sections: dict[str, Section] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("# flowc:begin "):
            i += 1
            continue
        name = line.split()[-1]
        needs: list[str] = []
        imports: list[str] = []
        i += 1
        while lines[i].startswith(("# flowc:needs", "# flowc:import")):
            head, _, rest = lines[i].partition(" ")[2].partition(" ")
            (needs.extend(rest.split()) if head == "flowc:needs" else imports.append(rest.strip()))
            i += 1
        body: list[str] = []
        while lines[i] != f"# flowc:end {name}":
            body.append(lines[i])
            i += 1
        code = "\n".join(body).strip("\n")
        defines = tuple(definitions(code))
        sections[name] = Section(name, code, tuple(needs), tuple(imports), defines)
        i += 1
    return sections


def definitions(code: str) -> list[str]:
    names: list[str] = []
    for statement in ast.parse(code).body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(statement.name)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


@functools.cache
def load_sections() -> dict[str, Section]:
    text = resources.files("flowc.codegen").joinpath("runtime.py").read_text(encoding="utf-8")
    return parse_sections(text)


def select(sections: dict[str, Section], wanted: set[str]) -> list[Section]:
    """The wanted sections and everything they need, in the order of `runtime.py`."""
    chosen: set[str] = set()
    stack = sorted(wanted)
    while stack:
        name = stack.pop()
        if name not in chosen:
            chosen.add(name)
            stack.extend(sections[name].needs)
    return [section for name, section in sections.items() if name in chosen]


@functools.cache
def module_names() -> dict[str, tuple[str, str | None] | None]:
    """Every name a generated module binds for itself, whichever sections it copies: the
    stdlib names it imports (name -> (module, imported name or None)) and its helpers (-> None).
    A `.flow` file cannot give a flow, import or parameter one of these names, except by
    importing the very same thing."""
    names: dict[str, tuple[str, str | None] | None] = {
        "asyncio": ("asyncio", None),
        "NamedTuple": ("typing", "NamedTuple"),
    }
    for section in load_sections().values():
        for line in section.imports:
            names.update(imported(line))
        names.update(dict.fromkeys(section.defines))
        # Builtins the helpers call (`isinstance`, `min`, …): a module-level name would hide them.
        names.update(dict.fromkeys(builtins_used(section.code)))
    for name in FLOW_BODY_NAMES:
        names.setdefault(name, None)
    return names


FLOW_BODY_NAMES = ("asyncio", "NodeInfo", "FlowObserver", "bool", "BaseException")
"""Module-level names a generated flow function's own body uses, besides the `_` helpers:
a parameter of that name would hide them."""


@functools.cache
def generated_names() -> GeneratedNames:
    """The names every generated module binds, for the front end to keep `.flow` names off."""
    return GeneratedNames(module_names(), frozenset(FLOW_BODY_NAMES))


def builtins_used(code: str) -> set[str]:
    return {
        node.id
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and hasattr(builtins, node.id)
    }


def imported(line: str) -> dict[str, tuple[str, str | None]]:
    """What an `import a` or `from a import b, c` line binds."""
    if line.startswith("import "):
        return {m.strip(): (m.strip(), None) for m in line[len("import ") :].split(",")}
    module, _, names = line[len("from ") :].partition(" import ")
    return {n.strip(): (module.strip(), n.strip()) for n in names.split(",")}
