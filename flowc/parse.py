"""Text to parse tree: the cached LALR parser and syntax errors in words a user knows."""

from __future__ import annotations

import functools

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import codes
from .diagnostics import Collector
from .resources import resource_text
from .source import Span

RESERVED = frozenset(
    "flow node map each pool from import as return START END timeout retry backoff max jitter on"
    " fallback collect limit rate per when and or not in sync thread first True False None".split()
)

# What the grammar's terminals are called in messages (string terminals show as `text`).
TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "DURATION": "a duration (like `250ms`, `1.5s`, `2m`, `1h`)",
    "COMPARE": "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
    "INDEX_OPEN": "`[`",
    "$END": "the end of the file",
}


@functools.cache
def parser() -> Lark:
    """The LALR parser for `.flow` files, built once per process."""
    return Lark(
        resource_text("grammar", "flow.lark"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=False,
    )


def parse(text: str, errors: Collector) -> Tree[Token] | None:
    """Parse a whole file; on a syntax error report it and return None."""
    try:
        return parser().parse(text)
    except UnexpectedInput as error:
        report_syntax_error(error, errors)
        return None


def describe_terminal(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    try:
        pattern = parser().get_terminal(name).pattern
    except KeyError:
        return name.lower()
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower().replace("_", " ")


def describe_expected(expected: set[str] | frozenset[str]) -> str:
    words = sorted({describe_terminal(name) for name in expected})
    if not words:
        return "nothing more"
    if len(words) > 8:
        return "one of " + ", ".join(words[:8]) + ", …"
    if len(words) == 1:
        return words[0]
    return "one of " + ", ".join(words[:-1]) + " or " + words[-1]


def describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    text = str(token)
    if len(text) > 30:
        text = text[:27] + "…"
    return f"`{text}`"


def report_syntax_error(error: UnexpectedInput, errors: Collector) -> None:
    source = errors.source
    help_text = None
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            span = source.end
        else:
            width = max(1, len(str(token).split("\n", 1)[0]))
            span = Span.point(token.line or 1, token.column or 1, width)
        expected = set(error.accepts or error.expected)
        message = f"unexpected {describe_token(token)}; expected {describe_expected(expected)}"
        if "NAME" in expected and str(token) in RESERVED:
            message = f"`{token}` is a reserved word and cannot be used as a name"
            help_text = f"choose another name, for example `{token}_`"
    elif isinstance(error, UnexpectedCharacters):
        char = source.text[error.pos_in_stream] if error.pos_in_stream < len(source.text) else ""
        span = Span.point(error.line, error.column)
        shown = repr(char)[1:-1] if char.isprintable() else f"U+{ord(char):04X}" if char else "end of file"
        expected = set(error.allowed or ())
        message = f"unexpected character `{shown}`; expected {describe_expected(expected)}"
        if "DURATION" in expected and char.isdigit():
            help_text = "a duration needs a unit right after the number: `ms`, `s`, `m` or `h`"
    elif isinstance(error, UnexpectedEOF):
        span = source.end
        message = f"unexpected end of file; expected {describe_expected(set(error.expected))}"
    else:  # pragma: no cover - lark raises only the kinds above
        span = Span.point(1, 1)
        message = "syntax error"
    errors.error(codes.SYNTAX, message, span, help=help_text)
