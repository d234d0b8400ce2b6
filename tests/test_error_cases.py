"""Files that must be rejected: `tests/cases/errors/*.flow`, with the expected errors written
inline, plus a table of inputs that cannot be committed as text (bad bytes, empty files).

Beside each case, `NAME.err` pins what a user sees from `flowc check NAME.flow`: every
`file:line:col: error: message [code]` line, the source line and caret, `help:` and notes
(the inputs of the table have theirs in `bytes/`). `pytest --update-golden` rewrites them;
review the diff, reading each message as a new user would.

Expectation syntax, in a comment on the line the error points at:

    node a = f(x=y)   # E:18: undefined-ref        code `undefined-ref` at column 18
    node b = g()      # E: dead-end                code `dead-end`, any column
    x = 1             # E:3: syntax # E:9: syntax  several on one line

and, on the first line of a file, `# E@EOF: CODE` for an error at the end of the input: just
after its last character that is neither whitespace nor in a comment. Each file must produce
exactly the errors it states: as many, on those lines, with those codes and columns.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from clitools import TWO, flowc, isolate, write

from flowc import codes
from flowc.cli import files
from flowc.cli.batch import Counts, check_bytes
from flowc.cli.report import Reporter
from flowc.compiler import analyze, decode
from flowc.diagnostics import MAX_SHOWN, CompileError, Diagnostic, printable
from flowc.source import Source

CASES = Path(__file__).parent / "cases" / "errors"
BYTES = CASES / "bytes"
INLINE = re.compile(r"#\s*E(?::(\d+))?:\s*([a-z][a-z-]*)")
AT_EOF = re.compile(r"#\s*E@EOF:\s*([a-z][a-z-]*)")
LARK_INTERNALS = ("__ANON", "RPAR", "LPAR", "LSQB", "RSQB", "LBRACE", "RBRACE", "$END", "Token(", "INDEX_OPEN", "COMMA")
ALL_CODES = {
    code.code for code in codes.REGISTRY.values() if not (code.whole_file or code.warning or code.type_checker)
}
"""The codes of errors inside a `.flow` file; those of whole files come from the command line,
warnings have their cases in `test_warning_cases.py`, the type checker's in `test_types.py`."""


@dataclass(frozen=True, order=True)
class Expected:
    line: int
    column: int | None
    code: str


def case_files() -> list[Path]:
    return sorted(CASES.glob("*.flow"))


def expectations(text: str) -> list[Expected]:
    found = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        found += [Expected(number, int(col) if col else None, code) for col, code in INLINE.findall(line)]
    if lines and (match := AT_EOF.search(lines[0])):
        line, column = end_of_code(lines)
        found.append(Expected(line, column, match.group(1)))
    return sorted(found, key=lambda e: (e.line, e.column or 0, e.code))


