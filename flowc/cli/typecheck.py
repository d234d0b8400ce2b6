"""`--types`: generated modules type-checked together with the user's code, each error
reported at the `.flow` span it concerns, once, in the flow's words.

The modules are written to a temporary folder (with a few lines appended that ask the
checker whether the callee of a `sync` or `thread` node returns an awaitable), the checker
runs over them with the user's code found through the `.flow` files' folders, the working
folder and the current environment, and `codegen.sourcemap` says which argument, callee,
condition, fallback or `return` each error's position was written for.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import codes
from ..codegen.sourcemap import Place, SourceMap
from ..diagnostics import Diagnostic
from ..semantics import ir
from ..source import Source, Span
from ..syntax import tree as s
from .errors import UsageError

CHECKERS = ("mypy", "pyright")

PROBE_HEAD = """

# flowc --types: the callees of `sync`, `thread` and `executor` nodes must not return awaitables.
from collections.abc import Awaitable as _FlowcAwaitable
from collections.abc import Callable as _FlowcCallable
from typing import Any as _FlowcAny
from typing import overload as _flowc_overload


class _FlowcReturnsAwaitable: ...


@_flowc_overload
def _flowc_plain(f: _FlowcCallable[..., _FlowcAwaitable[_FlowcAny]]) -> _FlowcReturnsAwaitable: ...
@_flowc_overload
def _flowc_plain(f: _FlowcCallable[..., object]) -> None: ...
def _flowc_plain(f: object) -> object:
    return None
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    """One `.flow` file that compiled: its source, IR and generated module."""

    source: Source
    module: ir.Module
    code: str
    folder: Path
    """The `.flow` file's folder: where its imports are looked for first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One error of the checker in a generated module: 1-based line and column."""

    line: int
    column: int
    message: str
    code: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """An appended line asking whether a `sync`, `thread` or `executor` node's callee is `async`."""

    flow: ir.Flow
    node: ir.Node
    callee: ir.Callee
    span: Span


def command(checker: str) -> list[str]:
    """How to run the checker, or a usage error (exit 2) when it is not installed."""
    if checker == "mypy":
        if importlib.util.find_spec("mypy") is None:
            raise UsageError(
                f"`--types` needs the type checker mypy, which is not installed for {sys.executable}",
                help="install it (`pip install mypy`) in the environment flowc runs in, or pass `--type-checker pyright`",
            )
        return [sys.executable, "-m", "mypy"]
    found = shutil.which("pyright") or shutil.which("pyright", path=str(Path(sys.executable).parent))
    if found is None:
        raise UsageError(
            "`--types --type-checker pyright` needs pyright, which is not installed (no `pyright` on PATH)",
            help="install it (`pip install pyright`), or use mypy: `--type-checker mypy`",
        )
    return [found]


def check_types(units: Sequence[Unit], checker: str, cwd: Path) -> list[list[Diagnostic]]:
    """The type errors of each unit, in `.flow` terms."""
    run = command(checker)
    results: list[list[Diagnostic]] = [[] for _ in units]
    for group in groups(units):
        with tempfile.TemporaryDirectory(prefix="flowc-types-") as folder:
            root = Path(folder)
            paths: dict[str, int] = {}
            probes: list[dict[int, Probe]] = []
            for index in group:
                unit = units[index]
                text, probed = with_probes(unit)
                written = root / (Path(unit.source.name).stem + ".py")
                written.write_text(text, encoding="utf-8")
                paths[str(written)] = index
                probes.append(probed)
            roots = unique([root, *(units[i].folder for i in group), cwd])
            findings = run_checker(checker, run, root, list(paths), roots, cwd)
            for (path, index), probed in zip(paths.items(), probes, strict=True):
                # By file name: mypy replays a cached module's errors under the path it had
                # in an earlier run (another temporary folder); names are unique in a group.
                found = findings.get(Path(path).name, [])
                results[index] = diagnostics(units[index], found, probed, checker)
    return results


