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
        assert fields["files"] == r"\.(flow|py)$" and fields["pass_filenames"] == "true"
        entries[fields["id"]] = fields["entry"]
    return entries


def selected(changed: list[str]) -> list[str]:
    """The files of a commit pre-commit passes to the hooks: those their `files` matches."""
    text = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    patterns = set(re.findall(r"^\s*files: (.*)$", text, re.M))
    assert len(patterns) == 1
    pattern = patterns.pop()
    return [name for name in changed if re.search(pattern, name) or name.startswith("-")]


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


@pytest.fixture
def committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose configuration excludes drafts, with its modules compiled."""
    root = isolate(monkeypatch, tmp_path)
    write(root / "pyproject.toml", '[tool.flowc]\nsources = ["flows"]\nexclude = ["*_draft.flow"]\n')
    write(root / "flows" / "diamond.flow", DIAMOND)
    write(root / "flows" / "two.flow", TWO)
    write(root / "flows" / "three.flow", TWO.replace("flow two", "flow three"))
    write(root / "flows" / "idea_draft.flow", BROKEN)
    write(root / "flows" / "helpers.py", "def helper() -> int:\n    return 1\n")
    assert subprocess.run(hook_command("flowc compile", ["flows"]), cwd=root, env=process_env()).returncode == 0
    return root


def run_hook(root: Path, hook: str, changed: list[str]) -> subprocess.CompletedProcess[str]:
    command = hook_command(hook_entries()[hook], selected(changed))
    return subprocess.run(command, cwd=root, capture_output=True, text=True, env=process_env(), timeout=60)


def test_the_hooks_fire_on_a_hand_edited_generated_module(committed: Path) -> None:
    module = committed / "flows" / "two.py"
    good = module.read_bytes()
    module.write_bytes(good.replace(b"doubled = await", b"doubled = 1 + await"))
    check = run_hook(committed, "flowc-check", ["flows/two.py", "README.md"])
    assert check.returncode == 1
    assert "flows/two.py: error: out of date with `flows/two.flow` [stale-output]" in check.stderr
    assert "fix with: flowc compile flows/two.py" in check.stderr
    fixed = run_hook(committed, "flowc", ["flows/two.py"])
    assert fixed.returncode == 0, fixed.stderr
    assert module.read_bytes() == good
    assert run_hook(committed, "flowc-check", ["flows/two.py"]).returncode == 0


def test_the_hooks_pass_over_hand_written_modules_and_excluded_files(committed: Path) -> None:
    changed = ["flows/idea_draft.flow", "flows/helpers.py", "flows/diamond.flow", "flows/diamond.py"]
    check = run_hook(committed, "flowc-check", [*changed, "-v"])
    assert check.returncode == 0, check.stderr
    assert "skipped flows/idea_draft.flow: excluded by the configuration" in check.stderr
    assert "skipped flows/helpers.py: not generated by flowc" in check.stderr
    assert "flowc: 1 up to date, 0 stale" in check.stderr
    compiled = run_hook(committed, "flowc", changed)
    assert compiled.returncode == 0, compiled.stderr
    assert not (committed / "flows" / "idea_draft.py").exists()
    assert (committed / "flows" / "helpers.py").read_text(encoding="utf-8").startswith("def helper")


def test_a_failed_check_names_one_fix_for_the_outdated_files_only(committed: Path) -> None:
    for name in ("two", "three"):
        source = committed / "flows" / f"{name}.flow"
        source.write_text(source.read_text(encoding="utf-8").replace("doubled", "twice"), encoding="utf-8")
    changed = ["flows/diamond.flow", "flows/two.flow", "flows/three.flow", "flows/three.py", "flows/diamond.py"]
    check = run_hook(committed, "flowc-check", changed)
    assert check.returncode == 1
    fixes = [line for line in check.stderr.splitlines() if "flowc compile" in line]
    assert fixes == [
        "help: run `flowc compile flows/two.flow`",
        "help: run `flowc compile flows/three.flow`",
        "flowc: 2 outputs are out of date; fix with: flowc compile flows/two.flow flows/three.flow",
    ], check.stderr
    assert "--check" not in check.stderr.splitlines()[-2]
    assert subprocess.run(hook_command(fixes[-1].split("fix with: ")[1], []), cwd=committed).returncode == 0
    assert run_hook(committed, "flowc-check", changed).returncode == 0


def test_the_hooks_pass_over_a_shared_runtime(committed: Path) -> None:
    shared = subprocess.run(hook_command("flowc compile --runtime shared", ["flows"]), cwd=committed, env=process_env())
    assert shared.returncode == 0 and (committed / "flows" / "_flowc_runtime.py").is_file()
    changed = ["flows/_flowc_runtime.py", "flows/two.py"]
    check = run_hook(committed, "flowc-check", [*changed, "--runtime=shared", "-v"])
    assert check.returncode == 0, check.stderr
    assert "skipped flows/_flowc_runtime.py: the shared runtime" in check.stderr


def test_a_generated_module_whose_source_is_gone_is_an_orphan(committed: Path) -> None:
    (committed / "flows" / "three.flow").unlink()
    check = run_hook(committed, "flowc-check", ["flows/three.py"])
    assert check.returncode == 1
    assert "flows/three.py: error: generated from `flows/three.flow`, which no longer exists" in check.stderr
    assert "fix with: rm flows/three.py" in check.stderr


def documented_pre_commit_config() -> str:
    """The `.pre-commit-config.yaml` of docs/build.md that needs no release: a local hook."""
    text = (REPO / "docs" / "build.md").read_text(encoding="utf-8")
    [config] = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "repo: local" in b]
    return config


def test_the_documented_pre_commit_config_works_under_pre_commit(tmp_path: Path) -> None:
    """pre-commit itself, on a repository configured as docs/build.md says: the hook compiles
    the commit's `.flow` files and undoes a hand edit of a generated module."""
    root = tmp_path / "repo"
    write(root / ".pre-commit-config.yaml", documented_pre_commit_config())
    write(root / "pyproject.toml", '[tool.flowc]\nexclude = ["*_draft.flow"]\n')
    write(root / "flows" / "diamond.flow", DIAMOND)
    write(root / "flows" / "idea_draft.flow", BROKEN)
    env = process_env(PRE_COMMIT_HOME=str(tmp_path / "cache"), GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@b")
    env["PATH"] = str(Path(sys.executable).parent) + ":" + env["PATH"]

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env, timeout=60)

    def pre_commit(*files: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pre_commit", "run", "--files", *files]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, env=env, timeout=120)

    git("init", "-q")
    git("add", ".")
    first = pre_commit("flows/diamond.flow", "flows/idea_draft.flow")
    assert first.returncode == 0, first.stdout + first.stderr
    module = root / "flows" / "diamond.py"
    good = module.read_bytes()
    assert good.startswith(b"# @generated by flowc") and not (root / "flows" / "idea_draft.py").exists()
    git("add", ".")
    module.write_bytes(good + b"# a hand edit\n")
    undone = pre_commit("flows/diamond.py")
    assert undone.returncode == 1 and "files were modified by this hook" in undone.stdout, undone.stdout
    assert module.read_bytes() == good


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
