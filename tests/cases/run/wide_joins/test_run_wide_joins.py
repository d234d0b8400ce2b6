import asyncio
import re
from pathlib import Path
from types import ModuleType

from flowc import compile_source

SOURCE = (Path(__file__).parent / "wide_joins.flow").read_text(encoding="utf-8")


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["wide_joins"] == []


def test_the_shared_tuple_is_named_once_and_first_is_a_tree() -> None:
    code = compile_source(SOURCE, "wide_joins.flow")
    assert code.count("after = (") == 1
    assert len(re.findall(r"_after\(\s*after,", code)) == 4
    assert code.count(":= (") >= 2  # chains of four joined by `first` again


def test_every_right_node_reads_every_left_node(flow_module: ModuleType) -> None:
    result = asyncio.run(flow_module.wide_joins(x=1, hit=-1))
    assert result.sums == [150 + i for i in range(5)]
    assert result.picked == "none"


def test_first_picks_the_only_value_at_any_position(flow_module: ModuleType) -> None:
    picked = [asyncio.run(flow_module.wide_joins(x=0, hit=hit)).picked for hit in range(9)]
    assert picked == [0, 100, 200, 300, 400, 500, 600, 700, "label"]