def marked(text: str, pattern: re.Pattern[str]) -> list[Expected]:
    """Expectations written on the lines they concern, each a (column, code) match of
    `pattern` (`# W:10: unused-node` for warnings, `# T:31: type` for type errors)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        found += [Expected(number, int(column), code) for column, code in pattern.findall(line)]
    return sorted(found)


def end_of_code(lines: list[str]) -> tuple[int, int]:
    """Just after the last character outside comments (case files keep `#` out of strings)."""
    for number in range(len(lines), 0, -1):
        code = lines[number - 1].split("#", 1)[0].rstrip()
        if code:
            return number, len(code) + 1
    return 1, 1


def diagnostics_of(data: bytes, name: str) -> tuple[list[Diagnostic], Source | None]:
    try:
        analyze(decode(data, name))
    except CompileError as error:
        return error.diagnostics, error.source
    return [], None


def match(expected: list[Expected], actual: list[Diagnostic]) -> tuple[list[Expected], list[str]]:
    """Pair each expectation with one diagnostic; return what is missing and what is extra."""
    left = [(d.span.line, d.span.column, d.code, d.concise()) for d in actual]
    missing = []
    for want in sorted(expected, key=lambda e: e.column is None):
        hit = next((d for d in left if d[0] == want.line and d[2] == want.code and want.column in (None, d[1])), None)
        if hit is None:
            missing.append(want)
        else:
            left.remove(hit)
    return missing, [d[3] for d in left]


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_error_case(path: Path) -> None:
    data = path.read_bytes()
    expected = expectations(data.decode("utf-8"))
    assert expected, f"{path.name} states no expected error"
    actual, source = diagnostics_of(data, path.name)
    missing, extra = match(expected, actual)
    assert not missing and not extra, f"{path.name}\n  missing: {missing}\n  unexpected: {extra}\n\n" + "\n\n".join(
        d.render(source) for d in actual
    )
    for diagnostic in actual:
        check_rendering(diagnostic, source)


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_error_case_rendering(path: Path, update_golden: bool) -> None:
    compare_golden(path.with_suffix(".err"), rendered(path.read_bytes(), path.name), update_golden)


def rendered(data: bytes, name: str) -> str:
    """What `flowc check NAME` prints for a file with errors, without the final blank line
    and the summary (it carries a time)."""
    stream = io.StringIO()
    assert not check_bytes(data, name, Reporter(stream), Counts())
    return stream.getvalue().rstrip("\n") + "\n"


def compare_golden(golden: Path, text: str, update: bool) -> None:
    if update:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run `pytest --update-golden` and review it"
    assert text == golden.read_text(encoding="utf-8"), f"{golden.name} differs: run `pytest --update-golden`"


def test_every_golden_has_its_case() -> None:
    cases = {p.stem for p in case_files()} | {f"bytes/{name}" for name, _, _ in TABLE}
    goldens = {str(p.relative_to(CASES).with_suffix("")) for p in CASES.rglob("*.err")}
    assert sorted(goldens - cases) == [], "golden files without a case: delete them"


def test_case_columns_are_mostly_stated() -> None:
    stated = [e for path in case_files() for e in expectations(path.read_text("utf-8"))]
    assert sum(e.column is not None for e in stated) > 0.9 * len(stated)


def check_rendering(diagnostic: Diagnostic, source: Source | None) -> None:
    """`path:line:col: error: message [code]`, the source line, a caret under the column."""
    text = diagnostic.render(source)
    lines = text.split("\n")
    span = diagnostic.span
    assert span.line >= 1 and span.column >= 1
    assert lines[0] == f"{diagnostic.path}:{span.line}:{span.column}: error: {diagnostic.message} [{diagnostic.code}]"
    assert source is not None
    gutter = f"{span.line} | "
    assert lines[2].startswith(gutter), text
    shown, full = lines[2][len(gutter) :], printable(source.line_text(span.line))
    caret = lines[3]
    if len(full) <= MAX_SHOWN:
        assert shown == full, text
        assert caret.index("^") == len(gutter) + span.column - 1, text
    else:  # a window of the line around the caret
        assert shown.strip("…") in full and len(shown) <= MAX_SHOWN + 2, text
    words = " ".join([diagnostic.message, diagnostic.help or "", *diagnostic.notes])
    for internal in LARK_INTERNALS:
        assert internal not in words, f"lark internals in: {words}"
    assert not diagnostic.message[:1].isupper(), "messages start in lowercase"
    for line in lines[4:]:
        assert line.startswith(("help: ", "note: ")), text


# ---------------------------------------------------------------- inputs that are not text

TABLE: list[tuple[str, bytes, list[tuple[int, int, str]]]] = [
    ("not-utf8-first-byte", b"\xff\xfeflow", [(1, 1, codes.ENCODING.code)]),
    ("not-utf8-later", b"flow f(x: int) -> int {\n    return x  # caf\xe9\n}\n", [(2, 20, codes.ENCODING.code)]),
    ("encoded-surrogate", b"# \xed\xa0\x80\n", [(1, 3, codes.ENCODING.code)]),
    ("binary-nul", b"flow\x00\x01\x02", [(1, 5, codes.ENCODING.code)]),
    ("binary-nul-line-2", b"# x\nab\x00", [(2, 3, codes.ENCODING.code)]),
    ("empty", b"", [(1, 1, codes.EMPTY.code)]),
    ("whitespace-only", b"  \n\t\n\n", [(1, 1, codes.EMPTY.code)]),
    ("bom-then-nothing", b"\xef\xbb\xbf", [(1, 1, codes.EMPTY.code)]),
]


@pytest.mark.parametrize(("name", "data", "wanted"), TABLE, ids=[t[0] for t in TABLE])
def test_bytes_case(name: str, data: bytes, wanted: list[tuple[int, int, str]]) -> None:
    actual, source = diagnostics_of(data, f"{name}.flow")
    assert [(d.span.line, d.span.column, d.code) for d in actual] == wanted
    for diagnostic in actual:
        check_rendering(diagnostic, source)


@pytest.mark.parametrize(("name", "data"), [t[:2] for t in TABLE], ids=[t[0] for t in TABLE])
def test_bytes_case_rendering(name: str, data: bytes, update_golden: bool) -> None:
    compare_golden(BYTES / f"{name}.err", rendered(data, f"{name}.flow"), update_golden)


def test_lone_surrogate_in_text() -> None:
    source = Source("s.flow", 'flow f() -> str {\n    return "a\ud800"\n}\n')
    with pytest.raises(CompileError) as caught:
        analyze(source)
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.span.line, diagnostic.span.column, diagnostic.code) == (2, 14, codes.ENCODING.code)
    check_rendering(diagnostic, caught.value.source)
    assert caught.value.render() == (
        "s.flow:2:14: error: the text contains U+D800, a lone surrogate, which UTF-8 cannot encode [encoding]\n"
        "  |\n"
        '2 |     return "a\ufffd"\n'
        "  |              ^\n"
        'help: remove it, or write it as an escape inside a string: `"\\ud800"`'
    )


def test_a_bom_is_allowed() -> None:
    source = decode(b"\xef\xbb\xbfflow f(x: int) -> int { return x }\n", "bom.flow")
    assert [f.name for f in analyze(source).flows] == ["f"]


# ---------------------------------------------------------------- codes


def test_the_registry_is_keyed_by_name() -> None:
    assert all(name == code.code and code.description for name, code in codes.REGISTRY.items())
    constants = [value for name, value in vars(codes).items() if name.isupper() and isinstance(value, codes.ErrorCode)]
    assert constants == list(codes.REGISTRY.values()), "every code is a constant of flowc.codes, declared once"


def test_every_code_has_a_case() -> None:
    """Each code of a `.flow` file's errors is produced by an error case; each code of the
    command line's whole-file problems by `test_whole_file_problems`."""
    covered = {e.code for path in case_files() for e in expectations(path.read_text("utf-8"))}
    covered |= {code for _, _, wanted in TABLE for _, _, code in wanted}
    # The errors of imports between files are pinned by the projects of tests/test_projects.py.
    projects = Path(__file__).parent / "cases" / "projects" / "errors"
    covered |= {
        match
        for err in projects.glob("*/main.err")
        for match in re.findall(r"\[([a-z-]+)\]$", err.read_text("utf-8"), re.M)
    }
    assert covered == ALL_CODES, f"codes without a case: {sorted(ALL_CODES - covered)}"
    whole_file = {code.code for code in codes.REGISTRY.values() if code.whole_file}
    pinned = {"stale-output", "missing-output", "orphaned-output", "io-error", "foreign-output"}
    assert whole_file == pinned, "a new whole-file code needs its case in test_whole_file_problems"


