"""Syntax errors in words a user knows: what was found, what was expected, and for the
common mistakes (a missing `}`, `=` for `==`, a duration without its unit, a misspelt
keyword, a reserved word as a name) what would fix it. No lark terminal name reaches a
message: every terminal is described by `describe_terminal`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lark import Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .. import codes
from ..diagnostics import Collector
from ..source import Span
from .grammar import keywords, parser, reserved

# What the grammar's terminals are called in messages; string terminals show as `text`.
TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "DURATION": "a duration (like `250ms`, `1.5s`, `2m`, `1h`)",
    "COMPARE": "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
    "INDEX_OPEN": "`[`",
    "$END": "the end of the file",
}
# Value-like terminals come first in "expected …" lists, the end of the file last.
FIRST_WORDS = ("NAME", "NUMBER", "STRING", "DURATION", "COMPARE")
CLOSERS = {"LPAR": "RPAR", "LSQB": "RSQB", "INDEX_OPEN": "RSQB", "LBRACE": "RBRACE"}
DECLARATIONS = ("FLOW", "FROM", "IMPORT", "POOL", "EXECUTOR")
CHARACTER_HELP = {
    "&": "write `and` to combine conditions",
    "!": "write `not` to negate a condition, or `!=` to compare",
    ";": "statements need no `;`: put each on its own line",
    "@": "flow has no decorators; clauses follow the call, as in `node a = f(x) retry 3`",
    "\\": "a line cannot be continued with `\\`; whitespace and newlines only separate tokens",
    "`": "names are written without quotes",
    "+": "a flow does not compute: pass the values to a step that does",
    "*": "a flow does not compute: pass the values to a step that does",
    "/": "a flow does not compute: pass the values to a step that does",
    "%": "a flow does not compute: pass the values to a step that does",
}
PYTHON_WORDS = {
    "await": "flowc awaits each node's call itself: drop `await`",
    "async": "a flow is declared `flow NAME(x: int) -> int { … }`; its steps are imported functions",
    "def": "a flow is declared `flow NAME(x: int) -> int { … }`; its steps are imported functions",
    "class": "types are imported from Python modules: `from MODULE import Doc`",
    "if": "a node runs only when a condition holds with `when`: `node a = f(x=x) when x > 1`",
    "elif": "a node runs only when a condition holds with `when`; `first(a, b)` joins the branches",
    "else": "a node runs only when a condition holds with `when`; `first(a, b)` joins the branches",
    "for": "a `map` node calls its callee once for each element: `node a = map f(x=each xs)`",
    "while": "a `map` node calls its callee once for each element: `node a = map f(x=each xs)`",
    "lambda": "a step is an imported function or a flow of this file: write the lambda as a function",
    "try": "a node's failures are handled by its clauses: `retry 3`, `timeout 1s`, `fallback VALUE`",
    "except": "a node's failures are handled by its clauses: `retry 3`, `timeout 1s`, `fallback VALUE`",
    "with": "a pool is declared `pool api limit 4` and held with the clause `pool api`",
}
"""Python keywords a flow cannot contain, each with what the flow language has instead."""
PYTHON_WORD = re.compile(
    r"\b(" + "|".join(PYTHON_WORDS) + r"|yield|raise|pass|del|global|nonlocal|assert|finally|continue|break)\b"
)
CODE = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'|#.*")
"""Strings and comments, which may hold any word."""


@dataclass(frozen=True, slots=True)
class Explanation:
    message: str
    span: Span
    help: str | None = None
    notes: tuple[str, ...] = ()


def report_syntax_error(error: UnexpectedInput, errors: Collector) -> Span:
    """Describe a lark error in user words and report it; return where it was reported."""
    if isinstance(error, UnexpectedToken):
        found = explain_token(error, previous_token(error))
    elif isinstance(error, UnexpectedCharacters):
        found = explain_character(error, errors.source.text)
    else:  # pragma: no cover - the LALR parser raises only the kinds above
        found = Explanation("syntax error", Span.point(1, 1))
    line = error.token.line if isinstance(error, UnexpectedToken) else error.line
    found = python_word(errors.source.line_text(line or 1), line or 1) or found
    errors.error(codes.SYNTAX, found.message, found.span, help=found.help, notes=found.notes)
    return found.span


def python_word(text: str, line: int) -> Explanation | None:
    """A Python keyword on the line of a syntax error (outside strings and comments): the
    error is the Python, whatever the parser expected after it."""
    code = CODE.sub(lambda match: " " * len(match[0]), text)
    match = PYTHON_WORD.search(code)
    if match is None:
        return None
    word = match[1]
    return Explanation(
        f"`{word}` is Python, not part of the flow language",
        Span.point(line, match.start(1) + 1, len(word)),
        help=PYTHON_WORDS.get(word, f"remove `{word}`: a flow is nodes, clauses and edges"),
    )


def previous_token(error: UnexpectedInput) -> Token | None:
    """The token before the unexpected one (flowc's scanner keeps it in lark's `token_history`)."""
    history = getattr(error, "token_history", None)
    return history[-1] if history else None


# ---------------------------------------------------------------- describing terminals


def describe_terminal(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    try:
        pattern = parser().get_terminal(name).pattern
    except KeyError:
        return "something else"
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return "something else"  # pragma: no cover - every regular terminal is in TERMINAL_WORDS


def describe_expected(expected: Iterable[str]) -> str:
    names = set(expected)
    if "LSQB" in names:
        names.discard("INDEX_OPEN")
    first = [n for n in FIRST_WORDS if n in names]
    rest = sorted(names - set(first) - {"$END"}, key=describe_terminal)
    words = list(dict.fromkeys(describe_terminal(n) for n in first + rest + (["$END"] if "$END" in names else [])))
    if not words:
        return "nothing more"
    if len(words) > 8:
        return "one of " + ", ".join(words[:7]) + ", …"
    if len(words) <= 2:
        return " or ".join(words)
    return "one of " + ", ".join(words[:-1]) + " or " + words[-1]


def describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    return f"`{shown(str(token))}`"


def shown(text: str, limit: int = 30) -> str:
    """Text as it can be quoted in a message: control characters escaped, long text cut."""
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- unexpected tokens


def explain_token(error: UnexpectedToken, previous: Token | None) -> Explanation:
    token = error.token
    expected = set(error.accepts or error.expected)
    stack: Sequence[Any] = getattr(error.state, "value_stack", ())
    if token.type == "$END":
        span = Span.point(token.end_line, token.end_column) if token.end_line and token.end_column else Span.point(1, 1)
        base = Explanation(f"unexpected end of file; expected {describe_expected(expected)}", span)
    elif previous is not None and token.type not in DECLARATIONS and (token.line or 0) > (previous.end_line or 0):
        # What is missing belongs to the end of the line before, not to the next statement.
        span = Span.point(previous.end_line or 1, previous.end_column or 1)
        base = Explanation(
            f"expected {describe_expected(expected)} after {describe_token(previous)}, not {describe_token(token)}",
            span,
        )
    else:
        span = Span.point(token.line or 1, token.column or 1, max(1, len(str(token))))
        base = Explanation(f"unexpected {describe_token(token)}; expected {describe_expected(expected)}", span)
    opened = declaration_in_body(previous, stack)
    if opened is not None:
        return opened
    hints = (
        annotated_node,
        body_after_colon,
        untyped_parameter,
        tuple_return,
        string_prefix,
        exception_list,
        misplaced_word,
        reserved_word,
        equals_in_condition,
        duration_unit,
        edge_arrow,
        missing_node_keyword,
        missing_arrow,
        empty_return,
        call_in_type,
        literal_as_type,
        misspelt_keyword,
        duration_value,
        missing_comma,
    )
    for hint in hints:
        found = hint(token, expected, previous, base)
        if found is not None:
            return with_unclosed(found, token, expected, stack)
    return with_unclosed(base, token, expected, stack)


def annotated_node(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`node a: int = f(x)`."""
    if token.type != "COLON" or expected != {"EQUAL"} or previous is None:
        return None
    return Explanation(
        "a node has no type annotation: its type is its callee's result",
        base.span,
        help=f"write `node {shown(str(previous))} = CALLEE(ARGS)`",
    )


