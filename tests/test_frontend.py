"""The front end on valid input: every construct of the grammar parses and resolves, and the
IR it gives is pinned by golden dumps (`tests/cases/valid/NAME.ir`, rewritten by
`pytest --update-golden`). Also: behaviours the language reference promises, the fast lexer
against lark's own, and a 10,000-node flow."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lark import Lark
from lark.exceptions import UnexpectedInput
from sizes import big_flow

from flowc import check_source, codes
from flowc.compiler import analyze, decode
from flowc.diagnostics import Collector, CompileError
from flowc.resources import resource_text
from flowc.semantics.dump import dump
from flowc.semantics.ir import FallbackCall, Module
from flowc.source import Source
from flowc.syntax.grammar import keywords, reserved, vocabulary
from flowc.syntax.lexer import scanner
from flowc.syntax.parse import parse

ROOT = Path(__file__).parent.parent
VALID = Path(__file__).parent / "cases" / "valid"
ERRORS = Path(__file__).parent / "cases" / "errors"
EXTRA_VALID = sorted((ROOT / "bench" / "flows").glob("*.flow")) + sorted((ROOT / "samples").glob("*.flow"))


def valid_files() -> list[Path]:
    return sorted(VALID.glob("*.flow"))


def analyze_file(path: Path) -> Module:
    return analyze(decode(path.read_bytes(), path.name))


def analyze_text(text: str, name: str = "t.flow") -> Module:
    return analyze(Source(name, text))


def codes_of(text: str) -> list[str]:
    with pytest.raises(CompileError) as caught:
        analyze_text(text)
    return [d.code for d in caught.value.diagnostics]


# ---------------------------------------------------------------- golden IR


@pytest.mark.parametrize("path", valid_files(), ids=lambda p: p.stem)
def test_valid_case(path: Path, update_golden: bool) -> None:
    text = dump(analyze_file(path))
    golden = path.with_suffix(".ir")
    if update_golden:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run `pytest --update-golden` and review it"
    assert text == golden.read_text(encoding="utf-8")


DUMP_ALL = """
import sys
from pathlib import Path
from flowc.compiler import analyze
from flowc.semantics.dump import dump
from flowc.source import Source
for name in sys.argv[1:]:
    sys.stdout.write(dump(analyze(Source(Path(name).name, Path(name).read_text(encoding="utf-8")))))
