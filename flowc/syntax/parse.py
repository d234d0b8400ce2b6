"""Text to syntax tree: the cached LALR parser, with recovery so that one run reports the
syntax errors of several statements, not only the first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .. import codes
from ..diagnostics import Collector
from ..source import Span
from . import tree as s
from .builder import current_errors
from .lexer import MAX_DEPTH, NestingTooDeep, scanner
from .messages import report_syntax_error

# Where parsing may resume after an error: a statement or declaration at the start of a line.
RESUME_POINT = re.compile(r"^[ \t\f\r]*(node|return|START|flow|from|import|pool|executor)\b", re.MULTILINE)
BODY_STATEMENT = ("node", "return", "START")
BRACES = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*|[{}]")
MAX_SYNTAX_ERRORS = 20


def parse(text: str, errors: Collector) -> s.Module | None:
    """Parse a whole file; on syntax errors report them (several, if parsing can resume
    after the first) and return None."""
    reset = current_errors.set(errors)
    try:
        return parse_or_report(text, errors)
    finally:
        current_errors.reset(reset)


def parse_or_report(text: str, errors: Collector) -> s.Module | None:
    try:
        module: Any = scanner().parse(text, start="start")
        assert isinstance(module, s.Module)
        return module
    except NestingTooDeep as error:
        report_too_deep(error, errors)
    except UnexpectedInput as error:
        reported = report_syntax_error(error, errors)
        recover(text, errors.source.offset(reported.line, reported.column), errors)
    return None


def report_too_deep(error: NestingTooDeep, errors: Collector) -> None:
    token = error.token
    errors.error(
        codes.TOO_DEEP,
        (
            f"brackets and `not` nested {error.depth} deep here; flowc accepts at most {MAX_DEPTH}"
            if error.depth > MAX_DEPTH
            else "this is nested too deeply for flowc"
        ),
        Span.point(token.line or 1, token.column or 1, max(1, len(token))),
        help="flatten the expression: split it over several nodes or parameters",
    )


def error_position(error: UnexpectedInput, text: str) -> int:
    """The offset where an error happened (the end of the text for an unexpected end)."""
    if isinstance(error, UnexpectedToken):
        return len(text) if error.token.type == "$END" else error.token.start_pos or 0
    if isinstance(error, UnexpectedCharacters):
        return error.pos_in_stream or 0
    return len(text)  # pragma: no cover - LALR raises only the kinds above


def recover(text: str, position: int, errors: Collector) -> None:
    """Resume parsing at statements after `position`, reporting each further error.

    A resume point is a line starting with a statement or declaration keyword. Parsing from
    it as a flow-body statement or as a top-level item is tried in the order that the braces
    before it suggest; a resumption that fails at once was a wrong guess and is not reported.
    """
    reported = 1
    for start, depth in resume_points(text):
        if reported >= MAX_SYNTAX_ERRORS:
            return
        if start < position:
            continue
        keyword = text[start : start + 6]
        in_body = depth > 0 and keyword.startswith(BODY_STATEMENT)
        for rule in ("resume_body", "start") if in_body else ("start", "resume_body"):
            try:
                scanner().parse(text, start=rule, offset=start)
                return
            except NestingTooDeep as error:
                report_too_deep(error, errors)
                return
            except UnexpectedInput as error:
                if error_position(error, text) <= start:
                    continue
                span = report_syntax_error(error, errors)
                reported += 1
                position = max(start + 1, errors.source.offset(span.line, span.column))
                break
        if position >= len(text):
            return


def resume_points(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of the keywords that start a line, each with the brace depth before it."""
    braces = BRACES.finditer(text)
    depth, brace = 0, next(braces, None)
    for match in RESUME_POINT.finditer(text):
        while brace is not None and brace.start() < match.start(1):
            depth += {"{": 1, "}": -1}.get(brace.group(), 0)
            brace = next(braces, None)
        yield match.start(1), depth
