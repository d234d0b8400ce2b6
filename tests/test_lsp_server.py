"""`flowc lsp` end to end: the server started as an editor starts it (`python -m flowc lsp`),
driven by a real LSP client (pytest-lsp) over stdin and stdout: open, change, diagnostics
and their clearing, the debounce, hover, definition, completion, document symbols, half-typed
text, shutdown."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

STEPS = '''\
"""The steps of the test project."""


async def double(x: int) -> int:
    """Twice x."""
    return 2 * x


async def add(a: int, b: int) -> int:
    return a + b


class Flaky(Exception):
    pass
'''

FLOW = """\
from steps import double, add, Flaky

pool api limit 4

flow helper(x: int) -> int {
    node d = double(x=x)
    START >> d >> END
    return d
}

flow main(x: int) -> int {
    node a = double(x=x) timeout 2s retry 3 on Flaky
    node b = helper(x=a) pool api
    node c = add(a=a, b=b)
    START >> a >> b >> c >> END
    return c
}
"""

SERVER = [sys.executable, "-m", "flowc", "lsp", "--debounce", "20"]
DIAGNOSTICS = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "steps.py").write_text(STEPS, encoding="utf-8")
    (tmp_path / "main.flow").write_text(FLOW, encoding="utf-8")
    return tmp_path


async def start(client: LanguageClient, root: Path) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")],
        )
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, project: Path) -> AsyncIterator[None]:
    await start(lsp_client, project)
    yield
    await lsp_client.shutdown_session()


async def open_document(client: LanguageClient, path: Path, text: str) -> types.PublishDiagnosticsParams:
    waiting = client.wait_for_notification(DIAGNOSTICS)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="flow", version=1, text=text)
        )
    )
    published: types.PublishDiagnosticsParams = await waiting
    return published


def replace(path: Path, version: int, line: int, start: int, end: int, text: str) -> types.DidChangeTextDocumentParams:
    """An incremental change: columns `start` to `end` of 0-based `line` become `text`."""
    where = types.Range(start=types.Position(line=line, character=start), end=types.Position(line=line, character=end))
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
        content_changes=[types.TextDocumentContentChangePartial(range=where, text=text)],
    )


def position(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position `offset` characters into the first occurrence of `needle`."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


@pytest.mark.asyncio
async def test_diagnostics_carry_the_compilers_code_and_help(client: LanguageClient, project: Path) -> None:
    broken = FLOW.replace("add(a=a, b=b)", "add(a=aa, b=b)")
    published = await open_document(client, project / "main.flow", broken)
    (diagnostic,) = published.diagnostics
    assert diagnostic.code == "undefined-ref"
    assert diagnostic.source == "flowc"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.message == "`aa` is not a parameter or node of flow `main`"
    assert diagnostic.range.start == position(broken, "aa,")
    assert diagnostic.range.end == position(broken, "aa,", 2)
    (related,) = diagnostic.related_information or []
    assert related.message == "help: did you mean `a`?"
    assert related.location.uri == (project / "main.flow").as_uri()


@pytest.mark.asyncio
async def test_a_change_is_reported_and_the_fix_clears_it(client: LanguageClient, project: Path) -> None:
    path = project / "main.flow"
    assert list((await open_document(client, path, FLOW)).diagnostics) == []
    line = FLOW.split("\n").index("    node c = add(a=a, b=b)")
    column = FLOW.split("\n")[line].index("a=a") + 2

    waiting = client.wait_for_notification(DIAGNOSTICS)
    client.text_document_did_change(replace(path, 2, line, column, column + 1, "zz"))  # add(a=zz, b=b)
    published = await waiting
    assert published.version == 2
    assert [d.code for d in published.diagnostics] == ["undefined-ref"]
    assert "`zz`" in published.diagnostics[0].message

    waiting = client.wait_for_notification(DIAGNOSTICS)
    client.text_document_did_change(replace(path, 3, line, column, column + 2, "b"))  # add(a=b, b=b)
    published = await waiting
    assert published.version == 3
    assert list(published.diagnostics) == []
    assert list(client.diagnostics[path.as_uri()]) == []


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[*SERVER[:-1], "400"]))
async def slow_client(lsp_client: LanguageClient, project: Path) -> AsyncIterator[None]:
    await start(lsp_client, project)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_changes_in_quick_succession_are_checked_once(slow_client: LanguageClient, project: Path) -> None:
    """Typing `zzzz` letter by letter: one check, of the last version, after the pause."""
    client = slow_client
    path = project / "main.flow"
    await open_document(client, path, FLOW)
    line = FLOW.split("\n").index("    node c = add(a=a, b=b)")
    start = FLOW.split("\n")[line].index("a=a") + 2
    waiting = client.wait_for_notification(DIAGNOSTICS)
    for version, column in enumerate(range(start, start + 4), start=2):
        client.text_document_did_change(replace(path, version, line, column, column, "z"))
    published = await waiting
    assert published.version == 5
    assert "`zzzza`" in published.diagnostics[0].message


@pytest.mark.asyncio
async def test_hover_on_a_node_shows_its_callee_and_clauses(client: LanguageClient, project: Path) -> None:
    path = project / "main.flow"
    await open_document(client, path, FLOW)
    where = position(FLOW, "a >> b", 0)  # `a` in the edge statement
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=where)
    )
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent)
    text = result.contents.value
    assert "node a = double(x=x)" in text
    assert "`steps.double`" in text
    assert "async def double(x: int) -> int" in text
    assert "Twice x." in text
    assert "value: `int`" in text
    assert "`timeout 2s`" in text and "`retry 3 on Flaky`" in text


@pytest.mark.asyncio
async def test_definition_of_nodes_pools_subflows_and_imports(client: LanguageClient, project: Path) -> None:
    path = project / "main.flow"
    await open_document(client, path, FLOW)

    async def definition(needle: str, offset: int = 0) -> list[tuple[str, int, int]]:
        result = await client.text_document_definition_async(
            types.DefinitionParams(
                text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
                position=position(FLOW, needle, offset),
            )
        )
        assert isinstance(result, list)
        return [(Path(r.uri.removeprefix("file://")).name, r.range.start.line, r.range.start.character) for r in result]

    node_a = position(FLOW, "node a", 5)
    assert await definition("a=a, b=b", 2) == [("main.flow", node_a.line, node_a.character)]
    pool = position(FLOW, "pool api", 5)
    assert await definition("pool api\n    node c", 5) == [("main.flow", pool.line, pool.character)]
    helper = position(FLOW, "flow helper", 5)
    assert await definition("helper(x=a)") == [("main.flow", helper.line, helper.character)]
    steps = STEPS.split("\n")
    assert await definition("double(x=x) timeout") == [("steps.py", steps.index("async def double(x: int) -> int:"), 0)]
    assert await definition("Flaky\n") == [("steps.py", steps.index("class Flaky(Exception):"), 0)]


async def complete(client: LanguageClient, path: Path, text: str, version: int) -> list[str]:
    """The labels offered at the end of `text`'s line that holds `|` (the cursor), once the
    document's text is `text` without the `|`."""
    cursor = position(text, "|")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text.replace("|", ""))],
        )
    )
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=cursor)
    )
    assert isinstance(result, types.CompletionList)
    return [item.label for item in result.items]