def groups(units: Sequence[Unit]) -> list[list[int]]:
    """Units in groups whose generated modules have different names (one checker run each)."""
    found: list[list[int]] = []
    names: list[set[str]] = []
    for index, unit in enumerate(units):
        name = Path(unit.source.name).stem
        slot = next((i for i, taken in enumerate(names) if name not in taken), None)
        if slot is None:
            found.append([])
            names.append(set())
            slot = len(found) - 1
        found[slot].append(index)
        names[slot].add(name)
    return found


def unique(paths: list[Path]) -> list[Path]:
    return list(dict.fromkeys(p.resolve() for p in paths))


def with_probes(unit: Unit) -> tuple[str, dict[int, Probe]]:
    """The module with a probe line per `sync`, `thread` or `executor` callee appended, and each
    probe's line."""
    lines = unit.code.rstrip("\n").split("\n") + PROBE_HEAD.split("\n")
    probes: dict[int, Probe] = {}
    for flow in unit.module.flows:
        for node in flow.nodes:
            if node.mode == "await":
                continue
            callees = [(node.callee, node.callee_span)]
            if isinstance(node.fallback, ir.FallbackCall):
                callees.append((node.fallback.callee, node.fallback.call.callee_span))
            for callee, span in callees:
                if callee.flow is None:
                    lines.append(f"_flowc_probe_{len(probes)}: None = _flowc_plain({callee.text})")
                    probes[len(lines)] = Probe(flow=flow, node=node, callee=callee, span=span)
    return "\n".join(lines) + "\n", probes


