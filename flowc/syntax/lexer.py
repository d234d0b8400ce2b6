"""The scanner that feeds lark's LALR parser: one regular expression over the whole text.

It does what lark's contextual lexer does for this grammar, several times faster: a word
that is a keyword (`limit`, `map`, `first`, …) is that keyword where the parser can accept
it, and a plain name where the parser expects a name but not that keyword, so `node limit =`
and `fetch(timeout=5)` read as names. That needs the parser's state at every word, which a
lark `Lexer` class (interface 0, its documented extension point) is never given, so the
scanner drives lark's interactive parser itself: `choices()` says what the parser accepts
next, `feed_token` and `feed_eof` parse. It also stops input nested too deeply for the
later, recursive stages before they could exhaust Python's stack.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lark import Token, UnexpectedCharacters, UnexpectedToken

from .grammar import Vocabulary, parser, vocabulary

MAX_DEPTH = 100
"""How deeply brackets of any kind and `not` may nest, counted together, in expressions and
types alike: later stages, black among them, recurse over expressions, conditions and types
(a dict type deepest). A `not` counts until the operand it applies to begins."""

# The parser's stack grows by one to four entries per level of nesting; a backstop.
MAX_STACK = 500


class NestingTooDeep(Exception):
    """Input nested more deeply than flowc accepts, at the token where the limit was hit."""

    def __init__(self, token: Token, depth: int) -> None:
        super().__init__(f"nesting too deep at line {token.line}")
        self.token = token
        self.depth = depth
        """Brackets and `not`s open at the token (0 when the parser's stack overflowed)."""


class Scanner:
    """Tokens of `.flow` text, from the grammar's own terminal definitions, fed to lark."""

    def __init__(self, words: Vocabulary) -> None:
        self.keywords = words.words
        self.symbols = words.symbols
        # Regular terminals by priority; symbols longest first so that `>>` beats `>` (in
        # COMPARE) and `...` beats `.`; the `[` that INDEX_OPEN also matches is settled in
        # `parse` by what the parser accepts.
        symbols = "|".join(re.escape(s) for s in sorted(self.symbols, key=len, reverse=True))
        ordered = sorted(words.patterns, key=lambda p: -p[0])
        ignored = [f"(?P<{name}>{regexp})" for name, regexp in words.ignored]
        high = [f"(?P<{name}>{regexp})" for priority, name, regexp in ordered if priority > 1]
        low = [f"(?P<{name}>{regexp})" for priority, name, regexp in ordered if priority <= 1]
        self.ignore = frozenset(name for name, _ in words.ignored)
        self.regexp = re.compile("|".join(ignored + high + [f"(?P<SYMBOL>{symbols})"] + low))
        self.opening = frozenset({"INDEX_OPEN", *(self.symbols[s] for s in "([{" if s in self.symbols)})
        self.closing = frozenset(self.symbols[s] for s in ")]}" if s in self.symbols)
        self.negation = self.keywords.get("not", "")
        # After these, a name is a parameter's (`limit width`), never a reserved word: the
        # word stays a keyword, so `retry` at the end of a line leaves `node` on the next
        # one a keyword.
        self.settings = frozenset(self.keywords[w] for w in ("timeout", "retry", "limit", "backoff", "max"))

    def parse(self, text: str, start: str, offset: int = 0) -> Any:
        """The value of rule `start` for `text[offset:]` (lines and columns counted in the
        whole text); raises lark's `UnexpectedInput`, its `token_history` holding the token
        before the unexpected one, which names the mistake in some messages."""
        interactive: Any = parser().parse_interactive(start=start)  # lark leaves its methods untyped
        stack = interactive.parser_state.state_stack
        choices, feed = interactive.choices, interactive.feed_token
        keywords, symbols, ignore, match = self.keywords, self.symbols, self.ignore, self.regexp.match
        pos, end = offset, len(text)
        line = text.count("\n", 0, pos) + 1
        line_start = text.rfind("\n", 0, pos) + 1
        previous: Token | None = None
        last: Token | None = None
        depth = negations = 0  # open brackets; `not`s since the last token that is neither
        try:
            while pos < end:
                found = match(text, pos)
                if found is None:
                    column = pos - line_start + 1
                    raise UnexpectedCharacters(text, pos, line, column, allowed=set(choices()))  # type: ignore[no-untyped-call]
                kind = found.lastgroup or ""
                value = found.group()
                start_pos, pos = pos, found.end()
                if kind in ignore:
                    newlines = value.count("\n")
                    if newlines:
                        line += newlines
                        line_start = start_pos + value.rindex("\n") + 1
                    continue
                if kind == "NAME":
                    keyword = keywords.get(value)
                    if keyword is not None:
                        accepts = choices()
                        if keyword in accepts or "NAME" not in accepts or (last and last.type in self.settings):
                            kind = keyword
                elif kind == "SYMBOL":
                    kind = symbols[value]
                elif kind == "INDEX_OPEN" and kind not in choices():
                    kind = symbols["["]
                column = start_pos - line_start + 1
                token = Token(kind, value, start_pos, line, column, line, column + len(value), pos)
                if kind in self.opening:
                    depth += 1
                elif kind == self.negation:
                    negations += 1
                else:
                    depth = max(0, depth - 1) if kind in self.closing else depth
                    negations = 0
                if depth + negations > MAX_DEPTH or len(stack) > MAX_STACK:
                    raise NestingTooDeep(token, depth + negations)
                previous, last = last, token
                feed(token)
            return interactive.feed_eof(last)
        except (UnexpectedToken, UnexpectedCharacters) as error:
            # Both lark's slots on the error, as lark's own parser loop fills them.
            error.interactive_parser = interactive
            error.token_history = [previous] if previous is not None else None
            raise


@functools.cache
def scanner() -> Scanner:
    return Scanner(vocabulary())
