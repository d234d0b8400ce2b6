"""Diagnostic formats (full, concise, json, sarif, github) and the colour rules."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from clitools import BROKEN, DIAMOND, flowc, isolate, write

from flowc.cli.report import use_color
from flowc.codes import REGISTRY


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = isolate(monkeypatch, tmp_path)
    write(root / "flows" / "broken.flow", BROKEN)
    write(root / "flows" / "diamond.flow", DIAMOND)
    return root


def test_full_format_shows_the_source_line_and_a_caret(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = flowc(capsys, "check", "flows/broken.flow").err
    assert "flows/broken.flow:5:14: error: " in err
    assert "5 |     START >> prepar >> END\n" in err
    assert "  |              ^~~~~~\n" in err
    assert "help: did you mean `prepare`?" in err


def test_concise_format_is_one_line_per_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "check", "flows/broken.flow", "--output-format", "concise")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("flows/")]
    assert errors and all(": error: " in line and line.endswith("]") for line in errors)
    assert "|" not in result.err and "help:" not in result.err


def test_json_format_is_a_list_of_diagnostics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "check", "flows", "--output-format", "json")
    assert result.code == 1
    items = json.loads(result.err)
    assert isinstance(items, list) and items
    keys = {"path", "line", "column", "end_line", "end_column", "severity", "code", "message", "help", "notes"}
    assert all(set(item) == keys for item in items)
    first = next(item for item in items if item["line"] == 5)
    assert first["path"] == "flows/broken.flow"
    assert (first["column"], first["end_line"], first["end_column"]) == (14, 5, 20)
    assert first["severity"] == "error" and first["code"] in REGISTRY
    assert first["help"] == "did you mean `prepare`?"


def test_json_format_is_an_empty_list_without_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "check", "flows/diamond.flow", "--output-format", "json")
    assert result.code == 0
    assert json.loads(result.err) == []


def test_sarif_format_has_the_required_fields(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "check", "flows", "--output-format", "sarif")
    assert result.code == 1
    log = json.loads(result.err)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "flowc" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule["shortDescription"]["text"] for rule in driver["rules"]}
    assert rules and all(REGISTRY[code].description == text for code, text in rules.items())
    assert run["results"]
    for item in run["results"]:
        assert item["ruleId"] in rules and item["level"] == "error" and item["message"]["text"]
        assert driver["rules"][item["ruleIndex"]]["id"] == item["ruleId"]
        location = item["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "flows/broken.flow"
        assert set(location["region"]) == {"startLine", "startColumn", "endLine", "endColumn"}


def test_sarif_carries_stale_outputs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "compile", "--check", "flows/diamond.flow", "--output-format", "sarif")
    assert result.code == 1
    run = json.loads(result.err)["runs"][0]
    [item] = run["results"]
    assert item["ruleId"] == "missing-output"
    assert item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "flows/diamond.py"
    assert "flowc compile flows/diamond.flow" in item["message"]["text"]


def test_github_format_is_a_workflow_command(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "check", "flows/broken.flow", "--output-format", "github")
    assert result.code == 1
    line = next(x for x in result.err.splitlines() if ",line=5," in x)
    prefix = "::error file=flows/broken.flow,line=5,col=14,endLine=5,endColumn=20,title=flowc [undefined-node]::"
    assert line.startswith(prefix)
    assert "%0Ahelp: did you mean `prepare`?" in line


@pytest.mark.parametrize(
    ("choice", "env", "tty", "expected"),
    [
        ("auto", {}, False, False),
        ("auto", {}, True, True),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": ""}, True, True),
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
        ("auto", {"TERM": "dumb"}, True, False),
        ("always", {"NO_COLOR": "1"}, False, True),
        ("never", {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_colour_rules(choice: str, env: dict[str, str], tty: bool, expected: bool) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert use_color(choice, Stream(), env) is expected


def test_no_colour_when_stderr_is_not_a_terminal(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "\x1b[" not in flowc(capsys, "check", "flows/broken.flow").err


def test_force_color_and_no_color(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[31merror:" in flowc(capsys, "check", "flows/broken.flow").err
    assert "\x1b[" not in flowc(capsys, "check", "flows/broken.flow", "--color", "never").err
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in flowc(capsys, "check", "flows/broken.flow").err
    assert "\x1b[" in flowc(capsys, "check", "flows/broken.flow", "--color", "always").err
