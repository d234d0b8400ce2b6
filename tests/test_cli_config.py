"""`[tool.flowc]`: discovery, precedence of flags, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clitools import BROKEN, DIAMOND, TWO, flowc, isolate, write


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = isolate(monkeypatch, tmp_path)
    write(root / "flows" / "diamond.flow", DIAMOND)
    write(root / "flows" / "sub" / "two.flow", TWO)
    write(root / "flows" / "broken.flow", BROKEN)
    write(
        root / "pyproject.toml",
        '[project]\nname = "demo"\n\n[tool.flowc]\nsources = ["flows"]\noutput-format = "concise"\n'
        'exclude = ["broken.flow"]\n',
    )
    return root


def test_configuration_is_found_from_a_subfolder(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "flows" / "sub")
    result = flowc(capsys, "check", "-v")
    assert result.code == 0, result.err
    assert "flowc: configuration from ../../pyproject.toml" in result.err
    assert "ok flows/diamond.flow" in result.err and "ok flows/sub/two.flow" in result.err
    assert "broken" not in result.err


def test_the_nearest_table_wins_and_search_stops_at_git(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / "flows" / "pyproject.toml", '[project]\nname = "no-flowc-table"\n')
    monkeypatch.chdir(project / "flows")
    assert flowc(capsys, "check").code == 0
    (project / "flows" / ".git").mkdir()
    result = flowc(capsys, "check")
    assert result.code == 2
    assert "no PATH given" in result.err


def test_flags_override_the_configuration(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    concise = flowc(capsys, "check", "flows/broken.flow")
    assert concise.code == 1
    assert "|" not in concise.err and "flows/broken.flow:5:14: error:" in concise.err
    full = flowc(capsys, "check", "flows/broken.flow", "--output-format", "full")
    assert "5 |     START >> prepar >> END" in full.err
    as_json = flowc(capsys, "check", "flows/broken.flow", "--output-format", "json")
    assert json.loads(as_json.err)[0]["path"] == "flows/broken.flow"


def test_paths_given_override_sources(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "check", "flows/sub", "-v")
    assert result.code == 0
    assert "ok flows/sub/two.flow" in result.err and "diamond" not in result.err


def test_a_file_named_explicitly_is_never_excluded(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert flowc(capsys, "check", "flows/broken.flow").code == 1


def test_isolated_ignores_the_configuration(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert flowc(capsys, "check", "--isolated").code == 2
    assert flowc(capsys, "check", "flows", "--isolated").code == 1


def test_unknown_key_suggests_the_closest(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "pyproject.toml", '[tool.flowc]\nsource = ["flows"]\n')
    result = flowc(capsys, "check")
    assert result.code == 2
    assert "unknown key `source` in [tool.flowc]" in result.err
    assert "help: did you mean `sources`?" in result.err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('sources = "flows"', "`sources` must be a list of strings"),
        ("output = 3", "`output` must be a string"),
        ('output-format = "xml"', '`output-format` must be one of "full", "concise", "json", "sarif", "github"'),
        ('color = "sometimes"', "`color` must be one of"),
        ("exclude = [1]", "`exclude` must be a list of strings"),
    ],
)
def test_invalid_values_are_configuration_errors(
    project: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    write(project / "pyproject.toml", f"[tool.flowc]\n{line}\n")
    result = flowc(capsys, "check", "flows")
    assert result.code == 2
    assert message in result.err


def test_invalid_toml_is_a_configuration_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "pyproject.toml", "[tool.flowc\n")
    result = flowc(capsys, "check", "flows")
    assert result.code == 2
    assert "is not valid TOML" in result.err


def test_an_explicit_configuration_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "ci" / "flowc.toml", 'sources = ["../flows/sub"]\n')
    result = flowc(capsys, "check", "--config", "ci/flowc.toml", "-v")
    assert result.code == 0, result.err
    assert "ok ../flows/sub/two.flow" in result.err
    assert flowc(capsys, "check", "--config", "missing.toml").code == 2


def test_configured_output_folder(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / "pyproject.toml", '[tool.flowc]\nsources = ["flows"]\noutput = "gen"\nexclude = ["broken*"]\n')
    monkeypatch.chdir(project / "flows")
    result = flowc(capsys, "compile")
    assert result.code == 0, result.err
    assert (project / "gen" / "diamond.py").is_file() and (project / "gen" / "sub" / "two.py").is_file()
    assert "from flows/sub/two.flow." in (project / "gen" / "sub" / "two.py").read_text(encoding="utf-8")
    monkeypatch.chdir(project)
    # A file named on the command line (as pre-commit does) mirrors under its configured source.
    assert flowc(capsys, "compile", "--check", "flows/sub/two.flow").code == 0


def test_a_deeply_nested_configuration_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "deep.toml", "sources = " + "[" * 5000 + "]" * 5000 + "\n")
    result = flowc(capsys, "check", "flows", "--config", "deep.toml")
    assert result.code == 2
    assert "deep.toml` is nested too deeply to read" in result.err
    assert "internal error" not in result.err


def test_a_configuration_that_never_ends_is_read_only_so_far(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "check", "flows", "--config", "/dev/zero")
    assert result.code == 2
    assert "cannot read configuration file `/dev/zero`: larger than 1 MiB" in result.err


def test_headers_are_the_same_from_any_working_folder(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a configuration file, a module's header and node comments name its source
    relative to that file's folder: compiling from the root and from inside the sources
    gives the same bytes, and `compile --check` from the root finds it up to date."""
    module = project / "flows" / "sub" / "two.py"
    assert flowc(capsys, "compile", "flows/sub/two.flow").code == 0
    from_root = module.read_bytes()
    assert from_root.startswith(b"# @generated by flowc 0.1.0 from flows/sub/two.flow. DO NOT EDIT.\n")
    module.unlink()
    monkeypatch.chdir(project / "flows" / "sub")
    result = flowc(capsys, "compile", "two.flow", "-v")
    assert result.code == 0 and "wrote two.py" in result.err, result.err
    assert module.read_bytes() == from_root
    monkeypatch.chdir(project)
    assert flowc(capsys, "compile", "flows").code == 0
    check = flowc(capsys, "compile", "--check")
    assert check.code == 0 and "2 up to date, 0 stale, 0 missing, 0 orphaned" in check.err, check.err


def test_the_header_command_works_from_the_configuration_folder(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "flows")
    assert flowc(capsys, "compile", "sub/two.flow", "-o", "../gen").code == 0
    header = (project / "gen" / "sub" / "two.py").read_text(encoding="utf-8").splitlines()[2]
    assert header == "# regenerate: flowc compile flows/sub/two.flow -o gen"
    monkeypatch.chdir(project)
    result = flowc(capsys, "compile", *header.split()[4:])
    assert result.code == 0 and "0 compiled, 1 unchanged" in result.err, result.err


def test_without_a_configuration_headers_are_relative_to_the_working_folder(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "flows")
    assert flowc(capsys, "compile", "--isolated", "sub/two.flow").code == 0
    assert (
        (project / "flows" / "sub" / "two.py")
        .read_text(encoding="utf-8")
        .startswith("# @generated by flowc 0.1.0 from sub/two.flow.")
    )


def test_an_orphan_is_found_by_the_header_relative_to_the_configuration(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "flows")
    assert flowc(capsys, "compile", "sub").code == 0
    assert flowc(capsys, "compile", "--check", "sub").code == 0
    (project / "flows" / "sub" / "two.flow").unlink()
    result = flowc(capsys, "compile", "--check", "sub")
    assert result.code == 1 and "generated from `flows/sub/two.flow`, which no longer exists" in result.err
