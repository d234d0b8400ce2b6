"""`flowc graph` (Mermaid and DOT) and `flowc run` (in-memory compile, JSON result)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from clitools import DIAMOND, TWO, flowc, isolate, write

REVIEW = """\
from steps import fetch, score, keep, report

pool api limit 4

flow review(urls: list[str], cutoff: int = 3) -> str {
    node pages  = map fetch(url=each urls) limit 5 retry 3 timeout 2s pool api
    node scores = score(pages=pages)
    node kept   = keep(pages=pages) when cutoff > 2 and "x" in urls
    node out    = report(scores=scores, kept=kept) fallback "none"

    START >> pages >> [scores, kept] >> out >> END
    return out
}
"""

NAMED = """\
from steps import prepare, double, triple, combine, Total

flow named(x: int, label: str = "sum") -> (total: Total, label: str) {
    node prepare  = prepare(x=x)
    node branch_a = double(x=prepare)
    node branch_b = triple(x=prepare)
    node merge    = combine(a=branch_a, b=branch_b)

    START >> prepare >> [branch_a, branch_b] >> merge >> END
    return total=merge, label=label
}
"""

RUN_STEPS = """\
import asyncio
from dataclasses import dataclass


@dataclass
class Total:
    value: int
    parts: tuple[int, int]


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


async def combine(a: int, b: int) -> Total:
    return Total(value=a + b, parts=(a, b))
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = isolate(monkeypatch, tmp_path)
    write(root / "flows" / "review.flow", REVIEW)
    write(root / "flows" / "both.flow", DIAMOND + "\n" + TWO.split("\n", 2)[2])
    write(root / "flows" / "steps.py", RUN_STEPS)
    write(root / "flows" / "diamond.flow", DIAMOND)
    write(root / "flows" / "named.flow", NAMED)
    return root


@pytest.fixture
def fresh_modules() -> object:
    """Forget the step and flow modules a run imported, so that the next test's folder wins."""
    yield
    for name in ("steps", "diamond", "named", "both"):
        sys.modules.pop(name, None)


def test_mermaid_has_every_node_and_edge(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "graph", "flows/review.flow")
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith("flowchart TD\n")
    assert 'f0_pages[/"pages<br/>map fetch limit 5<br/>retry 3, timeout 2s, pool api"/]' in text
    assert 'f0_scores["scores<br/>score"]' in text
    assert 'f0_kept{{"kept<br/>keep<br/>when cutoff #gt; 2 and #quot;x#quot; in urls"}}' in text
    assert 'f0_out["out<br/>report<br/>fallback #quot;none#quot;"]' in text
    assert "f0_START([START])" in text and "f0_END([END])" in text
    edges = set(re.findall(r"^    (\w+) --> (\w+)$", text, re.M))
    expected = {("START", "pages"), ("pages", "scores"), ("pages", "kept"), ("scores", "out"), ("kept", "out")}
    assert edges == {(f"f0_{a}", f"f0_{b}") for a, b in expected | {("out", "END")}}
    assert "class f0_pages map" in text and "class f0_kept when" in text


def test_dot_has_every_node_and_edge(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "graph", "flows/review.flow", "--format", "dot")
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith('digraph "review" {\n') and text.endswith("}\n")
    assert 'f0_pages [label="pages\\nmap fetch limit 5\\nretry 3, timeout 2s, pool api", shape=box3d' in text
    assert 'f0_kept [label="kept\\nkeep\\nwhen cutoff > 2 and \\"x\\" in urls", shape=hexagon' in text
    assert 'f0_scores [label="scores\\nscore"];' in text
    edges = set(re.findall(r"^    (\w+) -> (\w+);$", text, re.M))
    pairs = {("START", "pages"), ("pages", "scores"), ("pages", "kept"), ("scores", "out"), ("kept", "out")}
    assert edges == {(f"f0_{a}", f"f0_{b}") for a, b in pairs | {("out", "END")}}


