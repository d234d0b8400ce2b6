"""The scanner that feeds lark's LALR parser: one regular expression over the whole text.

It does what lark's contextual lexer does for this grammar, several times faster: a word
that is a keyword (`limit`, `map`, `first`, …) is that keyword where the parser can accept
it, and a plain name where the parser expects a name but not that keyword, so `node limit =`
and `fetch(timeout=5)` read as names. It also stops input nested too deeply for the later,
recursive stages before they could exhaust Python's stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import Token
from lark.common import LexerConf
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, LexerState, PatternStr

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

MAX_DEPTH = 100
"""How deeply brackets of any kind and `not` may nest, counted together, in expressions and
types alike: later stages, black among them, recurse over expressions, conditions and types
(a dict type deepest). A `not` counts until the operand it applies to begins."""

# The parser's stack grows by one to four entries per level of nesting; a backstop.
MAX_STACK = 500


class NestingTooDeep(Exception):
    """Input nested more deeply than flowc accepts, at the token where the limit was hit."""

    def __init__(self, token: Token) -> None:
        super().__init__(f"nesting too deep at line {token.line}")
        self.token = token


class FlowLexer(Lexer):
    """A lark lexer (interface 2) built from the grammar's own terminal definitions."""

    __future_interface__ = 2

    def __init__(self, conf: LexerConf) -> None:
        self.keywords: dict[str, str] = {}
        self.symbols: dict[str, str] = {}
        patterns: list[tuple[int, str, str]] = []
        for terminal in conf.terminals:
            pattern = terminal.pattern
            if terminal.name in conf.ignore:
                patterns.append((-1, terminal.name, pattern.to_regexp()))
            elif isinstance(pattern, PatternStr) and WORD.fullmatch(pattern.value):
                self.keywords[pattern.value] = terminal.name
            elif isinstance(pattern, PatternStr):
                self.symbols[pattern.value] = terminal.name
            elif strings := literal_alternatives(pattern.to_regexp()):
                self.symbols.update(dict.fromkeys(strings, terminal.name))
            else:
                patterns.append((terminal.priority, terminal.name, pattern.to_regexp()))
        # Regular terminals by priority; symbols longest first so that `>>` beats `>` (in
        # COMPARE) and `...` beats `.`; the `[` that INDEX_OPEN also matches is settled in
        # `lex` by what the parser accepts.
        symbols = "|".join(re.escape(s) for s in sorted(self.symbols, key=len, reverse=True))
        ordered = sorted(patterns, key=lambda p: -p[0])
        high = [f"(?P<{name}>{regexp})" for priority, name, regexp in ordered if priority > 1]
        low = [f"(?P<{name}>{regexp})" for priority, name, regexp in ordered if priority <= 1]
        self.ignore = frozenset(conf.ignore)
        self.opening = frozenset({"INDEX_OPEN", *(self.symbols[s] for s in "([{" if s in self.symbols)})
        self.closing = frozenset(self.symbols[s] for s in ")]}" if s in self.symbols)
        self.negation = self.keywords.get("not", "")
        self.regexp = re.compile("|".join(high + [f"(?P<SYMBOL>{symbols})"] + low))

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        text_slice = lexer_state.text
        text: str = text_slice.text
        pos: int = text_slice.start
        end: int = text_slice.end
        line = text.count("\n", 0, pos) + 1
        line_start = text.rfind("\n", 0, pos) + 1
        states = parser_state.parse_conf.states
        stack = parser_state.state_stack
        keywords, symbols, ignore, match = self.keywords, self.symbols, self.ignore, self.regexp.match
        new_token = Token._future_new  # what `Token(...)` calls, without its deprecation shim
        previous: Token | None = None
        depth = negations = 0  # open brackets; `not`s since the last token that is neither
        while pos < end:
            found = match(text, pos, end)
            if found is None:
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text,
                    pos,
                    line,
                    pos - line_start + 1,
                    allowed=set(states[parser_state.position]),
                    state=parser_state,
                )
            kind = found.lastgroup or ""
            value = found.group()
            start, pos = pos, found.end()
            if kind in ignore:
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = start + value.rindex("\n") + 1
                continue
            if kind == "NAME":
                keyword = keywords.get(value)
                if keyword is not None:
                    accepts = states[stack[-1]]
                    if keyword in accepts or "NAME" not in accepts:
                        kind = keyword
            elif kind == "SYMBOL":
                kind = symbols[value]
            elif kind == "INDEX_OPEN" and kind not in states[stack[-1]]:
                kind = symbols["["]
            column = start - line_start + 1
            token = new_token(kind, value, start, line, column, line, column + len(value), pos)  # type: ignore[no-untyped-call]
            if kind in self.opening:
                depth += 1
            elif kind == self.negation:
                negations += 1
            else:
                depth = max(0, depth - 1) if kind in self.closing else depth
                negations = 0
            if depth + negations > MAX_DEPTH or len(stack) > MAX_STACK:
                raise NestingTooDeep(token)
            # lark's slot, used here for the token before the one being parsed, which names
            # the mistake in some syntax errors (see flowc/parse.py).
            lexer_state.last_token = previous
            previous = token
            yield token


def literal_alternatives(regexp: str) -> list[str]:
    """The strings of a terminal written as `"a" | "b"` (lark's `(?:a|b)`), else []."""
    if not (regexp.startswith("(?:") and regexp.endswith(")")):
        return []
    strings = [re.sub(r"\\(.)", r"\1", alt) for alt in regexp[3:-1].split("|")]
    if any(re.escape(s) != alt for s, alt in zip(strings, regexp[3:-1].split("|"))):
        return []
    return strings
