import asyncio
import inspect
import typing
from types import ModuleType


def test_type_checks(mypy_report: dict[str, list[str]]) -> None:
    assert mypy_report["named_outputs"] == []


def test_named_outputs_are_a_named_tuple(flow_module: ModuleType, steps: ModuleType) -> None:
    result_type = flow_module.SplitDocResult
    assert "SplitDocResult" in flow_module.__all__
    assert result_type._fields == ("title", "words", "tags", "summary")
    hints = typing.get_type_hints(result_type)
    assert hints == {"title": str, "words": int, "tags": list[str], "summary": steps.Summary}
    assert typing.get_type_hints(flow_module.split_doc)["return"] is result_type
    result = asyncio.run(flow_module.split_doc(path="a.txt"))
    assert isinstance(result, result_type)
    title, words, tags, summary = result
    assert (title, words, tags) == ("A.TXT", 1, ["new"])
    assert summary is result.summary


def test_arguments_from_lists_dicts_attributes_and_indexes(flow_module: ModuleType) -> None:
    result = asyncio.run(flow_module.split_doc(path="p", meta={"calls": 4}, scale=2.0, label="L", strict=True))
    assert result.summary == {
        "title": "P",
        "words": ["alpha", "gamma", "L"],
        "options": {"scale": 2.0, "strict": True, "missing": None, "nested": [1, {"k": None}]},
        "count": 5,
    }
    assert result.words == 5


def test_literal_defaults(flow_module: ModuleType) -> None:
    result = asyncio.run(flow_module.split_doc(path="p"))
    assert result.summary["options"] == {"scale": -1.5, "strict": False, "missing": None, "nested": [1, {"k": None}]}
    assert result.summary["words"][-1] == "doc"
    parameters = inspect.signature(flow_module.split_doc).parameters
    assert [parameters[name].default for name in ("scale", "label", "strict", "missing")] == [-1.5, "doc", False, None]
    assert parameters["observer"].kind is inspect.Parameter.KEYWORD_ONLY


def test_mutable_defaults_are_fresh_for_every_run(flow_module: ModuleType) -> None:
    async def main() -> list[list[str]]:
        sequential = [(await flow_module.split_doc(path="p")).tags for _ in range(2)]
        concurrent = await asyncio.gather(*(flow_module.split_doc(path="p") for _ in range(2)))
        return sequential + [result.tags for result in concurrent]

    tags = asyncio.run(main())
    assert tags == [["new"]] * 4
    assert len({id(t) for t in tags}) == 4
    # The meta dict, mutated by every run, started empty each time: the count is always 1.
    assert asyncio.run(flow_module.split_doc(path="p")).words == 1


def test_a_given_list_is_the_callers(flow_module: ModuleType) -> None:
    mine = ["old"]
    result = asyncio.run(flow_module.split_doc(path="p", tags=mine))
    assert result.tags is mine and mine == ["old", "new"]