def test_several_flows_become_subgraphs_and_clusters(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mermaid = flowc(capsys, "graph", "flows/both.flow").out
    assert '    subgraph f0["flow diamond"]' in mermaid and '    subgraph f1["flow two"]' in mermaid
    assert "        f1_doubled --> f1_END" in mermaid
    dot = flowc(capsys, "graph", "flows/both.flow", "--format", "dot").out
    assert "subgraph cluster_0" in dot and 'label="flow two";' in dot
    only = flowc(capsys, "graph", "flows/both.flow", "--flow", "two").out
    assert "subgraph" not in only and "f0_doubled" in only and "merge" not in only


def test_graph_of_an_unknown_flow(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "graph", "flows/both.flow", "--flow", "tow")
    assert result.code == 2
    assert "has no flow `tow`" in result.err and "did you mean `two`?" in result.err


def test_run_prints_the_result_as_json(
    project: Path, capsys: pytest.CaptureFixture[str], fresh_modules: object
) -> None:
    result = flowc(capsys, "run", "flows/diamond.flow", "x=3")
    assert result.code == 0, result.err
    assert json.loads(result.out) == 20


def test_run_turns_named_outputs_and_dataclasses_into_objects(
    project: Path, capsys: pytest.CaptureFixture[str], fresh_modules: object
) -> None:
    result = flowc(capsys, "run", "flows/named.flow", "x=1", 'label="total"')
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"total": {"value": 10, "parts": [4, 6]}, "label": "total"}


def test_run_reports_what_the_flow_raised(
    project: Path, capsys: pytest.CaptureFixture[str], fresh_modules: object
) -> None:
    result = flowc(capsys, "run", "flows/diamond.flow", "x=-1")
    assert result.code == 1
    assert result.out == ""
    assert "flowc: error: flow `diamond` raised ValueError: x must not be negative" in result.err
    assert "Traceback" not in result.err


def test_run_chooses_the_flow_named_after_the_file(
    project: Path, capsys: pytest.CaptureFixture[str], fresh_modules: object
) -> None:
    write(project / "flows" / "two.flow", DIAMOND + "\n" + TWO.split("\n", 2)[2])
    result = flowc(capsys, "run", "flows/two.flow", "x=1")
    assert result.code == 0, result.err
    assert json.loads(result.out) == 4
    several = flowc(capsys, "run", "flows/both.flow", "x=1")
    assert several.code == 2
    assert "has several flows: `diamond`, `two`" in several.err
    chosen = flowc(capsys, "run", "flows/both.flow", "--flow", "diamond", "x=1")
    assert chosen.code == 0, chosen.err
    assert json.loads(chosen.out) == 10


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (["y=1"], "flow `diamond` has no parameter `y`"),
        ([], "flow `diamond` needs `x`"),
        (["x=three"], "the value of `x` is not JSON"),
        (["x"], "`x` is not an input: write `NAME=JSON`"),
        (["x=1", "x=2"], "`x` is given twice"),
    ],
)
def test_run_inputs_are_checked(
    project: Path, capsys: pytest.CaptureFixture[str], inputs: list[str], message: str
) -> None:
    result = flowc(capsys, "run", "flows/diamond.flow", *inputs)
    assert result.code == 2
    assert message in result.err


def test_run_of_a_missing_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = flowc(capsys, "run", "flows/nothing.flow")
    assert result.code == 2
    assert "no such file: `flows/nothing.flow`" in result.err


def test_run_when_a_step_module_does_not_import(
    project: Path, capsys: pytest.CaptureFixture[str], fresh_modules: object
) -> None:
    write(project / "flows" / "lost.flow", DIAMOND.replace("from steps import", "from nowhere_steps import"))
    result = flowc(capsys, "run", "flows/lost.flow", "x=1")
    assert result.code == 1
    assert "No module named 'nowhere_steps'" in result.err
    assert "lost" not in sys.modules


def test_results_become_json_values() -> None:
    import dataclasses
    import enum
    from typing import NamedTuple

    from flowc.cli.run import jsonable

    class Colour(enum.Enum):
        RED = "red"

    class Pair(NamedTuple):
        left: int
        right: tuple[int, ...]

    @dataclasses.dataclass
    class Box:
        items: frozenset[int]
        colour: Colour

    class Plain:
        def __init__(self) -> None:
            self.name = "p"
            self._hidden = 1

    value = {"pair": Pair(1, (2, 3)), "box": Box(frozenset({3, 1}), Colour.RED), 4: Plain(), "err": KeyError("k")}
    assert jsonable(value) == {
        "pair": {"left": 1, "right": [2, 3]},
        "box": {"items": [1, 3], "colour": "red"},
        "4": {"name": "p"},
        "err": "KeyError: 'k'",
    }
    assert jsonable(object()).startswith("<object object")