@pytest.mark.asyncio
async def test_completion_of_callees_nodes_and_clauses(client: LanguageClient, project: Path) -> None:
    path = project / "main.flow"
    await open_document(client, path, FLOW)
    body = "    START >> a >> b >> c >> END"

    callees = await complete(client, path, FLOW.replace(body, "    node e = |\n" + body), 2)
    assert {"double", "add", "Flaky", "helper", "map"} <= set(callees)
    assert "main" not in callees  # a flow does not call itself

    arguments = await complete(client, path, FLOW.replace(body, "    node e = add(a=|\n" + body), 3)
    assert {"x", "a", "b", "c", "first"} <= set(arguments)

    clauses = await complete(client, path, FLOW.replace(body, "    node e = add(a=a, b=b) timeout 1s |\n" + body), 4)
    assert {"retry", "fallback", "when", "pool", "sync", "thread"} <= set(clauses)
    assert "timeout" not in clauses  # given already

    pools = await complete(client, path, FLOW.replace(body, "    node e = add(a=a, b=b) pool |\n" + body), 5)
    assert pools == ["api"]

    imported = await complete(
        client, path, FLOW.replace("from steps import double, add, Flaky", "from steps import |"), 6
    )
    assert {"double", "add", "Flaky"} <= set(imported)


@pytest.mark.asyncio
async def test_document_symbols_are_the_flows_and_their_nodes(client: LanguageClient, project: Path) -> None:
    path = project / "main.flow"
    await open_document(client, path, FLOW)
    result = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
    )
    assert result is not None
    symbols = {s.name: s for s in result if isinstance(s, types.DocumentSymbol)}
    assert list(symbols) == ["api", "helper", "main"]
    assert symbols["main"].kind == types.SymbolKind.Function
    assert [n.name for n in symbols["main"].children or []] == ["a", "b", "c"]
    assert symbols["main"].selection_range.start == position(FLOW, "main(")


