"""Build integration: the pre-commit hooks as written in `.pre-commit-hooks.yaml`, and the
hatchling build hook (in-process for editable installs and check mode, and a real wheel)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from clitools import BROKEN, DIAMOND, STEPS, TWO, isolate, process_env, write

from flowc.cli.hatch_hook import FlowcBuildHook

REPO = Path(__file__).resolve().parent.parent


def hook_entries() -> dict[str, str]:
    """`id: entry` of every hook in `.pre-commit-hooks.yaml` (a flat list of mappings, read
    without a YAML library)."""
    text = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    entries: dict[str, str] = {}
    for block in re.split(r"^- ", text, flags=re.M)[1:]:
        fields = dict(re.findall(r"^\s*(\w+): (.*)$", "  " + block, re.M))
        assert fields["files"] == r"\.flow$" and fields["pass_filenames"] == "true"
        entries[fields["id"]] = fields["entry"]
    return entries


def hook_command(entry: str, filenames: list[str]) -> list[str]:
    """The hook's command as pre-commit runs it: the entry, then the file names."""
    command = shlex.split(entry) + filenames
    script = Path(sys.executable).parent / command[0]
    if script.is_file():
        return [str(script), *command[1:]]
    return [sys.executable, "-m", "flowc", *command[1:]]


def test_pre_commit_hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = hook_entries()
    assert set(entries) == {"flowc", "flowc-check", "flowc-types"}
    root = isolate(monkeypatch, tmp_path)
    write(root / "flows" / "diamond.flow", DIAMOND)
    write(root / "flows" / "two.flow", TWO)
    changed = ["flows/diamond.flow", "flows/two.flow"]

    def run(hook: str) -> subprocess.CompletedProcess[str]:
        command = hook_command(entries[hook], changed)
        return subprocess.run(command, cwd=root, capture_output=True, text=True, env=process_env(), timeout=60)

    assert run("flowc-check").returncode == 1
    assert not (root / "flows" / "diamond.py").exists()
    regenerate = run("flowc")
    assert regenerate.returncode == 0, regenerate.stderr
    assert (root / "flows" / "diamond.py").is_file() and (root / "flows" / "two.py").is_file()
    assert run("flowc-check").returncode == 0
    write(root / "flows" / "two.flow", TWO.replace("doubled", "twice"))
    stale = run("flowc-check")
    assert stale.returncode == 1
    assert "flows/two.py: error: out of date" in stale.stderr
    write(root / "steps.py", STEPS)
    typed = run("flowc-types")
    assert typed.returncode == 0, typed.stderr
    write(root / "flows" / "two.flow", TWO.replace("double(x=prepare)", 'double(x="prepare")'))
    mistyped = run("flowc-types")
    assert mistyped.returncode == 1
    assert "flows/two.flow:5:29: error: node `doubled`: argument `x` of `double` expects `int`" in mistyped.stderr


# ---------------------------------------------------------------- the hatchling hook


def example_project(root: Path, *, sources: str = '["src"]', mode: str = "compile") -> Path:
    write(
        root / "pyproject.toml",
        f"""\
[build-system]
requires = ["hatchling", "flowc"]
build-backend = "hatchling.build"

[project]
name = "tinyflows"
version = "0.1.0"

[tool.hatch.build.targets.wheel]
packages = ["src/tinyflows"]

[tool.hatch.build.hooks.flowc]
sources = {sources}
mode = "{mode}"
""",
    )
    write(root / "src" / "tinyflows" / "__init__.py", "")
    write(root / "src" / "tinyflows" / "steps.py", STEPS)
    write(root / "src" / "tinyflows" / "diamond.flow", DIAMOND.replace("from steps", "from tinyflows.steps"))
    return root


def hook(root: Path, config: dict[str, Any], target: str = "wheel") -> FlowcBuildHook:
    return FlowcBuildHook(str(root), config, None, None, str(root / "dist"), target)  # type: ignore[arg-type]


def test_editable_install_writes_beside_the_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = example_project(isolate(monkeypatch, tmp_path))
    build_data: dict[str, Any] = {"artifacts": [], "force_include": {}}
    hook(root, {"sources": ["src"]}).initialize("editable", build_data)
    generated = root / "src" / "tinyflows" / "diamond.py"
    assert "from src/tinyflows/diamond.flow." in generated.read_text(encoding="utf-8").splitlines()[0]
    assert build_data["force_include"] == {}


def test_check_mode_fails_on_a_missing_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = example_project(isolate(monkeypatch, tmp_path))
    build_data: dict[str, Any] = {"artifacts": [], "force_include": {}}
    with pytest.raises(SystemExit):
        hook(root, {"sources": ["src"], "mode": "check"}).initialize("standard", build_data)
    hook(root, {"sources": ["src"]}).initialize("editable", build_data)
    hook(root, {"sources": ["src"], "mode": "check"}).initialize("standard", build_data)
    assert build_data["force_include"] == {}


def test_errors_and_bad_options_fail_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = example_project(isolate(monkeypatch, tmp_path))
    write(root / "src" / "tinyflows" / "broken.flow", BROKEN)
    build_data: dict[str, Any] = {"artifacts": [], "force_include": {}}
    with pytest.raises(SystemExit):
        hook(root, {"sources": ["src"]}).initialize("standard", build_data)
    assert "src/tinyflows/broken.flow:5:14: error:" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        hook(root, {"source": ["src"]}).initialize("standard", build_data)
    assert "unknown option `source`" in capsys.readouterr().err


@pytest.mark.skipif(
    not any(e.name == "flowc" for e in entry_points(group="hatch")),
    reason="flowc is not installed with its hatch entry point (pip install -e .)",
)
def test_a_wheel_contains_the_generated_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = example_project(isolate(monkeypatch, tmp_path / "project"))
    old_copy = "# @generated by flowc 0.0.0 from src/tinyflows/diamond.flow. DO NOT EDIT.\n# an old copy\n"
    stale = write(root / "src" / "tinyflows" / "diamond.py", old_copy)
    dist = tmp_path / "dist"
    temp = tmp_path / "tmp"
    temp.mkdir()
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-w", str(dist), "."],
        cwd=root,
        capture_output=True,
        text=True,
        env=process_env(PIP_DISABLE_PIP_VERSION_CHECK="1", TMPDIR=str(temp)),
        timeout=120,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [wheel] = dist.glob("tinyflows-0.1.0-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        module = archive.read("tinyflows/diamond.py").decode()
        archive.extractall(tmp_path / "installed")
    assert "tinyflows/diamond.flow" in names and names.count("tinyflows/diamond.py") == 1
    assert module.startswith("# @generated by flowc ") and "from src/tinyflows/diamond.flow." in module
    assert stale.read_text(encoding="utf-8") == old_copy, "the source tree is left alone"
    run = subprocess.run(
        [sys.executable, "-c", "import asyncio, tinyflows.diamond as m; print(asyncio.run(m.diamond(x=3)))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=process_env(PYTHONPATH=str(tmp_path / "installed")),
        timeout=60,
    )
    assert run.stdout.strip() == "20", run.stderr
    assert not list(temp.glob("flowc-build-*")), "the hook removes its temporary folder"
