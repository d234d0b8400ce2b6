"""`flowc run`'s inputs: JSON values built into the types the flow's parameters are annotated
with, nested as deep as the annotations go.

A dataclass, a named tuple or a typed dict is built from a JSON object (a named tuple also
from an array), an enum from one of its values (or its name), a list, tuple, set or dict from
an array or an object whose elements are built in turn, a date, time, decimal, path or UUID
from its usual text. A value of the wrong shape is a `UsageError` that names where it is
(`order.items[2].quantity`), what was expected and what was found.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import decimal
import difflib
import enum
import json
import pathlib
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .errors import InputError, UsageError

SEQUENCES: frozenset[Any] = frozenset(
    {list, collections.abc.Sequence, collections.abc.MutableSequence, collections.abc.Iterable}
    | {collections.abc.Collection}
)
SETS: frozenset[Any] = frozenset({set, collections.abc.Set, collections.abc.MutableSet})
MAPPINGS: frozenset[Any] = frozenset({dict, collections.abc.Mapping, collections.abc.MutableMapping})
TEXTS: dict[type, Callable[[str], Any]] = {
    datetime.datetime: datetime.datetime.fromisoformat,
    datetime.date: datetime.date.fromisoformat,
    datetime.time: datetime.time.fromisoformat,
    uuid.UUID: uuid.UUID,
    pathlib.Path: pathlib.Path,
    pathlib.PurePath: pathlib.PurePath,
    pathlib.PurePosixPath: pathlib.PurePosixPath,
}
"""Types built from a JSON string by a function of it."""


class Mismatch(Exception):
    """A JSON value that does not fit its annotation, at `where`."""

    def __init__(self, where: str, message: str, help: str | None = None) -> None:
        super().__init__(message)
        self.where, self.message, self.help = where, message, help


def build_inputs(function: Callable[..., Any], values: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `function` (a flow), each JSON value built into the type of
    its parameter's annotation."""
    hints = resolved_hints(function, f"flow `{getattr(function, '__name__', '?')}`")
    try:
        return {name: build(value, hints.get(name, Any), name) for name, value in values.items()}
    except Mismatch as error:
        raise UsageError(f"`{error.where}`: {error.message}", help=error.help) from None
    except RecursionError:
        raise UsageError("an input is nested too deeply to build") from None


def resolved_hints(owner: Any, what: str, *, extras: bool = False) -> dict[str, Any]:
    """The resolved annotations of a function or class (`Required[…]`, `Annotated[…]` kept
    with `extras`)."""
    try:
        return typing.get_type_hints(owner, include_extras=extras)
    except Exception as error:  # a name only imported under TYPE_CHECKING, a typo in a string
        raise InputError(
            f"cannot read the annotations of {what}, which `flowc run` builds inputs from: "
            f"{type(error).__name__}: {error}"
        ) from None


def build(value: Any, hint: Any, where: str) -> Any:
    """`value` (decoded JSON) as an instance of `hint`."""
    if hint is Any or hint is object or isinstance(hint, typing.TypeVar):
        return value
    if hint is None or hint is types.NoneType:
        return expect(value, value is None, hint, where)
    origin = typing.get_origin(hint)
    if origin is not None:
        return build_generic(value, hint, origin, where)
    if isinstance(hint, typing.NewType):
        return build(value, hint.__supertype__, where)
    if not isinstance(hint, type):
        return value  # a string annotation left unresolved, a Protocol instance: nothing to build
    return build_class(value, hint, where)


def build_generic(value: Any, hint: Any, origin: Any, where: str) -> Any:
    """A parameterised annotation: `list[Item]`, `dict[str, int]`, `Item | None`, `Literal[…]`."""
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return build_union(value, hint, args, where)
    if origin is typing.Literal:
        return expect(value, any(type(value) is type(a) and value == a for a in args), hint, where)
    if origin is typing.Annotated:
        return build(value, args[0], where)
    if origin is tuple:
        return build_tuple(value, hint, args, where)
    if origin in SEQUENCES or origin in SETS or origin is frozenset:
        items = [
            build(item, args[0] if args else Any, f"{where}[{i}]") for i, item in enumerate(array(value, hint, where))
        ]
        return items if origin in SEQUENCES else frozenset(items) if origin is frozenset else set(items)
    if origin in MAPPINGS:
        key_type, value_type = args if len(args) == 2 else (Any, Any)
        return {
            build_key(key, key_type, where): build(item, value_type, f"{where}[{key!r}]")
            for key, item in json_object(value, hint, where).items()
        }
    if isinstance(origin, type):
        return build_class(value, origin, where)
    return value


