"""Typed steps for the `--types` cases: every mismatch of a case is between these."""

from dataclasses import dataclass


@dataclass
class Hit:
    text: str


async def search(query: str) -> list[list[Hit]]:
    return [[Hit(query)]]


async def flat(query: str) -> list[Hit]:
    return [Hit(query)]


async def rerank(hits: list[Hit], top: int = 3) -> list[Hit]:
    return hits[:top]


async def count(n: int) -> int:
    return n


async def name(n: int) -> str:
    return str(n)


async def maybe(n: int) -> int | None:
    return n or None


def parse(text: str) -> int:
    return len(text)


async def parse_later(text: str) -> int:
    return len(text)


async def backup(query: int) -> list[Hit]:
    return []
