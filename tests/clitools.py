"""Helpers for the command-line tests: small projects in temporary folders, and running
`flowc` in-process or as a real process."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowc.cli import main


def console_script() -> str:
    """The installed `flowc` script of this interpreter's environment."""
    beside = Path(sys.executable).parent / "flowc"
    found = str(beside) if beside.is_file() else shutil.which("flowc")
    assert found is not None, "the flowc console script is not installed (pip install -e .)"
    return found


DIAMOND = """\
# The diamond: prepare >> [branch_a, branch_b] >> merge.
from steps import prepare, double, triple, add

flow diamond(x: int) -> int {
    node prepare  = prepare(x=x)
    node branch_a = double(x=prepare)
    node branch_b = triple(x=prepare)
    node merge    = add(a=branch_a, b=branch_b)

    START >> prepare >> [branch_a, branch_b] >> merge >> END
    return merge
}
"""

TWO = """\
from steps import prepare, double

flow two(x: int) -> int {
    node prepare = prepare(x=x)
    node doubled = double(x=prepare)
    START >> prepare >> doubled >> END
    return doubled
}
"""

BROKEN = """\
from steps import prepare

flow broken(x: int) -> int {
    node prepare = prepare(x=x)
    START >> prepar >> END
    return prepare
}
"""

STEPS = """\
import asyncio


async def prepare(x: int) -> int:
    if x < 0:
        raise ValueError("x must not be negative")
    return x + 1


async def double(x: int) -> int:
    await asyncio.sleep(0)
    return x * 2


async def triple(x: int) -> int:
    return x * 3


async def add(a: int, b: int) -> int:
    return a + b
"""

CLEAN_ENV = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "FLOWC_TEST_CRASH", "TERM")


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """A project folder: the working folder, with a `.git` so that configuration search
    stops there, and none of the colour or crash variables set."""
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    (root / ".git").mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(root)
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True, slots=True)
class Result:
    code: int
    out: str
    err: str


def flowc(capsys: pytest.CaptureFixture[str], *args: str, stdin: bytes | None = None) -> Result:
    """`flowc ARGS` run in-process; its exit status and what it printed."""
    capsys.readouterr()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        code = main(list(args))
    finally:
        sys.stdin = saved
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def process_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env.update(extra)
    return env


def flowc_process(cwd: Path, *args: str, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m flowc ARGS` as a real process in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "flowc", *args],
        cwd=cwd,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=process_env(**env),
        timeout=60,
    )


def mypy_strict(folder: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    """`mypy --strict PATHS` run in `folder`, which is also its import path, and no other
    configuration."""
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *paths],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MYPYPATH": str(folder)},
        timeout=300,
    )