def build_union(value: Any, hint: Any, args: tuple[Any, ...], where: str) -> Any:
    """The first member of a union the value builds into; `None` for an optional one."""
    if value is None and types.NoneType in args:
        return None
    members = [a for a in args if a is not types.NoneType]
    if len(members) == 1:
        return build(value, members[0], where)
    for member in members:
        try:
            return build(value, member, where)
        except Mismatch:
            continue
    raise Mismatch(where, f"expected {describe(hint)}, found {found(value)}")


def build_tuple(value: Any, hint: Any, args: tuple[Any, ...], where: str) -> tuple[Any, ...]:
    items = array(value, hint, where)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(build(item, args[0], f"{where}[{i}]") for i, item in enumerate(items))
    if args == ((),):
        args = ()
    if args and len(items) != len(args):
        raise Mismatch(where, f"expected {describe(hint)}: {len(args)} items, found {len(items)}")
    return tuple(
        build(item, arg, f"{where}[{i}]") for i, (item, arg) in enumerate(zip(items, args or [Any] * len(items)))
    )


def build_key(key: str, hint: Any, where: str) -> Any:
    """A dict key, written as a JSON object's string key: an int or an enum is read from it."""
    if hint is int:
        try:
            return int(key)
        except ValueError:
            raise Mismatch(f"{where}[{key!r}]", f"the key must be an integer, found {found(key)}") from None
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        written = {json_text(m.value).strip('"'): m for m in hint}  # a key is text: 1 → "1"
        return written[key] if key in written else build_enum(key, hint, f"{where}[{key!r}]")
    return build(key, hint, f"{where}[{key!r}]")


def build_class(value: Any, cls: type, where: str) -> Any:
    """An instance of a class: a scalar, an enum, a dataclass, a named tuple, a typed dict."""
    if cls is bool:
        return expect(value, isinstance(value, bool), cls, where)
    if cls is int:
        return expect(value, isinstance(value, int) and not isinstance(value, bool), cls, where)
    if cls is float:
        return float(expect(value, isinstance(value, int | float) and not isinstance(value, bool), cls, where))
    if cls is str:
        return expect(value, isinstance(value, str), cls, where)
    if issubclass(cls, enum.Enum):
        return build_enum(value, cls, where)
    if dataclasses.is_dataclass(cls):
        return build_dataclass(value, cls, where)
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return build_named_tuple(value, cls, where)
    if typing.is_typeddict(cls):
        return build_typed_dict(value, cls, where)
    return build_plain(value, cls, where)


def build_plain(value: Any, cls: type, where: str) -> Any:
    """A value of a class that is no record: a text type, a decimal, or an unparameterised
    container; anything else cannot be built from JSON."""
    if cls in TEXTS:
        text = expect(value, isinstance(value, str), cls, where)
        try:
            return TEXTS[cls](text)
        except ValueError as error:
            raise Mismatch(where, f"{found(value)} is not a {cls.__name__}: {error}") from None
    if cls is decimal.Decimal:
        ok = isinstance(value, str | int | float) and not isinstance(value, bool)
        try:
            return decimal.Decimal(str(expect(value, ok, cls, where)))
        except decimal.InvalidOperation:
            raise Mismatch(where, f"{found(value)} is not a number") from None
    if cls in (list, tuple, set, frozenset, dict) or cls in SEQUENCES | SETS | MAPPINGS:
        return build_generic(value, cls, cls, where)
    if isinstance(value, cls):
        return value
    raise Mismatch(
        where,
        f"`flowc run` cannot build a `{describe(cls)}` from JSON",
        help="it builds dataclasses, named tuples, typed dicts, enums, standard containers and scalars; "
        "run this flow from Python to pass another kind of value",
    )


def build_enum(value: Any, cls: type[enum.Enum], where: str) -> enum.Enum:
    """An enum member from its value, or from its name."""
    for member in cls:
        if type(member.value) is type(value) and member.value == value:
            return member
    if isinstance(value, str) and value in cls.__members__:
        return cls.__members__[value]
    allowed = ", ".join(json_text(m.value) for m in cls)
    raise Mismatch(where, f"expected one of `{cls.__name__}`'s values ({allowed}), found {found(value)}")