"""


def test_dump_is_deterministic_across_hash_seeds() -> None:
    """Nothing in the IR or its dump may follow set order or the hash seed: two processes with
    different seeds give the same bytes."""
    paths = [str(p) for p in valid_files()]
    outputs = [
        subprocess.run(
            [sys.executable, "-c", DUMP_ALL, *paths],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    ]
    assert outputs[0] and outputs[0] == outputs[1] == outputs[2]


def test_no_stale_golden_files() -> None:
    assert {p.stem for p in VALID.glob("*.ir")} == {p.stem for p in valid_files()}


@pytest.mark.parametrize("path", EXTRA_VALID, ids=lambda p: p.name)
def test_other_flows_of_the_repository_are_valid(path: Path) -> None:
    analyze_file(path)


def test_grammar_constructs_are_all_covered() -> None:
    """Every rule alias and keyword of the grammar occurs in some valid case."""
    grammar = resource_text("grammar", "flow.lark")
    words = set(re.findall(r'"([a-zA-Z]+)"', grammar)) | {"map", "collect", "sync", "thread", "jitter"}
    text = "\n".join(p.read_text("utf-8") for p in valid_files())
    missing = sorted(w for w in words if not re.search(rf"\b{w}\b", text))
    assert not missing


# ---------------------------------------------------------------- promised behaviours

FLOW = """from m import g, h
{body}
"""


def test_a_flow_without_nodes() -> None:
    module = analyze_text("flow f(x: int) -> int { return x }")
    assert module.flows[0].nodes == () and module.flows[0].returns[0].name is None


def test_start_to_end_and_duplicate_edges() -> None:
    module = analyze_text(
        FLOW.format(
            body="flow f(x: int) -> int {\n node a = g(x=x)\n START >> END\n START >> a >> END\n a >> END\n return a }"
        )
    )
    assert module.flows[0].end_preds == ("a",)


def test_keywords_as_keyword_arguments_and_attributes() -> None:
    module = analyze_text(
        FLOW.format(
            body="flow f(x: int) -> int {\n node a = g(timeout=5, limit=x, retry=1, map=2, when=x)\n"
            " node b = h(x=a.limit, y=a.map[0])\n START >> a >> b >> END\n return b.first }"
        )
    )
    assert [arg.name for arg in module.flows[0].nodes[0].args] == ["timeout", "limit", "retry", "map", "when"]


@pytest.mark.parametrize("name", ["class", "limit", "map", "first", "None", "START", "observer", "__x"])
def test_reserved_node_names_are_refused_with_a_friendly_message(name: str) -> None:
    text = FLOW.format(body=f"flow f(x: int) -> int {{\n node {name} = g(x=x)\n START >> {name} >> END\n return x }}")
    with pytest.raises(CompileError) as caught:
        analyze_text(text)
    first = caught.value.diagnostics[0]
    assert first.code in (codes.RESERVED_NAME.code, codes.SYNTAX.code)
    assert f"`{name}`" in first.message and (first.span.line, first.span.column) == (3, 7)


def test_a_fallback_call_of_a_flow_is_resolved() -> None:
    module = analyze_text(
        FLOW.format(
            body="flow f(x: int) -> int {\n node a = g(x=x) fallback b(y=x)\n START >> a >> END\n return a }\n"
            "flow b(y: int) -> int { return y }"
        )
    )
    node = module.flows[0].nodes[0]
    assert isinstance(node.fallback, FallbackCall) and node.fallback.callee.flow == "b"


def test_plain_module_imports_may_share_their_head() -> None:
    module = analyze_text(
        "import a.b\nimport a.c\nflow f(x: int) -> int {\n node n = a.b.g(x=x)\n START >> n >> END\n return n }"
    )
    assert [(i.module, i.alias) for i in module.imports] == [("a.b", "a"), ("a.c", "a")]


def test_every_error_of_a_file_in_one_run() -> None:
    found = codes_of(
        FLOW.format(
            body="pool p limit 0\nflow f(x: int) -> int {\n node a = g(y=zz) retry 0\n node b = nope(x=a) pool q\n"
            " START >> a >> b >> END\n return b }"
        )
    )
    assert found == [
        codes.NOT_POSITIVE.code,
        codes.UNDEFINED_REF.code,
        codes.NOT_POSITIVE.code,
        codes.UNDEFINED_CALLEE.code,
        codes.UNDEFINED_POOL.code,
    ]


def test_diagnostics_are_sorted_and_unique() -> None:
    with pytest.raises(CompileError) as caught:
        analyze_text(
            FLOW.format(body="flow f(x: int) -> int {\n node a = g(x=y, z=y, w=y)\n START >> a >> END\n return a }")
        )
    keys = [(d.span.line, d.span.column, d.code, d.message) for d in caught.value.diagnostics]
    assert keys == sorted(set(keys)) and len(keys) == 3


def test_check_source_is_the_api_entry() -> None:
    check_source("flow f(x: int) -> int { return x }", "api.flow")
    with pytest.raises(CompileError) as caught:
        check_source("flow f(x: int) -> int { return y }", "api.flow")
    assert caught.value.render().startswith("api.flow:1:32: error: `y` is not a parameter")


def test_positional_after_keyword() -> None:
    assert codes_of(
        FLOW.format(body="flow f(x: int) -> int {\n node a = g(y=x, x)\n START >> a >> END\n return a }")
    ) == [codes.SYNTAX.code]


def test_recovery_reports_errors_in_later_statements_only_once() -> None:
    with pytest.raises(CompileError) as caught:
        analyze_text(
            "flow f(x: int) -> int {\n node a = g(x=x) retry\n node b = g(x=x) timeout 5\n node c = g(\n return c\n}"
        )
    assert [(d.span.line, d.code) for d in caught.value.diagnostics] == [(2, "syntax"), (3, "syntax"), (5, "syntax")]


def diagnostics_of(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(CompileError) as caught:
        analyze_file(path)
    return [(d.message, d.help or "") for d in caught.value.diagnostics]


def test_a_cycle_is_printed_as_a_path() -> None:
    [(message, help)] = diagnostics_of(ERRORS / "cycle.flow")
    assert message == "these edges form a cycle: a >> b >> c >> a" and "`c >> a`" in help


def test_an_unbound_input_names_the_edge_that_fixes_it() -> None:
    found = diagnostics_of(ERRORS / "unbound_input.flow")
    assert found[0] == ("node `c` reads `b`, which is not upstream of it", "add the edge `b >> c`")


@pytest.mark.parametrize(
    ("case", "suggestion"),
    [
        ("undefined_ref", "`count`"),
        ("undefined_node", "`prepare`"),
        ("undefined_callee", "`double`"),
        ("undefined_type", "`str`"),
        ("undefined_pool", "`search`"),
        ("undefined_exception", "`RateLimited`"),
    ],
)
def test_undefined_names_come_with_did_you_mean(case: str, suggestion: str) -> None:
    helps = [help for _, help in diagnostics_of(ERRORS / f"{case}.flow")]
    assert any(h.startswith("did you mean") and suggestion in h for h in helps), helps


def test_syntax_errors_say_what_was_expected() -> None:
    for path in sorted(ERRORS.glob("syntax_*.flow")):
        for message, help in diagnostics_of(path):
            assert "expected" in message or help, f"{path.name}: {message}"


# ---------------------------------------------------------------- the lexer


@pytest.fixture(scope="module")
def lark_reference() -> Lark:
    """The same grammar with lark's own contextual lexer, as the reference for flowc's."""
    return Lark(
        resource_text("grammar", "flow.lark"), parser="lalr", lexer="contextual", start=["start", "resume_body"]
    )


def accepts_reference(reference: Lark, text: str) -> bool:
    try:
        reference.parse(text, start="start")
    except UnexpectedInput:
        return False
    return True


def accepts(text: str) -> bool:
    errors = Collector(Source("t.flow", text))
    parse(text, errors)
    return codes.SYNTAX.code not in {d.code for d in errors.diagnostics}


def corpus() -> list[str]:
    paths = valid_files() + sorted(ERRORS.glob("*.flow")) + EXTRA_VALID
    return [p.read_text("utf-8") for p in paths if "too_deep" not in p.name]


def test_fast_lexer_agrees_with_larks_contextual_lexer(lark_reference: Lark) -> None:
    for text in corpus():
        assert accepts(text) == accepts_reference(lark_reference, text), text[:200]


def test_lexer_keywords_come_from_the_grammar() -> None:
    lexer = scanner()
    assert {"flow", "node", "limit", "True", "START"} <= set(lexer.keywords)
    assert {">>", "->", "==", "<", "..."} <= set(lexer.symbols)


def test_reserved_words_and_keywords_are_the_words_the_grammar_spells_out() -> None:
    grammar = (ROOT / "grammar" / "flow.lark").read_text(encoding="utf-8")
    spelt = set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', grammar))
    assert reserved() == spelt == set(vocabulary().words)
    assert set(keywords()) == {word for word in spelt if word.islower()}
    assert {"START", "END", "True", "False", "None"} == spelt - set(keywords())


# ---------------------------------------------------------------- size


@pytest.mark.parametrize("kind", ["mixed", "chain", "fan-out"])
def test_ten_thousand_nodes(kind: str) -> None:
    """Correctness only: the timing is measured by bench/, not asserted here."""
    if kind == "mixed":
        text = big_flow(10_000)
    elif kind == "chain":
        names = [f"n{i}" for i in range(10_000)]
        body = [f"    node n{i} = step(x={'x' if i == 0 else names[i - 1]})" for i in range(10_000)]
        text = (
            "from m import step\nflow c(x: int) -> int {\n" + "\n".join(body) + "\n    START >> " + " >> ".join(names)
        )
        text += " >> END\n    return n9999\n}\n"
    else:
        names = [f"n{i}" for i in range(9_999)]  # and the join: 10,000 nodes, the most a file may have
        body = [f"    node {n} = step(x=x)" for n in names] + [f"    node j = step(xs=[{', '.join(names)}])"]
        text = "from m import step\nflow w(x: int) -> int {\n" + "\n".join(body)
        text += f"\n    START >> [{', '.join(names)}] >> j >> END\n    return j\n}}\n"
    scanner()  # built once per process, not part of the figure
    started = time.perf_counter()
    module = analyze_text(text, f"{kind}.flow")
    elapsed = time.perf_counter() - started
    nodes = sum(len(flow.nodes) for flow in module.flows)
    assert nodes >= 10_000
    print(f"\n{kind}: {nodes} nodes analysed in {elapsed:.2f} s")


@pytest.mark.parametrize("written", ["true", "false", "none", "NONE"])
def test_a_lowercase_constant_is_named_with_its_spelling(written: str) -> None:
    text = f"from demo.steps import double\nflow f(x: int) -> int {{\n    node a = double(x=x) when x == {written}\n    START >> a >> END\n    return a\n}}\n"
    with pytest.raises(CompileError) as caught:
        check_source(text, "c.flow")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "undefined-ref"
    assert diagnostic.help == f"the constant is written `{written.capitalize()}`"


def test_a_dead_end_that_another_node_reads_is_joined_to_its_reader() -> None:
    path = Path(__file__).parent / "cases" / "errors" / "dead_end_read.flow"
    with pytest.raises(CompileError) as caught:
        check_source(path.read_text(encoding="utf-8"), path.name)
    helps = {d.code: d.help for d in caught.value.diagnostics}
    assert helps["dead-end"] == "add an edge to the node that reads it: `points >> summary`"


@pytest.mark.parametrize(
    ("written", "meant"), [("retires 3", "retry"), ("timout 1s", "timeout"), ("fallbak 0", "fallback")]
)
def test_a_misspelt_clause_with_its_argument_is_named(written: str, meant: str) -> None:
    text = f"from demo.steps import double\nflow f(x: int) -> int {{\n    node a = double(x=x) {written}\n    START >> a >> END\n    return a\n}}\n"
    with pytest.raises(CompileError) as caught:
        check_source(text, "c.flow")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "syntax"
    word = written.split()[0]
    assert diagnostic.message == f"`{word}` is not a clause of the flow language"
    assert (diagnostic.span.line, diagnostic.span.column) == (3, 26), "at the misspelt word, not what follows"
    assert diagnostic.help == f"did you mean `{meant}`?"
