import asyncio
import re
from pathlib import Path
from types import ModuleType

CASE = Path(__file__).parent
FLOW = (CASE / "guard_mistyped.flow").read_text(encoding="utf-8")
EXPECTED = {n: m.group(1) for n, line in enumerate(FLOW.splitlines(), 1) if (m := re.search(r"# E: (\".*\")$", line))}


def flow_line(generated: list[str], line: int) -> int:
    """The `.flow` line of the node whose code holds line `line` of the generated module."""
    for text in reversed(generated[:line]):
        if m := re.fullmatch(r"\s*# guard_mistyped\.flow:(\d+)", text):
            return int(m.group(1))
    raise AssertionError(f"line {line} belongs to no node")


def test_type_errors_are_exactly_the_marked_ones(mypy_report: dict[str, list[str]], run_build: Path) -> None:
    generated = (run_build / "guard_mistyped_flow.py").read_text(encoding="utf-8").splitlines()
    found: dict[int, list[str]] = {}
    for report in mypy_report["guard_mistyped"]:
        m = re.match(r".*guard_mistyped_flow\.py:(\d+): error: (.*)", report)
        assert m, f"unexpected report: {report}"
        found.setdefault(flow_line(generated, int(m.group(1))), []).append(m.group(2))
    assert set(found) == set(EXPECTED)
    for line, messages in found.items():
        assert all(EXPECTED[line] in message and "[arg-type]" in message for message in messages), messages


def test_mypy_is_right(flow_module: ModuleType, steps: ModuleType) -> None:
    steps.wanted_int.clear()
    assert asyncio.run(flow_module.mistyped(key="one", x=1)) == 1
    assert steps.wanted_int == [1] * 6
    steps.wanted_int.clear()
    # Every lookup of "two" fails and `x == 0` skips both `when` nodes: `need_int` is given
    # the fallbacks' strings and the skipped nodes' `None`, as the errors said it could be.
    assert asyncio.run(flow_module.mistyped(key="two", x=0)) == 0
    assert sorted(map(repr, steps.wanted_int)) == sorted(map(repr, ["none", "no two", None, None, 0, 0]))
