"""The grammar of `.flow` files, loaded once: the LALR parser lark builds from
`grammar/flow.lark`, and what its terminals say: the reserved words, the keywords, the
symbols, and the terminals written as patterns. Everything else that needs a word list (the
scanner, syntax messages, the name rules of `flowc.semantics`, the editor grammars' tests)
takes it from here, so the grammar is the only place a keyword is written."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lark import Lark

from ..resources import resource_text
from .builder import Builder

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@functools.cache
def parser() -> Lark:
    """The LALR parser for `.flow` files, built once per process; it builds the syntax tree
    as it parses (see `flowc.syntax.builder`). Its tokens come from flowc's own scanner
    (`flowc.syntax.lexer`), not from the lexer lark builds here."""
    return Lark(
        resource_text("grammar", "flow.lark"),
        parser="lalr",
        lexer="basic",
        transformer=Builder(),
        keep_all_tokens=True,
        maybe_placeholders=False,
        start=["start", "resume_body"],
        cache=False,
    )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The grammar's terminals, sorted by what they are written as."""

    words: dict[str, str]
    """A terminal written as a word (`"limit"`, `"START"`): word → terminal name."""
    symbols: dict[str, str]
    """A terminal written as a string of punctuation, or as `"a" | "b"`: text → terminal name."""
    patterns: tuple[tuple[int, str, str], ...]
    """The terminals written as regular expressions: (priority, name, regexp)."""
    ignored: tuple[tuple[str, str], ...]
    """What separates tokens (whitespace, comments): (name, regexp)."""


@functools.cache
def vocabulary() -> Vocabulary:
    """The terminals of the grammar lark loaded, read once."""
    lark = parser()
    words: dict[str, str] = {}
    symbols: dict[str, str] = {}
    patterns: list[tuple[int, str, str]] = []
    ignored: list[tuple[str, str]] = []
    for terminal in lark.terminals:
        pattern = terminal.pattern
        if terminal.name in lark.ignore_tokens:
            ignored.append((terminal.name, pattern.to_regexp()))
        elif pattern.type == "str" and WORD.fullmatch(pattern.value):
            words[pattern.value] = terminal.name
        elif pattern.type == "str":
            symbols[pattern.value] = terminal.name
        elif strings := literal_alternatives(pattern.to_regexp()):
            symbols.update(dict.fromkeys(strings, terminal.name))
        else:
            patterns.append((terminal.priority, terminal.name, pattern.to_regexp()))
    return Vocabulary(words, symbols, tuple(patterns), tuple(ignored))


def literal_alternatives(regexp: str) -> list[str]:
    """The strings of a terminal written as `"a" | "b"` (lark's `(?:a|b)`), else []."""
    if not (regexp.startswith("(?:") and regexp.endswith(")")):
        return []
    strings = [re.sub(r"\\(.)", r"\1", alt) for alt in regexp[3:-1].split("|")]
    if any(re.escape(s) != alt for s, alt in zip(strings, regexp[3:-1].split("|"))):
        return []
    return strings


@functools.cache
def reserved() -> frozenset[str]:
    """The reserved words of the flow language: every word the grammar spells out."""
    return frozenset(vocabulary().words)


@functools.cache
def keywords() -> tuple[str, ...]:
    """The lowercase reserved words, which start or join statements and clauses (the
    capitalised ones, `START`, `END`, `True`, `False`, `None`, are values): what a misspelt
    word is compared with."""
    return tuple(sorted(word for word in vocabulary().words if word.islower()))
