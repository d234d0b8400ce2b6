"""The documentation stays true to the compiler: every error code is documented with its
description, every
` ```flow ` example compiles (or fails with the code it is marked with: ` ```flow error=CODE `),
every relative link and anchor resolves, and the CLI reference names every long option."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowc import CompileError, codes, compile_source
from flowc.compiler import compile_timed
from flowc.project import Project

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md", ROOT / "samples" / "README.md"]
PAGES += [p for p in [ROOT / "editors" / "README.md"] if p.exists()]

FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (?P<title>.+)$", re.MULTILINE)


def flow_blocks() -> list[tuple[str, str, str | None]]:
    """(id, text, expected error code or None) for every ```flow block of the pages."""
    blocks = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            words = match["info"].split()
            if not words or words[0] != "flow":
                continue
            expected = next((w.split("=", 1)[1] for w in words[1:] if w.startswith("error=")), None)
            line = text.count("\n", 0, match.start()) + 1
            blocks.append((f"{page.relative_to(ROOT)}:{line}", match["body"], expected))
    return blocks


def without_code_blocks(text: str) -> str:
    return FENCE.sub("", text)


def slug(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(m["title"]) for m in HEADING.finditer(without_code_blocks(page.read_text(encoding="utf-8")))}


def test_every_error_code_is_documented_with_its_description() -> None:
    """A row of a table in docs/language.md for each code of the registry: the code, then
    its description, as SARIF output shows it."""
    reference = (DOCS / "language.md").read_text(encoding="utf-8")
    assert len(codes.REGISTRY) >= 30
    missing = [c.code for c in codes.REGISTRY.values() if f"\n| `{c.code}` | {c.description} |" not in reference]
    assert missing == [], "codes without their row in docs/language.md"


def test_every_file_problem_code_is_documented_for_the_command_line() -> None:
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    whole_file = [c for c in codes.REGISTRY.values() if c.whole_file]
    assert whole_file and [c.code for c in whole_file if f"| `{c.code}` | {c.description} |" not in reference] == []


def test_the_pages_have_flow_examples() -> None:
    blocks = flow_blocks()
    assert len(blocks) >= 6
    assert any(expected for _, _, expected in blocks), "no intentional error example is checked"


PATH_COMMENT = re.compile(r"# (?P<path>\w+(?:/\w+)+\.flow)\b")
"""An example that begins `# app/flows/orders.flow` is that file of one project: the
examples of a page that name their files are written into one folder, which is the import
root the example is compiled with."""


def compile_example(text: str, where: str, tmp_path: Path) -> None:
    named = PATH_COMMENT.match(text)
    if named is None:
        compile_source(text, "example.flow")
        return
    page = where.rsplit(":", 1)[0]
    for other_where, other, _ in flow_blocks():
        if (found := PATH_COMMENT.match(other)) is not None and other_where.startswith(page + ":"):
            target = tmp_path / found["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(other, encoding="utf-8")
    project = Project([tmp_path], tmp_path)
    with project.analyzing(tmp_path / named["path"], named["path"]) as loader:
        compile_timed(text, named["path"], loader=loader)


@pytest.mark.parametrize(("where", "text", "expected"), flow_blocks(), ids=[b[0] for b in flow_blocks()])
def test_flow_example_compiles_or_fails_as_marked(where: str, text: str, expected: str | None, tmp_path: Path) -> None:
    if expected is None:
        compile_example(text, where, tmp_path)
        return
    assert expected in codes.REGISTRY, f"{where}: unknown code {expected}"
    with pytest.raises(CompileError) as raised:
        compile_example(text, where, tmp_path)
    found = {d.code for d in raised.value.diagnostics}
    assert found == {expected}, f"{where}: expected only `{expected}`"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for match in LINK.finditer(without_code_blocks(page.read_text(encoding="utf-8"))):
        target = match["target"]
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path_text, _, fragment = target.partition("#")
        path = (page.parent / path_text).resolve() if path_text else page
        if not path.exists():
            broken.append(target)
        elif fragment and path.suffix == ".md" and fragment not in anchors(path):
            broken.append(target)
    assert broken == []


def help_text(*command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flowc", *command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_cli_reference_names_every_long_option() -> None:
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    options: set[str] = set()
    commands = re.findall(r"^    ([a-z]+) {2,}\S", help_text(), re.MULTILINE)
    assert {"compile", "check", "graph", "run"} <= set(commands)
    for command in ["", *commands]:
        text = help_text(*([command] if command else []))
        options.update(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
        if command:
            assert f"flowc {command}" in reference, command
    assert {"--check", "--diff", "--output-format", "--stdin-filename", "--flow", "--format"} <= options
    assert sorted(o for o in options if f"`{o}" not in reference) == []


def test_the_readme_excerpt_comes_from_its_example() -> None:
    """The README's generated-code excerpt: its header, pool, signature and source-line
    comments are those the README's example compiles to (the body may be abridged)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = {m["info"].split()[0]: m["body"] for m in FENCE.finditer(text) if m["info"].strip()}
    generated = compile_source(blocks["flow"], "digest.flow").splitlines()
    excerpt = blocks["python"]
    signature = re.search(r"^async def .*?^\) -> .*:$", excerpt, re.MULTILINE | re.DOTALL)
    assert signature is not None
    assert signature[0] in "\n".join(generated)
    stable = [line for line in excerpt.splitlines() if re.match(r"\s*(# digest\.flow:|# @generated|_pool_)", line)]
    assert len(stable) >= 3
    assert [line for line in stable if line not in generated] == [], "update the excerpt in README.md"
