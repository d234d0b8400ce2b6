"""How the command line reads and quotes `.flow` text: line ends, nesting limits, and carets
under tabs and wide characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from clitools import flowc, isolate, write

FLOW = "from m import f\n\nflow h(x: {type}) -> int {{\n    node a = f(v={value})\n    START >> a >> END\n    return a\n}}\n"
"""The flow's `{` and the call's `(` hold the value: two levels of nesting."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate(monkeypatch, tmp_path)


def test_cr_only_line_ends_are_a_located_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "mac.flow", "from m import f\nflow h(x: int) -> int {\r    return x\r}\r")
    result = flowc(capsys, "check", "mac.flow")
    assert result.code == 1
    assert "mac.flow:2:24: error: a carriage return without a line feed" in result.err
    assert "[encoding]" in result.err


def test_crlf_line_ends_count_lines(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "dos.flow", "from m import f\r\nflow h(x: int) -> int {\r\n    START >> q >> END\r\n}\r\n")
    result = flowc(capsys, "check", "dos.flow")
    assert result.code == 1
    assert "dos.flow:3:14: error: no node named `q`" in result.err


NESTED = {
    "list": lambda n: ("int", "[" * n + "1" + "]" * n),
    "dict": lambda n: ("int", '{"k": ' * n + "1" + "}" * n),
    "call": lambda n: ("int", "first(" * n + "x" + ")" * n),
    "list type": lambda n: ("list[" * n + "int" + "]" * n, "x"),
    "dict type": lambda n: ("dict[str, " * n + "int" + "]" * n, "x"),
    "tuple type": lambda n: ("tuple[int, " * n + "int" + "]" * n, "x"),
}


@pytest.mark.parametrize("shape", NESTED)
def test_the_nesting_limit_is_the_same_for_every_bracket(
    project: Path, capsys: pytest.CaptureFixture[str], shape: str
) -> None:
    """100 levels compile (the type's own `(` and a value's `{` and `(` count), one more is a
    located `too-deep` error, never a crash."""
    within = 99 if shape.endswith("type") else 98
    type_, value = NESTED[shape](within)
    result = flowc(capsys, "compile", "-", stdin=FLOW.format(type=type_, value=value).encode())
    assert result.code == 0, result.err[-500:]
    type_, value = NESTED[shape](within + 1)
    result = flowc(capsys, "compile", "-", stdin=FLOW.format(type=type_, value=value).encode())
    assert result.code == 1
    assert "error: brackets and `not` nested 101 deep here; flowc accepts at most 100 [too-deep]" in result.err


def test_a_chain_of_not_counts_toward_the_limit(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = "from m import f\nflow h(x: bool) -> int {{\n    node a = f(v=1) when {cond}\n    START >> a >> END\n    return a\n}}\n"
    assert flowc(capsys, "check", "-", stdin=flow.format(cond="not " * 99 + "x").encode()).code == 0
    result = flowc(capsys, "check", "-", stdin=flow.format(cond="not " * 100 + "x").encode())
    assert result.code == 1 and "[too-deep]" in result.err


BODY = "from m import f\nflow h(x: int) -> int {{\n{line}\n    START >> a >> END\n    return a\n}}\n"


def test_the_caret_stands_under_a_name_after_wide_characters(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "wide.flow", BODY.format(line='    node a = f(s="名前", v=zz)'))
    result = flowc(capsys, "check", "wide.flow")
    assert "wide.flow:3:26: error: `zz` is not a parameter or node" in result.err
    assert '3 |     node a = f(s="名前", v=zz)\n  | ' + " " * 27 + "^~\n" in result.err


def test_the_caret_stands_under_a_name_after_tabs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "tabs.flow", BODY.format(line="\tnode a =\tf(v=zz)"))
    result = flowc(capsys, "check", "tabs.flow")
    assert "tabs.flow:3:15: error: `zz` is not a parameter or node" in result.err
    assert "3 |     node a =    f(v=zz)\n  | " + " " * 20 + "^~\n" in result.err


def test_a_wide_character_is_underlined_across_both_cells(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "name.flow", BODY.format(line="    node 名 = f(v=x)"))
    result = flowc(capsys, "check", "name.flow")
    assert result.code == 1
    assert "3 |     node 名 = f(v=x)\n  |          ^~\n" in result.err


def test_a_long_line_is_cut_around_the_caret(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A line of more than 120 cells is quoted as a window of 120 around the caret, `…`
    where it is cut; wide characters count two cells, and the caret stays under its name."""
    items = ", ".join(f'"名{i}"' for i in range(60))
    write(project / "long.flow", BODY.format(line=f"    node a = f(s=[{items}], v=zz, w=1)"))
    result = flowc(capsys, "check", "long.flow")
    quoted, caret = result.err.split("\n")[2:4]
    shown = quoted.removeprefix("3 | ")
    assert shown.startswith("…") and shown.endswith("v=zz, w=1)"), quoted
    cells = sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in shown)
    assert cells <= 121, cells
    under = caret.removeprefix("  | ")
    column = under.index("^")
    assert sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in shown[: shown.index("zz")]) == column
    assert under[column:] == "^~"
    short = flowc(capsys, "check", "-", stdin=BODY.format(line="    node a = f(v=zz)").encode())
    assert "3 |     node a = f(v=zz)\n" in short.err, "a short line is quoted whole"
