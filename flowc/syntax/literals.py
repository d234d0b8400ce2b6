"""Literal values as written (numbers, strings, durations) to their Python values, with an
error for each text Python cannot represent."""

from __future__ import annotations

import ast
import math
import warnings

from lark import Token

from .. import codes
from ..diagnostics import Collector
from ..source import Span
from . import tree as s

UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def token_span(token: Token) -> Span:
    return Span(token.line or 1, token.column or 1, token.end_line or 1, token.end_column or 1)


def number_value(token: Token, errors: Collector) -> tuple[int | float, bool]:
    """The number's value, and whether it is valid (an error is reported if not)."""
    text = str(token)
    try:
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        errors.error(
            codes.INVALID_LITERAL,
            "this number has too many digits",
            token_span(token),
            help="write at most 4300 digits",
        )
        return 0, False
    if isinstance(value, float) and not math.isfinite(value):
        errors.error(
            codes.INVALID_LITERAL,
            "this number is too large for a float",
            token_span(token),
            help="the largest is about 1.8e308",
        )
        return 0.0, False
    return value, True


def string_value(token: Token, errors: Collector) -> str:
    """A string literal's value, by Python's rules for escapes."""
    text = str(token)
    if "\\" not in text:
        return text[1:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            value = ast.literal_eval(text)
        except (SyntaxError, ValueError, Warning) as error:
            message = str(error.args[0] if error.args else error)
            message = message.rsplit(": ", 1)[-1] if "(unicode error)" in message else message.split(" (", 1)[0]
            errors.error(
                codes.INVALID_LITERAL,
                f"invalid string literal: {message}",
                token_span(token),
                help='use Python escapes such as `\\n`, `\\t`, `\\\\`, `\\"` or `\\u00e9`',
            )
            return ""
    assert isinstance(value, str)
    return value


def duration(token: Token, errors: Collector) -> s.Duration:
    """`250ms`, `1.5s`, `2m`, `1h` in seconds."""
    text = str(token)
    unit = text.lstrip("0123456789.")
    seconds = float(text[: -len(unit)]) * UNIT_SECONDS[unit]
    if not math.isfinite(seconds):
        errors.error(codes.INVALID_LITERAL, "this duration is too long", token_span(token))
        seconds = 1.0
    return s.Duration(seconds=seconds, text=text, span=token_span(token))
