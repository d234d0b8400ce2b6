"""Errors of the command line itself, as opposed to errors in a `.flow` file."""

from __future__ import annotations

from ..diagnostics import printable


class UsageError(Exception):
    """Bad usage, configuration or I/O: the command line exits with status 2. The message and
    help are one line each, and what they quote (a file name, an argument) is made printable:
    a control character or escape sequence in a name never reaches the terminal."""

    def __init__(self, message: str, *, help: str | None = None) -> None:
        message = printable(message)
        super().__init__(message)
        self.message = message
        self.help = None if help is None else printable(help)


class InputError(Exception):
    """A problem with the user's input outside a `.flow` file's text (a flow that raised
    when run, a step module that fails to import): the command line exits with status 1."""

    def __init__(self, message: str, *, help: str | None = None) -> None:
        super().__init__(message)
        self.help = help
