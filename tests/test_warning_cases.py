"""Files that compile with warnings: `tests/cases/warnings/*.flow`, each warning expected
inline as `# W:COLUMN: code` on its line (the syntax of `test_error_cases.py`, with `W`).
`NAME.err` pins what `flowc check NAME.flow` prints. A warning never fails a command, but
`--warnings-as-errors` does."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from clitools import flowc, isolate, write
from test_error_cases import Expected, compare_golden, marked

from flowc import codes
from flowc.cli.batch import Counts, check_bytes
from flowc.cli.report import Reporter
from flowc.compiler import analyze, decode
from flowc.diagnostics import Diagnostic

CASES = Path(__file__).parent / "cases" / "warnings"
INLINE = re.compile(r"#\s*W:(\d+):\s*([a-z][a-z-]*)")
WARNINGS = {code.code for code in codes.REGISTRY.values() if code.warning}


def case_files() -> list[Path]:
    return sorted(CASES.glob("*.flow"))


def expectations(text: str) -> list[Expected]:
    return marked(text, INLINE)


def warnings_of(path: Path) -> list[Diagnostic]:
    return list(analyze(decode(path.read_bytes(), path.name)).warnings)


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_warning_case(path: Path) -> None:
    expected = expectations(path.read_text("utf-8"))
    actual = warnings_of(path)
    found = sorted(Expected(d.span.line, d.span.column, d.code) for d in actual)
    assert found == expected, "\n".join(d.concise() for d in actual)
    for diagnostic in actual:
        assert diagnostic.severity == "warning" and diagnostic.help, diagnostic
        assert diagnostic.concise().startswith(
            f"{path.name}:{diagnostic.span.line}:{diagnostic.span.column}: warning: "
        )


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_warning_case_rendering(path: Path, update_golden: bool) -> None:
    stream = io.StringIO()
    assert check_bytes(path.read_bytes(), path.name, Reporter(stream), Counts()) is not None
    compare_golden(path.with_suffix(".err"), stream.getvalue().rstrip("\n") + "\n", update_golden)


def test_every_warning_has_a_case() -> None:
    covered = {e.code for path in case_files() for e in expectations(path.read_text("utf-8"))}
    assert covered == WARNINGS


def test_samples_have_no_warnings() -> None:
    for path in sorted((Path(__file__).parent.parent / "samples").glob("*.flow")):
        assert warnings_of(path) == [], path.name


def test_a_file_with_errors_gets_no_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    """Warnings are looked for in a file that compiles: its errors come first, alone."""
    source = "from m import f, unused\nflow g(x: int) -> int {\n    node a = f(x=y)\n    START >> a >> END\n    return a\n}\n"
    outcome = flowc(capsys, "check", "-", stdin=source.encode())
    assert outcome.code == 1
    assert "undefined-ref" in outcome.err and "unused-import" not in outcome.err


def test_warnings_fail_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path)
    write(tmp_path / "w.flow", (CASES / "unused_import.flow").read_text("utf-8"))
    for command in (["check", "w.flow"], ["compile", "w.flow"]):
        outcome = flowc(capsys, *command)
        assert outcome.code == 0 and "warning: `spare` is imported" in outcome.err, outcome.err
        assert "1 with warnings" in outcome.err or command[0] == "compile"
        strict = flowc(capsys, *command, "--warnings-as-errors")
        assert strict.code == 1, strict.err
    assert (tmp_path / "w.py").exists(), "a warning does not stop a compile"
    quiet = flowc(capsys, "check", "-q", "w.flow")
    assert quiet.code == 0 and quiet.err == ""
    write(tmp_path / "pyproject.toml", "[tool.flowc]\nwarnings-as-errors = true\n")
    assert flowc(capsys, "check", "w.flow").code == 1


def test_warnings_in_machine_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path)
    write(tmp_path / "w.flow", (CASES / "unused_import.flow").read_text("utf-8"))
    outcome = flowc(capsys, "check", "--output-format", "json", "w.flow")
    assert {item["severity"] for item in json.loads(outcome.err)} == {"warning"}
    sarif = json.loads(flowc(capsys, "check", "--output-format", "sarif", "w.flow").err)
    assert {r["level"] for r in sarif["runs"][0]["results"]} == {"warning"}
    github = flowc(capsys, "check", "--output-format", "github", "w.flow").err
    assert github.startswith("::warning file=w.flow,line=3,col=56"), github
