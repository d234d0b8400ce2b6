"""The LALR parser loop, over the tables and callbacks lark builds from the grammar.

lark's own loop (`ParserState.feed_token`) looks every reduction up by its `Rule` object,
whose hash and equality are Python methods; here each state's actions are flattened once
into plain ints (shift to, or go to, that state) and tuples (reduce: how many values, to
which rule, by which callback). The result, the errors raised and the parser state they
carry are lark's own, so lark's error tools (`accepts()`, the value stack) keep working.
"""

from __future__ import annotations

from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import LexerThread
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lark.parsers.lalr_parser_state import ParseConf, ParserState
from lark.utils import TextSlice

Reduce = tuple[int, str, Any]
Actions = dict[int, dict[str, "int | Reduce"]]


class Driver:
    """Parses text with a LALR `Lark` instance, faster than `Lark.parse` and equivalent."""

    def __init__(self, lark: Lark) -> None:
        frontend: Any = lark.parser
        self.lexer = frontend.lexer
        self.parser = frontend.parser.parser  # lark's `_Parser`: its tables and callbacks
        table = self.parser.parse_table
        callbacks = self.parser.callbacks
        self.actions: Actions = {}
        for state, row in table.states.items():
            # Plain `str` keys: lark's symbol names may be `Token`s, whose `==` is Python code.
            self.actions[state] = {
                str(symbol): arg if action is Shift else (len(arg.expansion), str(arg.origin.name), callbacks[arg])
                for symbol, (action, arg) in row.items()
            }

    def parse(self, text: str | TextSlice[str], start: str) -> Any:
        """The value the start rule's callback returns; raises lark's `UnexpectedInput`."""
        lexer = LexerThread.from_text(self.lexer, text)
        state: ParserState[int] = ParserState(ParseConf(self.parser.parse_table, self.parser.callbacks, start), lexer)
        try:
            return self.run(state, lexer)
        except UnexpectedInput as error:
            error.interactive_parser = InteractiveParser(self.parser, state, lexer)
            raise

    def run(self, state: ParserState[int], lexer: LexerThread) -> Any:
        actions = self.actions
        stack, values = state.state_stack, state.value_stack
        token = None
        for token in lexer.lex(state):  # type: ignore[no-untyped-call]
            while True:
                try:
                    action = actions[stack[-1]][token.type]
                except KeyError:
                    raise self.unexpected(token, state) from None
                if type(action) is int:
                    stack.append(action)
                    values.append(token)
                    break
                size, rule, callback = action  # type: ignore[misc]
                children = values[-size:] if size else []
                if size:
                    del stack[-size:]
                    del values[-size:]
                values.append(callback(children))
                stack.append(actions[stack[-1]][rule])  # type: ignore[arg-type]
        return self.finish(state, Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1))

    def finish(self, state: ParserState[int], end: Token) -> Any:
        """Reduce what is left at the end of the input, up to the start rule."""
        actions, end_state = self.actions, state.parse_conf.end_state
        stack, values = state.state_stack, state.value_stack
        while True:
            action = actions[stack[-1]].get("$END")
            if not isinstance(action, tuple):
                raise self.unexpected(end, state)
            size, rule, callback = action
            children = values[-size:] if size else []
            if size:
                del stack[-size:]
                del values[-size:]
            values.append(callback(children))
            stack.append(actions[stack[-1]][rule])  # type: ignore[arg-type]
            if stack[-1] == end_state:
                return values[-1]

    @staticmethod
    def unexpected(token: Token, state: ParserState[int]) -> UnexpectedToken:
        expected = {s for s in state.parse_conf.states[state.position] if s.isupper()}
        return UnexpectedToken(token, expected, state=state, interactive_parser=None)  # type: ignore[no-untyped-call]