def build_dataclass(value: Any, cls: type, where: str) -> Any:
    fields = [f for f in dataclasses.fields(cls) if f.init]
    required = [f.name for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    given = record(value, cls, where, [f.name for f in fields], required)
    hints = resolved_hints(cls, f"`{cls.__qualname__}`")
    return construct(
        cls, where, **{name: build(item, hints.get(name, Any), f"{where}.{name}") for name, item in given.items()}
    )


def build_named_tuple(value: Any, cls: type, where: str) -> Any:
    names: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    defaults: dict[str, Any] = getattr(cls, "_field_defaults", {})
    if isinstance(value, list):
        least = len(names) - len(defaults)
        if not least <= len(value) <= len(names):
            count = f"{least} to {len(names)}" if least < len(names) else str(least)
            listed = ", ".join(names)
            raise Mismatch(where, f"expected {count} items for `{cls.__name__}` ({listed}), found {len(value)}")
        value = dict(zip(names, value))
    given = record(value, cls, where, list(names), [n for n in names if n not in defaults])
    hints = resolved_hints(cls, f"`{cls.__qualname__}`")
    return construct(
        cls, where, **{name: build(item, hints.get(name, Any), f"{where}.{name}") for name, item in given.items()}
    )


def build_typed_dict(value: Any, cls: type, where: str) -> dict[str, Any]:
    """A typed dict; which keys are required is read from the resolved annotations too
    (`__required_keys__` misses a `NotRequired` written as a string annotation)."""
    required: list[str] = []
    hints: dict[str, Any] = {}
    for key, hint in resolved_hints(cls, f"`{cls.__qualname__}`", extras=True).items():
        origin = typing.get_origin(hint)
        wrapped = origin is typing.Required or origin is typing.NotRequired
        hints[key] = typing.get_args(hint)[0] if wrapped else hint
        if origin is typing.Required or (not wrapped and key in getattr(cls, "__required_keys__", ())):
            required.append(key)
    given = record(value, cls, where, list(hints), required)
    return {key: build(item, hints[key], f"{where}.{key}") for key, item in given.items()}


def record(value: Any, cls: type, where: str, names: list[str], required: list[str]) -> dict[str, Any]:
    """A JSON object holding a record's fields: every required one, no unknown one."""
    given = json_object(value, cls, where)
    for key in given:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"its fields: {', '.join(names) or 'none'}"
            raise Mismatch(where, f"`{cls.__name__}` has no field `{key}`", help=hint)
    missing = [name for name in required if name not in given]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        raise Mismatch(where, f"`{cls.__name__}` needs {listed}", help=f"its fields: {', '.join(names)}")
    return given


def construct(cls: type, where: str, **fields: Any) -> Any:
    """`cls(**fields)`; what its own checks raise (a `__post_init__`) is a located error."""
    try:
        return cls(**fields)
    except Exception as error:
        raise Mismatch(where, f"`{cls.__name__}(…)` raised {type(error).__name__}: {error}") from None


def array(value: Any, hint: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise Mismatch(where, f"expected {describe(hint)} (a JSON array), found {found(value)}")
    return value


def json_object(value: Any, hint: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Mismatch(where, f"expected {describe(hint)} (a JSON object), found {found(value)}")
    return value


def expect(value: Any, ok: bool, hint: Any, where: str) -> Any:
    if not ok:
        raise Mismatch(where, f"expected {describe(hint)}, found {found(value)}")
    return value


def describe(hint: Any) -> str:
    """An annotation as a person writes it: `list[Item]`, `int | None`."""
    if hint is None or hint is types.NoneType:
        return "None"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return " | ".join(describe(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(json_text(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join('...' if a is Ellipsis else describe(a) for a in args)}]" if args else name
    return getattr(hint, "__qualname__", None) or str(hint)


def found(value: Any) -> str:
    """A JSON value as a message names it: its kind, and a short form of it."""
    kinds: Mapping[type, str] = {bool: "", type(None): "", int: "the number ", float: "the number ", str: "the string "}
    kind = next((k for t, k in kinds.items() if type(value) is t), None)
    if kind is None:
        return "an array" if isinstance(value, list) else "an object" if isinstance(value, dict) else repr(value)
    return kind + shorten(json_text(value))


def json_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