def body_after_colon(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`flow f(x: int) -> int:` as Python would have it."""
    if token.type != "COLON" or "LBRACE" not in expected:
        return None
    return Explanation(
        "a flow's body is written in braces, not after `:`", base.span, help="write `-> int { … }` around the body"
    )


def untyped_parameter(
    token: Token, expected: set[str], previous: Token | None, base: Explanation
) -> Explanation | None:
    """`flow f(x)`: a parameter without its type."""
    if expected != {"COLON"} or previous is None or previous.type != "NAME":
        return None
    name = shown(str(previous))
    return Explanation(f"parameter `{name}` needs a type", base.span, help=f"write `{name}: TYPE`, as in `{name}: int`")


def tuple_return(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`return a, b`: a flow returns one value or named outputs."""
    if token.type != "COMMA" or "RETURN" not in expected or "EQUAL" not in expected:
        return None
    return Explanation(
        "a flow returns one value, or named outputs",
        base.span,
        help="declare `-> (a: A, b: B)` and write `return a=NODE, b=NODE`",
    )


def string_prefix(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`f"{x}"`, `r"…"`: a Python string prefix, read as a name before a string."""
    if (
        token.type != "STRING"
        or previous is None
        or str(previous).lower() not in ("f", "r", "b", "u", "rb", "br", "fr", "rf")
    ):
        return None
    if previous.end_pos != token.start_pos:
        return None
    return Explanation(
        f'`{previous}"…"` strings are Python, not part of the flow language',
        Span.point(previous.line or 1, previous.column or 1, len(previous) + len(token)),
        help="write a plain string; a step can format it",
    )


def exception_list(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`retry 3 on ValueError TimeoutError`: the second class read as an edge statement."""
    if previous is None or previous.type != "NAME" or not str(previous).endswith(("Error", "Exception", "Warning")):
        return None
    if "`>>`" not in {describe_terminal(n) for n in expected}:
        return None
    return Explanation(
        base.message, base.span, help="exception classes in `on` are separated by commas: `on ValueError, KeyError`"
    )


def missing_comma(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`f(x=x y=x)`, `[1 2]`: a value where a `,` or a closing bracket belongs."""
    if "COMMA" not in expected or token.type not in ("NAME", "NUMBER", "STRING", "DURATION"):
        return None
    if previous is None or previous.line != token.line:
        return None
    return Explanation(
        base.message, base.span, help=f"separate the items with `,`: add one before {describe_token(token)}"
    )


RETRY_PARTS = ("backoff", "max", "jitter", "on")


def misplaced_word(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """A word that belongs elsewhere in a node was read as the start of an edge statement:
    `retry 2 timeout 1s backoff 10ms`, `when x is None`."""
    if previous is None or previous.type != "NAME":
        return None
    span = Span.point(previous.line or 1, previous.column or 1, len(previous))
    if str(previous) in RETRY_PARTS:
        return Explanation(
            f"`{previous}` is out of place: it belongs to `retry`, in this order",
            span,
            help="write `retry N [backoff D [max D2]] [jitter] [on E1, E2]`, then the other clauses",
        )
    if str(previous) == "is" and previous.line == token.line:
        return Explanation(
            "`is` is not an operator of conditions",
            span,
            help="compare with `==` or `!=`, as in `when x == None`",
        )
    return None


CLAUSE_EXAMPLES = {
    "timeout": "timeout 1s",
    "retry": "retry 3",
    "fallback": "fallback None",
    "when": "when x > 0",
    "limit": "limit 4",
    "pool": "pool api",
    "executor": "executor cpu",
}
"""Clauses whose keyword a user may write Python-style, `timeout=1s`: how each is written."""


def reserved_word(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`f(first=1)`: the keyword was read as a keyword, and the `=` after it is unexpected;
    `f(x) timeout=1s`: a clause written as a Python keyword argument."""
    if token.type != "EQUAL" or previous is None or previous.type == "NAME" or str(previous) not in reserved():
        return None
    if str(previous) in CLAUSE_EXAMPLES:
        # In an argument list a clause's word is a name (`f(limit=5)`): here it starts a clause.
        return Explanation(
            f"`{previous}` starts a clause, which is written without `=`",
            Span.point(token.line or 1, token.column or 1),
            help=f"write `{CLAUSE_EXAMPLES[str(previous)]}` after the call, with a space, not `=`",
        )
    return Explanation(
        f"`{previous}` is a reserved word and cannot name an argument",
        Span.point(previous.line or 1, previous.column or 1, len(previous)),
        help="a step that takes this argument needs a wrapper with another parameter name",
    )


def equals_in_condition(
    token: Token, expected: set[str], previous: Token | None, base: Explanation
) -> Explanation | None:
    if token.type != "EQUAL" or "COMPARE" not in expected:
        return None
    return Explanation("`=` cannot compare; a condition compares with `==`", base.span, help="write `==`")


def duration_value(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`f(x=x, timeout=1s)`: a duration where a value belongs."""
    if token.type != "DURATION" or "DURATION" in expected:
        return None
    return Explanation(
        f"`{shown(str(token))}` is a duration, which only the clauses `timeout`, `backoff` and `max` take",
        base.span,
        help=(
            "a node's timeout is a clause after its call: `node a = f(x=x) timeout 1s`; "
            "to pass seconds to a step, write a number: `1.0`"
        ),
    )


def duration_unit(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    if token.type != "NUMBER" or "DURATION" not in expected:
        return None
    return Explanation(
        f"`{shown(str(token))}` is a number, but a duration is expected here",
        base.span,
        help="write the unit right after the number: `ms`, `s`, `m` or `h`, as in `250ms` or `1.5s`",
    )


def edge_arrow(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    if "`>>`" not in {describe_terminal(n) for n in expected}:
        return None
    if str(token) not in ("->", ">", "=>", "<<", "-"):
        return None
    return Explanation(base.message, base.span, help="an edge is written `a >> b`")


def missing_node_keyword(
    token: Token, expected: set[str], previous: Token | None, base: Explanation
) -> Explanation | None:
    words = {describe_terminal(n) for n in expected}
    if token.type != "EQUAL" or previous is None or previous.type != "NAME" or "`>>`" not in words:
        return None
    return Explanation(
        f"unexpected `=` after `{shown(str(previous))}`",
        base.span,
        help=f"declare a node with `node`: `node {shown(str(previous))} = CALLEE(ARGS)`",
    )


def literal_as_type(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    if token.type not in ("STRING", "NUMBER") or not {"NAME", "NONE"} <= expected or "STRING" in expected:
        return None
    return Explanation(
        base.message, base.span, help=f"a literal type is written `Literal[{shown(str(token))}]` (from `typing`)"
    )


def missing_arrow(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    if {describe_terminal(n) for n in expected} != {"`->`"}:
        return None
    return Explanation(base.message, base.span, help="a flow declares its result after `->`: `-> int`, or `-> None`")


def empty_return(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    if previous is None or previous.type != "RETURN":
        return None
    return Explanation(
        base.message,
        base.span,
        help="write what the flow returns, as in `return NODE`; a `-> None` flow needs no `return`",
    )


def call_in_type(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    if token.type != "LPAR" or "VBAR" not in expected:
        return None
    return Explanation(
        base.message,
        base.span,
        help="a type is a name, a subscript `X[...]` or a union `X | Y`; it cannot call anything",
    )


def misspelt_keyword(token: Token, expected: set[str], previous: Token | None, base: Explanation) -> Explanation | None:
    """`retyr 3`, `nod a = …`, `form m import f`: a name close to a keyword."""
    for candidate in (token, previous):
        if candidate is None or candidate.type != "NAME":
            continue
        if str(candidate) in reserved():
            continue
        # A name followed by something no edge statement allows on its line (`retires 3`) can
        # only be a clause: a looser match is still the likeliest reading.
        loose = candidate is previous and candidate.line == token.line
        close = difflib.get_close_matches(str(candidate), keywords(), n=1, cutoff=0.6 if loose else 0.75)
        words = {describe_terminal(n).strip("`") for n in expected}
        # The name before was misspelt only if it was read as the start of an edge statement;
        # elsewhere (`x: int ->`) it is a name where a name belongs.
        if close and (close[0] in words or (candidate is previous and ">>" in words)):
            # Reported at the misspelt word, which was read as a name: not at what follows it.
            kind = "a clause" if close[0] in CLAUSE_WORDS else "a keyword"
            return Explanation(
                f"`{shown(str(candidate))}` is not {kind} of the flow language",
                Span.point(candidate.line or 1, candidate.column or 1, len(candidate)),
                help=f"did you mean `{close[0]}`?",
            )
    return None


CLAUSE_WORDS = ("timeout", "retry", "fallback", "when", "limit", "pool", "executor", "collect", "sync", "thread")


def with_unclosed(found: Explanation, token: Token, expected: set[str], stack: Sequence[Any]) -> Explanation:
    """At the end of the file, or at a new declaration, name the bracket left open."""
    opener_at = next((i for i in range(len(stack) - 1, -1, -1) if is_opener(stack[i])), None)
    if opener_at is None:
        return found
    opener: Token = stack[opener_at]
    closer = describe_terminal(CLOSERS[opener.type])
    where = f"line {opener.line}"
    flow = flow_name(stack[:opener_at]) if opener.type == "LBRACE" else None
    what = f"the body of flow `{flow}`" if flow else f"the `{opener}` at {where}, column {opener.column}"
    notes = (f"the body opens at {where}",) if flow else ()
    if token.type == "$END":
        return Explanation(
            f"the file ends before {what} is closed", found.span, help=f"add the missing {closer}", notes=notes
        )
    if token.type in DECLARATIONS and CLOSERS[opener.type] in expected:
        return Explanation(
            f"unexpected {describe_token(token)}: {what} is not closed",
            found.span,
            help=f"add the missing {closer} before {describe_token(token)}",
            notes=notes,
        )
    if opener.type != "LBRACE" and (token.line or 0) > (opener.line or 0) and CLOSERS[opener.type] in expected:
        return Explanation(found.message, found.span, found.help, (*found.notes, f"{what} is not closed"))
    return found


def declaration_in_body(previous: Token | None, stack: Sequence[Any]) -> Explanation | None:
    """`flow g(...)` inside an unclosed body: there `flow` reads as a name (an edge could
    start with one), so the error comes a token later; report it at `flow`."""
    if (
        previous is None
        or previous.type != "NAME"
        or str(previous) not in ("flow", "from", "import", "pool", "executor")
    ):
        return None
    braces = [i for i, item in enumerate(stack) if isinstance(item, Token) and item.type == "LBRACE"]
    flow = flow_name(stack[: braces[-1]]) if braces else None
    if flow is None:
        return None
    opener: Token = stack[braces[-1]]
    return Explanation(
        f"unexpected `{previous}`: the body of flow `{flow}` is not closed",
        Span.point(previous.line or 1, previous.column or 1, len(previous)),
        help=f"add the missing `}}` before `{previous}`",
        notes=(f"the body opens at line {opener.line}",),
    )


def is_opener(item: Any) -> bool:
    return isinstance(item, Token) and item.type in CLOSERS


def flow_name(stack: Sequence[Any]) -> str | None:
    """The name of the flow whose header is on the parser's stack, if any."""
    for i in range(len(stack) - 1, 0, -1):
        item = stack[i - 1]
        if isinstance(item, Token) and item.type == "FLOW":
            return str(stack[i])
    return None


# ---------------------------------------------------------------- unexpected characters

EXPONENT_DURATION = re.compile(r"[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+(ms|s|m|h)(?![A-Za-z0-9_])")


def explain_character(error: UnexpectedCharacters, text: str) -> Explanation:
    pos = error.pos_in_stream or 0
    char = text[pos] if pos < len(text) else ""
    span = Span.point(error.line, error.column)
    parser = getattr(error, "interactive_parser", None)
    expected = describe_expected(parser.accepts() if parser is not None else error.allowed or ())
    if char in "\"'":
        return Explanation(
            "this string is not closed on its line",
            span,
            help=f"end it with {char}; a string cannot span lines (write `\\n` for a line break)",
        )
    if char.isdigit():
        word = text[pos:].split(None, 1)[0][:30]
        exponent = EXPONENT_DURATION.match(word)
        if exponent is not None:
            return Explanation(
                f"`{shown(exponent[0])}` is not a duration: a duration has no exponent",
                Span.point(error.line, error.column, len(exponent[0])),
                help="write the number in full, in the unit that suits it: `250ms`, `1.5s`, `2m`, `1h`",
            )
        return Explanation(
            f"`{shown(word)}` is neither a number nor a duration",
            span,
            help="a duration is a number and a unit, `ms`, `s`, `m` or `h`, as in `250ms`; a name cannot start with a digit",
        )
    if char.isalpha():
        return Explanation(
            f"unexpected character `{shown(char)}`: names use ASCII letters, digits and `_`",
            span,
            help="rename it with ASCII characters only",
        )
    what = shown(char) if char.isprintable() else f"U+{ord(char):04X}"
    quoted = "'`'" if char == "`" else f"`{what}`"  # a backquote cannot stand inside backquotes
    return Explanation(f"unexpected character {quoted}; expected {expected}", span, help=CHARACTER_HELP.get(char))
