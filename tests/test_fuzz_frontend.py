"""Property tests: whatever the input, the front end either returns an IR or raises
`CompileError` whose every diagnostic is located (line and column from 1) and renders.
Anything else (a traceback, a `RecursionError`, a lark exception) is a bug.

Inputs: random text and bytes, mutations of the valid cases and of random valid flows of the
proof (tokens deleted, duplicated, swapped, replaced or inserted from the grammar's
vocabulary), deep nesting, huge names and numbers, unusual Unicode (lone surrogates, escapes
of them, NUL, line and paragraph separators), CRLF and tabs; mutants the front end accepts
also go through code generation; and, where it is installed, atheris (coverage-guided).

The default profile is bounded to run in well under a minute; `FLOWC_LONG=1` tries ten
times as many inputs, at random.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proof import flowgen as proof_flows

from flowc import compile_source
from flowc.compiler import analyze, decode
from flowc.diagnostics import CompileError, Diagnostic
from flowc.semantics.dump import dump
from flowc.semantics.ir import Module
from flowc.source import Source
from flowc.syntax import grammar

LONG = os.environ.get("FLOWC_LONG") == "1"
settings.register_profile(
    "flowc",
    max_examples=3000 if LONG else 300,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("flowc")

CASES = Path(__file__).parent / "cases"
VALID_TEXTS = [p.read_text("utf-8") for p in sorted((CASES / "valid").glob("*.flow"))]
ERROR_TEXTS = [p.read_text("utf-8") for p in sorted((CASES / "errors").glob("*.flow")) if p.stat().st_size < 5000]
PIECES = re.compile(
    r"\s+|#[^\n]*|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_][A-Za-z0-9_]*|[0-9][0-9.]*[a-z]*|>>|->|[=!<>]=|\.\.\.|.",
    re.DOTALL,
)


def vocabulary() -> list[str]:
    terminals = grammar.vocabulary()
    words = sorted(terminals.words) + sorted(terminals.symbols)
    return words + [
        "x",
        "a",
        "node_1",
        "0",
        "-1",
        "1.5",
        "1e9",
        "250ms",
        '"s"',
        "'t'",
        "# c\n",
        "\n",
        "\t",
        "\r\n",
        " ",
    ]


VOCABULARY = vocabulary()


# ---------------------------------------------------------------- the property


def check(text: str) -> Module | None:
    """Analyse `text`; fail on anything but success or a well-formed `CompileError`."""
    return check_source(Source("fuzz.flow", text))


def check_bytes(data: bytes) -> Module | None:
    try:
        source = decode(data, "fuzz.flow")
    except CompileError as error:
        check_diagnostics(error)
        return None
    return check_source(source)


def check_source(source: Source) -> Module | None:
    try:
        module = analyze(source)
    except CompileError as error:
        check_diagnostics(error)
        return None
    dump(module)
    return module


def check_diagnostics(error: CompileError) -> None:
    assert error.diagnostics, "a CompileError without diagnostics"
    text = error.source.text if error.source is not None else ""
    for diagnostic in error.diagnostics:
        check_diagnostic(diagnostic, text)
    error.render()
    error.render(color=True)
    str(error)


def check_diagnostic(diagnostic: Diagnostic, text: str) -> None:
    span = diagnostic.span
    assert 1 <= span.line <= text.count("\n") + 1, diagnostic.concise()
    assert span.column >= 1, diagnostic.concise()
    assert diagnostic.concise().endswith(f"[{diagnostic.code}]")
    for internal in ("__ANON", "RPAR", "LPAR", "$END", "Token("):
        if internal not in text:  # a message may quote the input, which may be anything
            assert internal not in diagnostic.message + (diagnostic.help or ""), diagnostic.concise()


# ---------------------------------------------------------------- random input


@given(st.text(alphabet=st.characters(exclude_categories=())))
def test_random_text(text: str) -> None:
    check(text)


@given(st.text(alphabet=st.sampled_from(" \n\t()[]{},.:=|<>-#\"'\\_azAZ09")))
def test_random_text_of_flow_characters(text: str) -> None:
    check(text)


@given(st.lists(st.sampled_from(VOCABULARY), max_size=60).map(" ".join))
def test_random_token_sequences(text: str) -> None:
    check(text)


@given(st.binary())
def test_random_bytes(data: bytes) -> None:
    check_bytes(data)


@given(st.sampled_from(VALID_TEXTS), st.data())
def test_flipped_bytes(text: str, data: st.DataObject) -> None:
    raw = bytearray(text.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    check_bytes(bytes(raw))


# ---------------------------------------------------------------- mutations of real files


@st.composite
def mutated(draw: st.DrawFn) -> str:
    pieces = PIECES.findall(draw(st.sampled_from(VALID_TEXTS + ERROR_TEXTS)))
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(pieces) - 1))
        match draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace"])):
            case "delete":
                del pieces[at]
            case "duplicate":
                pieces.insert(at, pieces[at])
            case "swap" if at + 2 < len(pieces):
                pieces[at], pieces[at + 2] = pieces[at + 2], pieces[at]
            case "insert":
                pieces.insert(at, " " + draw(st.sampled_from(VOCABULARY)) + " ")
            case _:
                pieces[at] = draw(st.sampled_from(VOCABULARY))
        if not pieces:
            pieces = ["\n"]
    return "".join(pieces)


@given(mutated())
def test_mutated_files(text: str) -> None:
    check(text)


# ---------------------------------------------------------------- random programs

NAMES = st.sampled_from(["a", "b", "c", "d", "x", "f", "g", "h", "p", "q", "items", "observer", "limit"])
SCALARS = st.sampled_from(["1", "-2", "0", "2.5", '"s"', "True", "None"])
LITERALS = st.one_of(SCALARS, st.sampled_from(["[]", '{"k": 1}', '[1, "a"]']))


@st.composite
def expressions(draw: st.DrawFn, depth: int = 2) -> str:
    kind = draw(st.sampled_from(["ref", "ref", "literal", "attr", "index", "list", "first", "each", "call"]))
    name = draw(NAMES)
    match kind:
        case "literal":
            return draw(LITERALS)
        case "attr":
            return f"{name}.{draw(NAMES)}"
        case "index":
            return f"{name}[{draw(SCALARS)}]"
        case "each":
            return f"each {name}"
        case _ if depth == 0 or kind == "ref":
            return name
    items = draw(st.lists(expressions(depth - 1), min_size=1, max_size=2))
    return {"list": "[{}]", "first": "first({})", "call": name + "({})"}[kind].format(", ".join(items))


@st.composite
def conditions(draw: st.DrawFn) -> str:
    left, right = draw(st.one_of(NAMES, NAMES.map(lambda n: n + ".size"), SCALARS)), draw(st.one_of(LITERALS, NAMES))
    op = draw(st.sampled_from(["==", "!=", "<", ">=", "in", "not in"]))
    joiner = draw(st.sampled_from([" and ", " or ", " and not "]))
    return f"{left} {op} {right}" + (joiner + draw(NAMES) if draw(st.booleans()) else "")


CLAUSES = [
    "timeout 1s",
    "timeout 0s",
    "retry 2",
    "retry 0",
    "retry 1 backoff 1s max 2s jitter on ValueError, E",
    "limit 2",
    "limit 0",
    "collect",
    "sync",
    "thread",
    "pool p",
    "pool q",
    "fallback 0",
]


@st.composite
def nodes(draw: st.DrawFn) -> str:
    args = ", ".join(f"{draw(NAMES)}={draw(expressions())}" for _ in range(draw(st.integers(0, 3))))
    clauses = draw(
        st.lists(
            st.one_of(
                st.sampled_from(CLAUSES), conditions().map("when ".__add__), expressions().map("fallback ".__add__)
            ),
            max_size=3,
        )
    )
    mapped = "map " if draw(st.booleans()) else ""
    return f"    node {draw(NAMES)} = {mapped}{draw(NAMES)}({args}) {' '.join(clauses)}"


@st.composite
def programs(draw: st.DrawFn) -> str:
    lines = ["from m import f, g, E", "pool p limit 2"]
    for _ in range(draw(st.integers(1, 3))):
        params = ", ".join(f"{n}: int" for n in draw(st.lists(NAMES, max_size=3)))
        result = draw(st.sampled_from(["int", "None", "(a: int, b: str)", "list[int] | None"]))
        lines.append(f"flow {draw(NAMES)}({params}) -> {result} {{")
        lines += draw(st.lists(nodes(), max_size=6))
        for _ in range(draw(st.integers(0, 4))):
            terms = draw(
                st.lists(
                    st.one_of(
                        NAMES,
                        st.just("START"),
                        st.just("END"),
                        st.lists(NAMES, min_size=1, max_size=3).map(lambda n: f"[{', '.join(n)}]"),
                    ),
                    min_size=2,
                    max_size=5,
                )
            )
            lines.append("    " + " >> ".join(terms))
        if draw(st.booleans()):
            lines.append(f"    return {draw(expressions())}")
        lines.append("}")
    return "\n".join(lines) + "\n"


@given(programs())
def test_random_programs(text: str) -> None:
    check(text)


# ---------------------------------------------------------------- extremes

SKELETON = "from m import f, g\nflow h(x: int, xs: list[int]) -> int {{\n    node a = f(y={value}) when {cond}\n    START >> a >> END\n    return a\n}}\n"
TYPED = "flow h(x: {type}) -> None {{}}\n"


@given(
    st.integers(1, 3000),
    st.sampled_from([("[", "]"), ('{"k": ', "}"), ("first(", ", 1)"), ("[1, ", ", 2]"), ("[each ", "]")]),
    st.sampled_from(["x", "each xs", "a", "1"]),
)
def test_deep_nesting_of_values(depth: int, shape: tuple[str, str], core: str) -> None:
    opening, closing = shape
    check(SKELETON.format(value=opening * depth + core + closing * depth, cond="x"))


@given(st.integers(1, 3000), st.sampled_from(["not ", "(", "not ("]))
def test_deep_nesting_of_conditions(depth: int, prefix: str) -> None:
    closing = ")" * (depth * prefix.count("("))
    check(SKELETON.format(value="x", cond=prefix * depth + "x > 1" + closing))


@given(st.integers(1, 3000), st.sampled_from(["list[", "dict[str, ", "Callable[[", "tuple[int, "]))
def test_deep_nesting_of_types(depth: int, opening: str) -> None:
    closing = "]" * opening.count("[")
    check(TYPED.format(type=opening * depth + "int" + closing * depth))


def test_thousands_deep() -> None:
    for depth in (1000, 5000, 20000):
        check(SKELETON.format(value="[" * depth + "]" * depth, cond="x"))
        check(SKELETON.format(value="x", cond="not " * depth + "x"))
        check(SKELETON.format(value="x", cond="(" * depth + "x" + ")" * depth))
        check(TYPED.format(type="list[" * depth + "int" + "]" * depth))


@given(st.integers(1, 200_000), st.sampled_from(["node", "flow", "param", "ref", "pool", "import"]))
def test_huge_names(length: int, where: str) -> None:
    name = "n" * length
    texts = {
        "node": f"from m import f\nflow h(x: int) -> int {{\n node {name} = f(x=x)\n START >> {name} >> END\n return {name} }}",
        "flow": f"flow {name}(x: int) -> int {{ return x }}",
        "param": f"flow h({name}: int) -> int {{ return {name} }}",
        "ref": f"flow h(x: int) -> int {{ return {name} }}",
        "pool": f"pool {name} limit 2\nflow h(x: int) -> int {{ return x }}",
        "import": f"from {name} import {name}\nflow h(x: int) -> int {{ return x }}",
    }
    check(texts[where])


@given(st.integers(1, 20_000), st.sampled_from(["limit {}", "retry {}", "timeout {}s", "limit {}.5", "limit -{}"]))
def test_huge_numbers(digits: int, clause: str) -> None:
    number = "9" * digits
    check(SKELETON.replace("when {cond}", clause.format(number)).format(value=number))


def test_ten_to_the_five_thousand() -> None:
    huge = "1" + "0" * 5000
    check(SKELETON.format(value=huge, cond=f"x > {huge}"))
    check(f"pool p limit {huge}\nflow h(x: int) -> int {{ return x }}")
    check(f"flow h(x: int = {huge}e{huge}) -> int {{ return x }}")


UNUSUAL = st.sampled_from(
    [
        "\ud800",
        "\udfff",
        "\x00",
        "\u2028",
        "\u2029",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x85",
        "\ufeff",
        "\u200d",
        "é",
        "😀",
        "\u202e",
        "\r",
    ]
)


@given(st.sampled_from(VALID_TEXTS), st.data())
def test_unusual_characters_anywhere(text: str, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(UNUSUAL) + text[at:]
    check(text)
    check_bytes(text.encode("utf-8", "surrogatepass"))


@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=20))
def test_unusual_strings_and_escapes(content: str) -> None:
    escaped = content.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    for literal in (f'"{escaped}"', f'"\\ud800{escaped}"', f'"\\N{{{content}}}"', f"'{content}'"):
        check(f"flow h(s: str = {literal}) -> str {{ return s }}")


@given(st.sampled_from(VALID_TEXTS))
def test_line_ends_and_tabs_change_nothing(text: str) -> None:
    """CRLF for LF and a tab for each space keep a valid file valid, with the same IR."""
    original = check(text)
    assert original is not None
    for variant in (text.replace("\n", "\r\n"), tabs_for_spaces(text)):
        changed = check(variant)
        assert changed is not None and dump(changed) == dump(original)


def tabs_for_spaces(text: str) -> str:
    """Spaces outside strings and comments become tabs (one character each: same columns)."""
    return "".join(p.replace(" ", "\t") if p.isspace() else p for p in PIECES.findall(text))


# ---------------------------------------------------------------- mutations of generated flows

# Random valid flows of the proof (tests/proof/flowgen.py): maps, sub-flows, every clause,
# pools, conditions. Their mutants reach deeper into the checker than the hand-written cases.
GENERATED = proof_flows.examples(max_nodes=12).map(lambda example: example.text.replace("STEPS", "steps"))


@settings(max_examples=2500 if LONG else 250)
@given(GENERATED, st.data())
def test_mutated_generated_flows(text: str, data: st.DataObject) -> None:
    pieces = PIECES.findall(text)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(pieces) - 1))
        match data.draw(st.sampled_from(["delete", "duplicate", "insert", "replace"])):
            case "delete":
                del pieces[at]
            case "duplicate":
                pieces.insert(at, pieces[at])
            case "insert":
                pieces.insert(at, " " + data.draw(st.sampled_from(VOCABULARY)) + " ")
            case _:
                pieces[at] = data.draw(st.sampled_from(VOCABULARY + [p for p in pieces if p.strip()]))
        pieces = pieces or ["\n"]
    check("".join(pieces))


@settings(max_examples=400 if LONG else 40)
@given(GENERATED, st.data())
def test_what_the_front_end_accepts_compiles(text: str, data: st.DataObject) -> None:
    """A mutant the front end accepts also goes through code generation and black: the
    compiler as a whole ends in a module or a located error, never a traceback."""
    pieces = PIECES.findall(text)
    at = data.draw(st.integers(0, len(pieces) - 1))
    pieces[at] = data.draw(st.sampled_from([p for p in pieces if p.strip()]))
    mutant = "".join(pieces)
    if check(mutant) is None:
        return
    code = compile_source(mutant, "fuzz.flow")
    compile(code, "fuzz.py", "exec")


# ---------------------------------------------------------------- atheris

ATHERIS_TARGET = """
import sys
import atheris

with atheris.instrument_imports():
    from flowc.diagnostics import CompileError
    from flowc.compiler import analyze, decode


def one_input(data: bytes) -> None:
    try:
        analyze(decode(data, "fuzz.flow"))
    except CompileError as error:
        for diagnostic in error.diagnostics:
            assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1, diagnostic.concise()
        error.render()


atheris.Setup(sys.argv, one_input)
atheris.Fuzz()
"""


def test_atheris(tmp_path: Path) -> None:
    """Coverage-guided fuzzing of the front end (bytes in, IR or located error out), seeded
    with the valid cases: 5,000 runs (50,000 with FLOWC_LONG=1). Skipped where atheris is not
    installed (it is not among the dev dependencies: `pip install atheris`)."""
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, text in enumerate(VALID_TEXTS):
        (corpus / f"seed{i}").write_text(text, encoding="utf-8")
    (tmp_path / "target.py").write_text(ATHERIS_TARGET, encoding="utf-8")
    runs = 50_000 if LONG else 5_000
    result = subprocess.run(
        [sys.executable, "target.py", f"-runs={runs}", "-max_len=4096", "-seed=1", str(corpus)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    assert f"Done {runs} runs" in result.stderr
