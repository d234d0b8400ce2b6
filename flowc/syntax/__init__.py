"""Stage one: `.flow` text to a syntax tree, with located syntax errors. The only package
that imports lark."""

from .parse import parse

__all__ = ["parse"]