def test_whole_file_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The codes no `.flow` text produces, as `flowc compile --check` and `flowc compile`
    print them: every message and `help:` pinned."""
    root = isolate(monkeypatch, tmp_path)
    for name in ("stale", "gone"):
        write(root / f"{name}.flow", TWO.replace("flow two", f"flow {name}"))
    assert flowc(capsys, "compile", "stale.flow", "gone.flow").code == 0
    (root / "gone.flow").unlink()
    write(root / "stale.flow", TWO.replace("flow two", "flow stale") + "# edited\n")
    write(root / "new.flow", TWO.replace("flow two", "flow new"))
    result = flowc(capsys, "compile", "--check", "-q", ".")
    assert result.err == (
        "new.py: error: missing: `new.flow` compiles to it [missing-output]\n"
        "help: run `flowc compile .`\n"
        "stale.py: error: out of date with `stale.flow` [stale-output]\n"
        "help: run `flowc compile .`\n"
        "gone.py: error: generated from `gone.flow`, which no longer exists [orphaned-output]\n"
        "help: delete it: `rm gone.py`\n"
        "flowc: 3 outputs are out of date; fix with: rm gone.py && flowc compile .\n"
    )

    def refuse(path: object, data: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "write_atomic", refuse)
    result = flowc(capsys, "compile", "-q", "new.flow")
    assert result.err == "new.py: error: cannot write the file: Permission denied [io-error]\n"

    write(root / "hand.flow", TWO.replace("flow two", "flow hand"))
    write(root / "hand.py", "print('written by hand')\n")
    result = flowc(capsys, "compile", "--check", "-q", "hand.flow")
    assert result.err == (
        "hand.py: error: exists and is not generated by flowc; `hand.flow` would overwrite it [foreign-output]\n"
        "help: rename or move it, or pass `--force` to overwrite it\n"
    )


def test_every_case_code_exists() -> None:
    for path in case_files():
        for expected in expectations(path.read_text("utf-8")):
            assert expected.code in ALL_CODES, f"{path.name}: unknown code {expected.code}"


def test_codes_are_stable() -> None:
    """Codes are a public interface (users search for them, tools filter on them): this list
    changes only by adding."""
    assert ALL_CODES >= {
        "encoding", "empty", "syntax", "too-deep", "invalid-literal", "reserved-name", "parameter-order",
        "duplicate-name", "duplicate-argument", "duplicate-clause", "undefined-ref", "undefined-node",
        "undefined-callee", "undefined-type", "undefined-pool", "undefined-exception", "invalid-type",
        "invalid-call", "invalid-expression", "invalid-edge", "not-positive", "cycle", "unbound-input",
        "unreachable", "dead-end", "each-outside-map", "map-each", "map-only-clause", "fallback-collect",
        "clause-conflict", "recursion", "subflow-arguments", "pool-deadlock", "return-mismatch",
    }  # fmt: skip
