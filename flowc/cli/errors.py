"""Errors of the command line itself, as opposed to errors in a `.flow` file."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage, configuration or I/O: the command line exits with status 2."""

    def __init__(self, message: str, *, help: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.help = help


class InputError(Exception):
    """A problem with the user's input outside a `.flow` file's text (a flow that raised
    when run, a step module that fails to import): the command line exits with status 1."""