@pytest.mark.asyncio
async def test_half_typed_text_never_breaks_the_server(client: LanguageClient, project: Path) -> None:
    """Every prefix of a file, and requests at many places in each, answer without an error."""
    path = project / "main.flow"
    await open_document(client, path, "")
    cuts = list(range(0, len(FLOW), 37)) + [len(FLOW)]
    for version, cut in enumerate(cuts, start=2):
        text = FLOW[:cut] + "\x00 ]]]{ node = = map map" * (version % 3 == 0)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        document = types.TextDocumentIdentifier(uri=path.as_uri())
        for line in range(0, text.count("\n") + 2, 3):
            where = types.Position(line=line, character=line % 20)
            await client.text_document_hover_async(types.HoverParams(text_document=document, position=where))
            await client.text_document_definition_async(types.DefinitionParams(text_document=document, position=where))
            await client.text_document_completion_async(types.CompletionParams(text_document=document, position=where))
        await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=document))
    waiting = client.wait_for_notification(DIAGNOSTICS)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=document))
    await waiting
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    assert errors == []
    assert client.error is None


@pytest.mark.asyncio
async def test_closing_a_document_clears_its_diagnostics(client: LanguageClient, project: Path) -> None:
    path = project / "main.flow"
    published = await open_document(client, path, "flow")
    assert [d.code for d in published.diagnostics] == ["syntax"]
    waiting = client.wait_for_notification(DIAGNOSTICS)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
    )
    assert list((await waiting).diagnostics) == []


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def bare_client(lsp_client: LanguageClient, project: Path) -> AsyncIterator[None]:
    await start(lsp_client, project)
    yield


@pytest.mark.asyncio
async def test_shutdown_then_exit_ends_the_server(bare_client: LanguageClient) -> None:
    client = bare_client
    assert await client.shutdown_async(None) is None
    client.exit(None)
    server = client._server
    assert server is not None
    assert await server.wait() == 0


def test_the_flow_file_of_these_tests_compiles() -> None:
    """The tests above expect no diagnostic for `FLOW` as it is."""
    import flowc

    flowc.check_source(textwrap.dedent(FLOW), "main.flow")


SHARED = """\
from steps import double

flow twice(x: int) -> int {
    node d = double(x=x)
    START >> d >> END
    return d
}
"""

IMPORTER = """\
from steps import add
from lib.shared import twice

flow main(x: int) -> int {
    node t = twice(x=x)
    node s = add(a=t, b=x)
    START >> t >> s >> END
    return s
}
"""


async def definition_of(client: LanguageClient, path: Path, text: str, needle: str) -> list[tuple[str, int]]:
    result = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=position(text, needle)
        )
    )
    assert isinstance(result, list)
    return [(r.uri, r.range.start.line) for r in result]


@pytest.mark.asyncio
@pytest.mark.parametrize("configured", [False, True], ids=["workspace folder", "import-roots"])
async def test_a_flow_imported_from_another_flow_file(client: LanguageClient, project: Path, configured: bool) -> None:
    """`from lib.shared import twice` names `lib/shared.flow` under the workspace folder, or
    under the `import-roots` of `[tool.flowc]`, as `flowc check` finds it."""
    roots = project
    if configured:
        roots = project / "flows"
        (project / "pyproject.toml").write_text('[tool.flowc]\nimport-roots = ["flows"]\n', encoding="utf-8")
    (roots / "lib").mkdir(parents=True)
    (roots / "lib" / "shared.flow").write_text(SHARED, encoding="utf-8")
    path = project / "main.flow"
    assert list((await open_document(client, path, IMPORTER)).diagnostics) == []
    shared = roots / "lib" / "shared.flow"
    assert await definition_of(client, path, IMPORTER, "twice(x") == [(shared.as_uri(), 2)]


@pytest.mark.asyncio
async def test_python_steps_are_found_where_flowc_run_imports_them(client: LanguageClient, project: Path) -> None:
    """A step module in a `pythonpath` folder of `[tool.flowc]`: go to definition reaches it."""
    (project / "pyproject.toml").write_text('[tool.flowc]\npythonpath = ["lib"]\n', encoding="utf-8")
    (project / "lib").mkdir()
    (project / "lib" / "extra.py").write_text("async def triple(x: int) -> int:\n    return 3 * x\n", "utf-8")
    text = FLOW.replace(
        "from steps import double, add, Flaky", "from steps import double, add, Flaky\nfrom extra import triple"
    )
    text = text.replace("node c = add(a=a, b=b)", "node c = triple(x=b)")
    path = project / "main.flow"
    assert list((await open_document(client, path, text)).diagnostics) == []
    assert await definition_of(client, path, text, "triple(x=b)") == [((project / "lib" / "extra.py").as_uri(), 0)]
