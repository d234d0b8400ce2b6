"""The language server's parts without the protocol: positions in the client's units, the
repair of half-typed text, the lookup of Python source, each feature's answers, and that no
text (any prefix of any sample, at any place) makes a feature raise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

import flowc
from flowc.compiler import analyze, decode
from flowc.diagnostics import CompileError
from flowc.lsp import completion as completing
from flowc.lsp import features
from flowc.lsp.document import Document, Imports, check
from flowc.lsp.outline import repaired
from flowc.lsp.positions import Positions, apply_change
from flowc.lsp.pysource import PythonSources
from flowc.lsp.server import FlowServer
from flowc.source import Source, Span

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.flow"))
ERROR_CASES = sorted((ROOT / "tests" / "cases" / "errors").glob("*.flow"))

FLOW = """\
from steps import fetch, merge, Flaky
import pkg.tools as tools

pool api limit 4 rate 10 per 1s

flow helper(x: int) -> int {
    node d = fetch(x=x)
    START >> d >> END
    return d
}

flow main(x: int, label: str = "😋 émoji", opts: dict[str, int] = {"a": 1}) -> int {
    node a = fetch(x=x) retry 2 on Flaky
    node b = helper(x=a) pool api
    node c = merge(a=a, b=b)
    START >> a >> b >> c >> END
    return c
}
"""


def document(text: str, folder: Path | None = None, name: str = "main.flow", encoding: str | None = None) -> Document:
    path = (folder / name) if folder is not None else Path("/nowhere") / name
    return Document(path.as_uri(), path, text, 1, encoding)


def cursor(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """The 1-based (line, column) `offset` characters into the first `needle`."""
    index = text.index(needle) + offset
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "steps.py").write_text(
        "async def fetch(x: int) -> int:\n    return x\n\n\n"
        "async def merge(a: int, b: int) -> int:\n    return a + b\n\n\n"
        "class Flaky(Exception):\n    pass\n",
        encoding="utf-8",
    )
    tools = tmp_path / "src" / "pkg"
    tools.mkdir(parents=True)
    (tools / "__init__.py").write_text("", encoding="utf-8")
    (tools / "tools.py").write_text(
        "from ._impl import shout as shout\n\nLIMIT: int = 3\n_hidden = 1\n", encoding="utf-8"
    )
    (tools / "_impl.py").write_text('def shout(text: str) -> str:\n    """Louder."""\n    return text\n', "utf-8")
    return tmp_path


def python(folder: Path) -> PythonSources:
    return PythonSources.for_file(folder / "main.flow", [folder])


# ---------------------------------------------------------------- positions


@pytest.mark.parametrize(("encoding", "width"), [("utf-16", 2), ("utf-8", 4), ("utf-32", 1), (None, 2)])
def test_columns_after_an_emoji_are_in_the_clients_units(encoding: str | None, width: int) -> None:
    text = 'node a = f(s="😋", x=y)\n'
    positions = Positions(Source("f.flow", text), encoding)
    column = text.index("y") + 1
    position = positions.position(1, column)
    assert position == types.Position(line=0, character=column - 1 + width - 1)
    assert positions.location(position) == (1, column)


def test_an_incremental_change_is_applied_in_the_clients_units() -> None:
    text = 'a = "😋" + x\nsecond line\n'
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=0, character=11), end=types.Position(line=1, character=6)),
        text="y\nthird",
    )
    assert apply_change(text, change, "utf-16") == 'a = "😋" + y\nthird line\n'
    whole = types.TextDocumentContentChangeWholeDocument(text="new")
    assert apply_change(text, whole, None) == "new"


# ---------------------------------------------------------------- half-typed text


def test_a_half_typed_line_is_blanked_and_the_rest_kept_in_place() -> None:
    text = FLOW.replace("    node c = merge(a=a, b=b)", "    node c = merge(a=a, b=b)\n    node e = merge(a=")
    module = repaired(text)
    assert module is not None
    main = module.flows[1]
    assert [n.name for n in main.nodes] == ["a", "b", "c"]
    line, column = cursor(text, "node c", 5)
    assert main.nodes[2].name_span == Span.point(line, column)


def test_a_file_cut_short_is_closed() -> None:
    text = FLOW[: FLOW.index("    START >> a >> b")]
    module = repaired(text)
    assert module is not None
    assert [f.name for f in module.flows] == ["helper", "main"]


@pytest.mark.parametrize("text", ["", "}}}}", "flow", "\x00\x00", "node = = map", "{" * 5000, "flow f(" * 300])
def test_hopeless_text_gives_an_empty_outline_not_an_error(text: str) -> None:
    doc = document(text)
    assert features.symbols(doc) == [] or doc.outline is not None
    features.hover(doc, 1, 1, PythonSources([]))
    completing.completion(doc, 1, len(text) + 1, PythonSources([]))


# ---------------------------------------------------------------- diagnostics


@pytest.mark.parametrize("path", ERROR_CASES, ids=[p.name for p in ERROR_CASES])
def test_the_diagnostics_are_the_compilers(path: Path) -> None:
    data = path.read_bytes()
    try:
        analyze(decode(data, str(path)))
        expected = []
    except CompileError as error:
        expected = error.diagnostics
    assert check(data.decode("utf-8"), None, None, str(path)) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [("flow f(\x00", "encoding"), ("flow f() -> int {\ud800", "encoding"), ("flow f() -> int {\r}", "encoding")],
)
def test_what_flowc_check_refuses_in_a_file_is_reported_too(text: str, code: str) -> None:
    assert [d.code for d in check(text, None, None, "f.flow")] == [code]


def test_help_and_notes_are_related_information() -> None:
    text = FLOW.replace("merge(a=a, b=b)", "merge(a=aa, b=b)")
    published = document(text).published()
    (diagnostic,) = published.diagnostics
    assert diagnostic.code == "undefined-ref"
    assert [r.message for r in diagnostic.related_information or []] == ["help: did you mean `a`?"]
    assert published.version == 1


# ---------------------------------------------------------------- Python source


def test_a_reexport_is_followed_to_the_definition(project: Path) -> None:
    found = python(project).find("pkg.tools.shout")
    assert found is not None
    assert (found.path.name, found.line, found.signature, found.doc) == (
        "_impl.py",
        1,
        "def shout(text: str) -> str",
        "Louder.",
    )


def test_a_module_and_its_public_names(project: Path) -> None:
    sources = python(project)
    module = sources.find("pkg.tools")
    assert module is not None and module.path.name == "tools.py"
    assert [d.name for d in sources.names("pkg.tools")] == ["shout", "LIMIT"]
    assert sources.find("pkg.tools.missing") is None
    assert sources.find("no.such.module") is None


def test_python_that_does_not_parse_is_no_definition(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n", encoding="utf-8")
    assert PythonSources([tmp_path]).find("broken.f") is None
    assert PythonSources([tmp_path]).names("broken") == []


def test_a_flow_imported_from_a_generated_module_leads_to_its_flow_file(tmp_path: Path) -> None:
    other = "from steps import fetch\n\nflow shared(x: int) -> int {\n    node a = fetch(x=x)\n    START >> a >> END\n    return a\n}\n"
    (tmp_path / "other.flow").write_text(other, encoding="utf-8")
    (tmp_path / "other.py").write_text(flowc.compile_source(other, "other.flow"), encoding="utf-8")
    text = "from other import shared\n\nflow main(x: int) -> int {\n    node s = shared(x=x)\n    START >> s >> END\n    return s\n}\n"
    (location,) = features.definition(document(text, tmp_path), *cursor(text, "shared(x"), python(tmp_path))
    assert location.uri == (tmp_path / "other.flow").as_uri()
    assert location.range.start == types.Position(line=2, character=5)


# ---------------------------------------------------------------- features


def test_definitions(project: Path) -> None:
    doc = document(FLOW, project)
    sources = python(project)

    def where(needle: str, offset: int = 0) -> list[tuple[str, int, int]]:
        found = features.definition(doc, *cursor(FLOW, needle, offset), sources)
        return [(Path(f.uri).name, f.range.start.line + 1, f.range.start.character + 1) for f in found]

    assert where("b >> c") == [("main.flow", *cursor(FLOW, "node b", 5))]
    assert where("x=x) retry", 2) == [("main.flow", *cursor(FLOW, "x: int, label", 0))]
    assert where("api\n    node c") == [("main.flow", *cursor(FLOW, "api limit"))]
    assert where("Flaky\n") == [("steps.py", 9, 1)]
    assert where("tools as", 0) == [("tools.py", 1, 1)]
    assert where("    START >> a >> b", 1) == []  # blank space


def test_hover_on_pools_parameters_flows_and_types(project: Path) -> None:
    doc = document(FLOW, project)
    sources = python(project)

    def shown(needle: str, offset: int = 0) -> str:
        found = features.hover(doc, *cursor(FLOW, needle, offset), sources)
        assert found is not None and isinstance(found.contents, types.MarkupContent)
        return found.contents.value

    assert "pool api limit 4 rate 10 per 1s" in shown("api limit") and "used by `b`" in shown("api limit")
    assert shown("x=x) retry", 2) == "```flow\nx: int\n```\n\nparameter of flow `main`"
    assert "flow helper(x: int) -> int" in shown("helper(x: int)")
    assert 'flow main(x: int, label: str = "😋 émoji", opts: dict[str, int] = {"a": 1}) -> int\n' in shown("main(x")
    assert shown("label: str", 2) == '```flow\nlabel: str = "😋 émoji"\n```\n\nparameter of flow `main`'
    assert "sub-flow `helper`" in shown("b = helper", 4)
    assert "a Python builtin" in shown("str = ")
    assert "class Flaky(Exception)" in shown("Flaky\n")
    assert features.hover(doc, 1, 200, sources) is None


VALUES = {
    "node v = fetch(x=x)": "value: `int`",
    "node v = map fetch(x=each items) collect": "value: `list[int | Exception]`, the results in input order",
    "node v = fetch(x=x) when x > 0": "value: `int | None`",
    "node v = fetch(x=x) fallback 0": "value: `int`",
    'node v = fetch(x=x) fallback "none"': "value: `int | str`",
    "node v = helper(x=x)": "value: `int`",
    "node v = Flaky()": "value: `Flaky`",
    "node v = fetch(x=x) fallback x": None,
    "node v = tools.unknown(x=x)": None,
}


@pytest.mark.parametrize(("node", "value"), VALUES.items(), ids=list(VALUES))
def test_hover_gives_a_nodes_value_type_when_it_is_known(project: Path, node: str, value: str | None) -> None:
    text = FLOW.replace("    node c = merge(a=a, b=b)", f"    node c = merge(a=a, b=b)\n    {node}").replace(
        "label: str", "items: list[int], label: str"
    )
    found = features.hover(document(text, project), *cursor(text, "node v", 5), python(project))
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    lines = [line for line in found.contents.value.split("\n\n") if line.startswith("value:")]
    assert lines == ([value] if value else [])


def test_symbols_are_pools_and_flows_with_their_nodes() -> None:
    found = features.symbols(document(FLOW))
    assert [(s.name, s.kind) for s in found] == [
        ("api", types.SymbolKind.Object),
        ("helper", types.SymbolKind.Function),
        ("main", types.SymbolKind.Function),
    ]
    assert [(n.name, n.detail) for n in found[2].children or []] == [
        ("a", "fetch(x=x)"),
        ("b", "helper(x=a)"),
        ("c", "merge(a=a, b=b)"),
    ]


EXECUTORS = FLOW.replace(
    "pool api limit 4 rate 10 per 1s\n", "pool api limit 4 rate 10 per 1s\nexecutor cpu\n"
).replace("    node c = merge(a=a, b=b)", "    node c = merge(a=a, b=b) executor cpu")


def test_executors_have_hover_definition_symbols_and_completion(project: Path) -> None:
    doc = document(EXECUTORS, project)
    line, column = cursor(EXECUTORS, "cpu\n    START", 1)
    found = features.hover(doc, line, column, python(project))
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    assert "executor cpu" in found.contents.value and "used by `c`" in found.contents.value
    assert "bind_executor('cpu', executor)" in found.contents.value
    target = features.definition(doc, line, column, python(project))
    declared = cursor(EXECUTORS, "executor cpu\n", 9)
    assert [(t.range.start.line + 1, t.range.start.character + 1) for t in target] == [declared]
    assert ("cpu", types.SymbolKind.Object) in [(s.name, s.kind) for s in features.symbols(doc)]
    text = EXECUTORS.replace("    START >> a", "    node e = fetch(x=x) executor |\n    START >> a")
    labels = {
        c.label
        for c in completing.completion(document(text.replace("|", ""), project), *cursor(text, "|"), python(project))
    }
    assert labels == {"cpu"}


COMPLETIONS = {
    "top level": ("\n|", {"flow", "from", "import", "pool", "executor"}, {"node"}),
    "start of a body line": ("    node c = merge(a=a, b=b)\n    |", {"node", "return", "START", "a", "b"}, {"x"}),
    "an edge": ("    START >> |", {"a", "b", "c", "END"}, {"x", "fetch"}),
    "a return": ("    return |", {"a", "x", "label"}, {"fetch"}),
    "a module's names": ("    node e = tools.|", {"shout", "LIMIT"}, {"_hidden"}),
    "exception classes": ("    node e = fetch(x=x) retry 2 on |", {"Flaky", "ValueError"}, {"a"}),
    "after retry": (
        "    node e = fetch(x=x) retry 2 |",
        {"backoff", "jitter", "on", "timeout", "executor"},
        {"max", "retry"},
    ),
    "after backoff": ("    node e = fetch(x=x) retry 2 backoff 1s |", {"max", "jitter"}, {"backoff"}),
    "a condition": ("    node e = fetch(x=x) when |", {"a", "x", "not"}, {"retry"}),
    "a fallback": ("    node e = fetch(x=x) fallback |", {"a", "x", "fetch"}, {"not"}),
    "a map's call": ("    node e = map fetch(x=|", {"each", "first", "a", "x"}, set()),
    "in a string": ('    node e = fetch(x="a |', set(), {"a", "x"}),
    "in a comment": ("    # node e = |", set(), {"fetch"}),
}


@pytest.mark.parametrize(("line", "present", "absent"), COMPLETIONS.values(), ids=list(COMPLETIONS))
def test_completion_in_context(project: Path, line: str, present: set[str], absent: set[str]) -> None:
    anchor = "    START >> a >> b >> c >> END\n"
    if line.startswith("\n"):
        text = FLOW + line
    else:
        text = (
            FLOW.replace(anchor, line + "\n" + anchor)
            if "node c = merge" not in line
            else FLOW.replace("    node c = merge(a=a, b=b)\n", line + "\n")
        )
    where = cursor(text, "|")
    labels = {c.label for c in completing.completion(document(text.replace("|", ""), project), *where, python(project))}
    assert present <= labels, present - labels
    assert not labels & absent, labels & absent


def test_from_import_completes_the_modules_names(project: Path) -> None:
    text = "from pkg.tools import |\n" + FLOW
    found = completing.completion(document(text.replace("|", ""), project), *cursor(text, "|"), python(project))
    assert [(c.label, c.kind, c.detail) for c in found] == [
        ("shout", types.CompletionItemKind.Function, "def shout(text: str) -> str"),
        ("LIMIT", types.CompletionItemKind.Variable, "LIMIT: int"),
    ]


# ---------------------------------------------------------------- robustness


def prefixes(text: str, count: int = 12) -> list[str]:
    step = max(1, len(text) // count)
    return [text[:cut] for cut in range(0, len(text) + 1, step)] + [text]


@pytest.mark.parametrize("path", SAMPLES + ERROR_CASES[:20], ids=[p.name for p in SAMPLES + ERROR_CASES[:20]])
def test_no_prefix_of_a_file_makes_a_feature_fail(path: Path) -> None:
    sources = PythonSources.for_file(path, [])
    for text in prefixes(path.read_text(encoding="utf-8")):
        doc = document(text, path.parent, path.name)
        features.symbols(doc)
        lines = text.split("\n")
        for line in range(1, len(lines) + 1, 2):
            for column in {1, len(lines[line - 1]) // 2 + 1, len(lines[line - 1]) + 1}:
                features.hover(doc, line, column, sources)
                features.definition(doc, line, column, sources)
                completing.completion(doc, line, column, sources)


def test_an_internal_error_is_logged_and_the_server_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FlowServer()
    logged: list[types.LogMessageParams] = []
    monkeypatch.setattr(server, "window_log_message", logged.append)
    with server.guard("hover"):
        raise ValueError("boom")
    (message,) = logged
    assert message.type == types.MessageType.Error
    assert message.message.startswith("flowc lsp: internal error in hover (a bug in flowc): ValueError('boom')")


def test_a_negative_debounce_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flowc", "lsp", "--debounce", "-5"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--debounce" in result.stderr and result.stdout == ""


# ---------------------------------------------------------------- imports of other .flow files

SHARED = """\
from steps import fetch

