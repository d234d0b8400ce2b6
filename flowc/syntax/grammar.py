"""The grammar of `.flow` files, loaded once: the LALR parser lark builds from
`grammar/flow.lark`, and the words the language reserves."""

from __future__ import annotations

import functools

from lark import Lark

from ..resources import resource_text
from .builder import Builder
from .driver import Driver
from .lexer import FlowLexer

RESERVED = frozenset(
    "flow node map each pool from import as return START END timeout retry backoff max jitter on"
    " fallback collect limit rate per when and or not in sync thread first True False None".split()
)


@functools.cache
def parser() -> Lark:
    """The LALR parser for `.flow` files, built once per process; it builds the syntax tree
    as it parses (see `flowc.syntax.builder`)."""
    return Lark(
        resource_text("grammar", "flow.lark"),
        parser="lalr",
        lexer=FlowLexer,
        transformer=Builder(),
        keep_all_tokens=True,
        maybe_placeholders=False,
        start=["start", "resume_body"],
        cache=False,
    )


@functools.cache
def driver() -> Driver:
    return Driver(parser())
