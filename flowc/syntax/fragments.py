"""Pieces of grammar rules that the builder assembles into syntax-tree objects and that
never appear in the tree themselves."""

from __future__ import annotations

from dataclasses import dataclass

from lark import Token

from ..source import Span
from . import tree as s


@dataclass(frozen=True, slots=True)
class CallSuffix:
    """`(args)` after a name, before it is known to be a call."""

    args: tuple[s.Arg, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Backoff:
    delay: s.Seconds
    cap: s.Seconds | None
    span: Span


@dataclass(frozen=True, slots=True)
class RetryOn:
    names: tuple[s.TypeName, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ImportName:
    name: Token
    alias: Token | None
    span: Span


@dataclass(frozen=True, slots=True)
class Imports:
    items: tuple[s.Import, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Rate:
    count: s.Number
    per: s.Duration
    span: Span
