"""The guide pages build a real project and say what each command prints: this builds it from
the pages alone and runs the commands. A block ` ```LANG file=PATH ` is a file of the project
(several blocks of one PATH are joined in order); a ` ```console ` block holds `$ COMMAND`
lines, each followed by what it prints (stdout and stderr together; a duration such as
`in 0.34s` matches any duration). The commands run in the project's folder, in order, with
this environment's `flowc`, `mypy`, `ruff` and `python` first on the PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_docs import DOCS, FENCE

PAGES = ["start.md", "testing.md"]
"""The pages of one project, in the order a reader follows them."""

DURATION = re.compile(r"\bin \d+\.\d+s\b")


def files(page: str) -> dict[str, str]:
    """PATH → text of the `file=PATH` blocks of a page."""
    found: dict[str, str] = {}
    for match in FENCE.finditer((DOCS / page).read_text(encoding="utf-8")):
        words = match["info"].split()
        path = next((w.split("=", 1)[1] for w in words[1:] if w.startswith("file=")), None)
        if path is not None:
            found[path] = found.get(path, "") + match["body"]
    return found


def sessions(page: str) -> list[tuple[str, str]]:
    """(command, what it prints) for every `$` line of the page's console blocks."""
    result: list[tuple[str, str]] = []
    for match in FENCE.finditer((DOCS / page).read_text(encoding="utf-8")):
        if match["info"].strip() != "console":
            continue
        for chunk in re.split(r"^\$ ", match["body"], flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            result.append((command, output))
    return result


def normal(text: str) -> str:
    return DURATION.sub("in …s", text).rstrip("\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder of the project the pages describe; each page's test writes its files."""
    root = tmp_path_factory.mktemp("shop")
    (root / ".git").mkdir()  # the project's root, as a clone would have it
    yield root


def run(command: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "PYTHONPATH")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["NO_COLOR"] = "1"
    # The reader's project has plain pytest: the plugins of flowc's own dev environment
    # (pytest-asyncio, which pytest-lsp brings, warns about its settings) stay out of it.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    result = subprocess.run(
        ["bash", "-c", command + " 2>&1"], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )
    return result.stdout


def test_the_pages_describe_one_project() -> None:
    written = {page: files(page) for page in PAGES}
    assert {"pyproject.toml", "src/shop/checkout.flow", "src/shop/steps.py"} <= set(written["start.md"])
    assert set(written["testing.md"]) == {"tests/test_checkout.py"}
    assert [c for c, _ in sessions("start.md")][:1] == ["flowc compile"]
    assert any(c.startswith("python -m pytest") for c, _ in sessions("testing.md"))


@pytest.mark.parametrize("page", PAGES)
def test_each_command_prints_what_the_page_says(project: Path, page: str) -> None:
    """The pages run in order on one project (the module-scoped fixture), as a reader follows
    them: a page's files are written, then its commands run; start's commands compile the
    module that testing's tests import."""
    for path, text in files(page).items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text, encoding="utf-8")
    for command, expected in sessions(page):
        printed = run(command, project)
        assert normal(printed) == normal(expected), f"{page}: `{command}` printed:\n{printed}"