pool api limit 2

flow shared(x: int) -> int {
    node a = fetch(x=x) pool api
    START >> a >> END
    return a
}
"""

IMPORTER = """\
from steps import fetch
from lib.shared import shared, api

flow main(x: int) -> int {
    node s = shared(x=x)
    node t = fetch(x=s) pool api
    START >> s >> t >> END
    return t
}
"""


@pytest.fixture
def flows(project: Path) -> Path:
    (project / "lib").mkdir()
    (project / "lib" / "shared.flow").write_text(SHARED, encoding="utf-8")
    return project


def importer(folder: Path, text: str = IMPORTER) -> tuple[Document, PythonSources]:
    imports = Imports((folder,), folder)
    path = folder / "main.flow"
    doc = Document(path.as_uri(), path, text, 1, None, imports)
    return doc, PythonSources.for_file(path, [folder], imports.roots)


def test_an_imported_flow_is_checked_from_its_file(flows: Path) -> None:
    doc, _ = importer(flows)
    assert doc.check() == []
    wrong = IMPORTER.replace("shared, api", "shared, api, missing")
    missing, _ = importer(flows, wrong)
    assert [(d.span.line, "missing" in d.message) for d in missing.check()] == [(2, True)]
    # Without the import roots `lib.shared` is a Python module: `missing` may be in it, and
    # `api` is then no pool.
    alone = Document(doc.uri, doc.path, wrong, 1, None, None).check()
    assert [d.code for d in alone] == ["undefined-pool"]


def test_an_imported_files_errors_stay_in_that_file(flows: Path) -> None:
    (flows / "lib" / "shared.flow").write_text(SHARED.replace("return a", "return zz"), encoding="utf-8")
    doc, _ = importer(flows)
    found = doc.check()
    assert found and {(d.code, d.span.line) for d in found} == {("imported-errors", 2)}


def test_definition_hover_and_completion_of_an_imported_flow_and_pool(flows: Path) -> None:
    doc, sources = importer(flows)
    shared = flows / "lib" / "shared.flow"
    (location,) = features.definition(doc, *cursor(IMPORTER, "shared(x"), sources)
    assert (location.uri, location.range.start) == (shared.as_uri(), types.Position(line=4, character=5))
    (location,) = features.definition(doc, *cursor(IMPORTER, "api\n    START"), sources)
    assert (location.uri, location.range.start) == (shared.as_uri(), types.Position(line=2, character=5))
    hovered = features.hover(doc, *cursor(IMPORTER, "node s", 5), sources)
    assert hovered is not None and isinstance(hovered.contents, types.MarkupContent)
    assert "flow `lib.shared.shared`, from `shared.flow`" in hovered.contents.value
    assert "flow shared(x: int) -> int" in hovered.contents.value
    assert "value: `int`" in hovered.contents.value
    text = IMPORTER.replace("from lib.shared import shared, api", "from lib.shared import |")
    found = completing.completion(document(text.replace("|", ""), flows), *cursor(text, "|"), sources)
    assert [(c.label, c.detail) for c in found] == [("shared", "flow of shared.flow"), ("api", "pool of shared.flow")]