def run_checker(
    checker: str, run: list[str], folder: Path, paths: list[str], roots: list[Path], cwd: Path
) -> dict[str, list[Finding]]:
    """Run the checker over `paths`; its errors by file name."""
    if checker == "mypy":
        config = folder / "mypy.ini"
        config.write_text("[mypy]\n", encoding="utf-8")
        arguments = [
            *run,
            "--config-file",
            str(config),
            "--show-column-numbers",
            "--show-error-codes",
            "--no-error-summary",
            "--no-pretty",
            "--hide-error-context",
            "--follow-imports=silent",
            "--cache-dir",
            str(cache_folder()),
            *paths,
        ]
        environment = dict(os.environ, MYPYPATH=os.pathsep.join(str(r) for r in roots))
        done = subprocess.run(arguments, capture_output=True, text=True, cwd=cwd, env=environment, check=False)
        if done.returncode not in (0, 1):
            raise UsageError(f"mypy failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()}")
        return mypy_findings(done.stdout)
    config = folder / "pyrightconfig.json"
    settings = {"include": paths, "extraPaths": [str(r) for r in roots], "typeCheckingMode": "standard"}
    config.write_text(json.dumps(settings), encoding="utf-8")
    arguments = [*run, "--outputjson", "-p", str(config), "--pythonpath", sys.executable]
    done = subprocess.run(arguments, capture_output=True, text=True, cwd=cwd, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise UsageError(f"pyright failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()}") from None
    return pyright_findings(report)


def cache_folder() -> Path:
    """mypy's cache, kept between runs (a cold run reads the whole standard library): in
    the user's cache folder, never in the project."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flowc" / "mypy"


MYPY_LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|note): (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)


def mypy_findings(output: str) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for raw in output.splitlines():
        match = MYPY_LINE.match(raw)
        if match is None:
            continue
        path = Path(match["path"]).name
        if match["severity"] == "note":
            if found.get(path):
                last = found[path][-1]
                found[path][-1] = Finding(
                    line=last.line,
                    column=last.column,
                    message=last.message,
                    code=last.code,
                    notes=(*last.notes, match["message"]),
                )
            continue
        found.setdefault(path, []).append(
            Finding(
                line=int(match["line"]),
                column=int(match["column"]),
                message=match["message"],
                code=match["code"] or "misc",
            )
        )
    return found


def pyright_findings(report: dict[str, object]) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    entries = report.get("generalDiagnostics", [])
    assert isinstance(entries, list)
    for entry in entries:
        if entry.get("severity") != "error":
            continue
        start = entry["range"]["start"]
        message, *rest = str(entry["message"]).split("\n")
        found.setdefault(Path(entry["file"]).name, []).append(
            Finding(
                line=start["line"] + 1,
                column=start["character"] + 1,
                message=message,
                code=str(entry.get("rule") or "error"),
                notes=tuple(line.strip() for line in rest if line.strip()),
            )
        )
    return found


# ---------------------------------------------------------------- in `.flow` terms


def diagnostics(unit: Unit, findings: list[Finding], probes: dict[int, Probe], checker: str) -> list[Diagnostic]:
    """Each finding as a diagnostic at its `.flow` span: once per span, an awaitable callee
    before what follows from it."""
    mapped = SourceMap(unit.module, unit.code)
    body = len(unit.code.rstrip("\n").split("\n"))
    found: dict[Span, Diagnostic] = {}
    misused: set[tuple[str, str]] = set()  # nodes whose callee returns an awaitable
    for finding in sorted(findings, key=lambda f: f.line not in probes):
        if finding.line in probes:
            probe = probes[finding.line]
            misused.add((probe.flow.name, probe.node.name))
            diagnostic = awaitable(unit, probe)
        elif finding.line > body:
            continue  # the probes' own definitions
        else:
            place = mapped.place(finding.line, finding.column)
            if place.flow is not None and place.node is not None and (place.flow.name, place.node.name) in misused:
                continue  # the coroutine left unused: said by the awaitable's error
            diagnostic = described(unit, place, finding, checker)
        found.setdefault(diagnostic.span, diagnostic)
    return sorted(found.values(), key=lambda d: d.sort_key)


def awaitable(unit: Unit, probe: Probe) -> Diagnostic:
    node = probe.node
    mode = f"executor {node.executor}" if node.executor else node.mode
    return Diagnostic(
        code=codes.AWAITABLE_CALLEE.code,
        message=(
            f"node `{probe.node.name}` is `{mode}`, but its callee `{probe.callee.text}` returns an awaitable: "
            "it is `async def`, and the node's value would be a coroutine never awaited"
        ),
        path=unit.source.path,
        span=probe.span,
        help=f"drop `{mode}`: flowc then awaits `{probe.callee.text}`",
    )


ARGUMENT = (
    re.compile(
        r'^Argument (?:"(?P<name>\w+)"|\d+) to "[^"]+" has incompatible type "(?P<given>.*)"; expected "(?P<expected>.*)"$'
    ),
    re.compile(
        r'^Argument of type "(?P<given>.*)" cannot be assigned to parameter "(?P<name>\w+)" of type "(?P<expected>.*)" in function'
    ),
)
ASSIGNED = (
    re.compile(
        r'^Incompatible types in assignment \(expression has type "(?P<given>.*)", variable has type "(?P<expected>.*)"\)$'
    ),
    re.compile(r'^Type "(?P<given>.*)" is not assignable to declared type "(?P<expected>.*)"$'),
)


def described(unit: Unit, place: Place, finding: Finding, checker: str) -> Diagnostic:
    """A finding in the flow's words, at its place."""
    raw = finding.message
    message = flow_words(raw)
    text = unit.source.text
    what = describe(place.arg.value, place.flow, text) if place.arg is not None else ""
    matched = next((m for p in ARGUMENT if (m := p.match(raw))), None) or next(
        (m for p in ASSIGNED if (m := p.match(raw))), None
    )
    node = f"node `{place.node.name}`" if place.node is not None else ""
    if place.role == "argument" and place.arg is not None and place.callee is not None and matched:
        name = f"`{place.arg.name}`" if place.arg.name else f"#{place.position}"
        message = f"{node}: argument {name} of `{place.callee.text}` expects `{matched['expected']}`, {what} gives `{matched['given']}`"
    elif place.role == "return" and place.flow is not None and place.arg is not None and matched:
        result = f"output `{place.arg.name}` of flow" if place.arg.name else "flow"
        message = (
            f"{result} `{place.flow.name}` is declared `{matched['expected']}`, but {what} gives `{matched['given']}`"
        )
    elif place.role == "items" and place.arg is not None and matched:
        message = f"{node}: `map` runs over `{items(place, text)}`, which gives `{matched['given']}`, not an iterable"
    elif place.role == "when":
        message = f"{node}, `when` condition: {message}"
    elif place.role == "fallback":
        message = f"{node}, `fallback`: {message}"
    elif place.role == "default" and place.flow is not None:
        message = f"flow `{place.flow.name}`, default of parameter `{place.parameter}`: {message}"
    elif place.role in ("callee", "argument") and place.node is not None:
        message = f"{node}, call of `{place.callee.text if place.callee else place.node.callee.text}`: {message}"
    elif place.flow is not None:
        message = f"flow `{place.flow.name}`: {message}"
    notes = [f"in the fallback call of node `{place.node.name}`"] if place.in_fallback and place.node else []
    notes += value_notes(place, text)
    notes.append(f"{checker}: {raw} [{finding.code}]")
    help = None
    if place.role == "import":
        flows = {item.module: item.path for item in unit.module.flow_imports}
        help = FLOW_IMPORT_HELP.format(path=flows[place.imported]) if place.imported in flows else IMPORT_HELP
    return Diagnostic(
        code=codes.TYPE.code, message=message, path=unit.source.path, span=place.span, help=help, notes=tuple(notes)
    )


FLOW_IMPORT_HELP = (
    "it is the module of `{path}`: check the two files together (`flowc check --types` of their folder), "
    "or compile `{path}` first"
)
IMPORT_HELP = (
    "modules are looked for from the `.flow` file's folder and the working folder, then in the packages "
    "of the Python flowc runs with: install the module there, or run flowc from the folder your code imports from"
)


def flow_words(message: str) -> str:
    """A checker's message with `"types"` in backticks and a lowercase first word."""
    message = re.sub(r'"([^"]*)"', r"`\1`", message)
    return message[:1].lower() + message[1:]


def describe(value: s.Expr, flow: ir.Flow | None, text: str) -> str:
    """What gives a value, for a message: `node `x``, `parameter `q``, or the text written."""
    nodes = {n.name for n in flow.nodes} if flow is not None else set()
    if isinstance(value, s.Ref) and not value.steps:
        return f"{'node' if value.name in nodes else 'parameter'} `{value.name}`"
    if isinstance(value, s.Each):
        return f"each element of `{written(value.ref.span, text)}`"
    return f"`{written(value.span, text)}`"


def items(place: Place, text: str) -> str:
    """What a map runs over, as written after `each`."""
    value = place.arg.value if place.arg is not None else None
    return written(value.ref.span, text) if isinstance(value, s.Each) else ""


def written(span: Span, text: str) -> str:
    source = Source("", text)
    return text[source.offset(span.line, span.column) : source.offset(span.end_line, span.end_column)]


def value_notes(place: Place, text: str) -> list[str]:
    """Why a node read by the argument may not be of its callee's type: `when`, `fallback`."""
    if place.arg is None or place.flow is None:
        return []
    value = place.arg.value.ref if isinstance(place.arg.value, s.Each) else place.arg.value
    names = [value.name] if isinstance(value, s.Ref) else []
    if isinstance(value, s.First):
        names = [item.name for item in value.items if isinstance(item, s.Ref)]
    notes = []
    for node in place.flow.nodes:
        if node.name not in names:
            continue
        if node.when is not None:
            notes.append(f"node `{node.name}` has a `when` clause: it is None when skipped")
        if node.fallback is not None:
            fallback = written(node.fallback.span, text)
            notes.append(
                f"node `{node.name}` has `fallback {fallback}`: its value is its callee's result or the fallback's"
            )
    return notes
