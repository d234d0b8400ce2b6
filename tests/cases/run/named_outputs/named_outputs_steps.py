"""Steps of the named_outputs case: a document with nested attributes and indexes, and a step
that mutates the list and dict it is given (so a shared default would show)."""

from dataclasses import dataclass
from typing import TypedDict


@dataclass
class Info:
    title: str


@dataclass
class Doc:
    info: Info
    sections: dict[str, list[str]]


class Summary(TypedDict):
    title: str
    words: list[str]
    options: dict[str, object]
    count: int


async def load(path: str) -> Doc:
    return Doc(info=Info(title=path.upper()), sections={"body": ["alpha", "beta", "gamma"]})


async def append_to(items: list[str], item: str, meta: dict[str, int]) -> list[str]:
    items.append(item)
    meta["calls"] = meta.get("calls", 0) + 1
    return items


async def pick(value: str) -> str:
    return value


async def describe(title: str, words: list[str], options: dict[str, object], count: int) -> Summary:
    return Summary(title=title, words=words, options=options, count=count)
