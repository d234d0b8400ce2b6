"""`flowc run`: compile a `.flow` file in memory, import it, run one flow, print JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import difflib
import enum
import json
import linecache
import sys
import traceback
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..semantics import ir
from .errors import InputError, UsageError


def choose_flow(module: ir.Module, name: str | None, stem: str) -> ir.Flow:
    """The flow asked for; else the only one, or the one named after the file."""
    flows = {flow.name: flow for flow in module.flows}
    listed = ", ".join(f"`{f}`" for f in flows)
    if name is not None:
        if name in flows:
            return flows[name]
        close = difflib.get_close_matches(name, flows, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"the file's flows: {listed}"
        raise UsageError(f"`{module.path}` has no flow `{name}`", help=hint)
    if len(flows) == 1:
        return module.flows[0]
    if stem in flows:
        return flows[stem]
    raise UsageError(f"`{module.path}` has several flows: {listed}", help="choose one with `--flow NAME`")


def parse_inputs(pairs: Sequence[str], flow: ir.Flow) -> dict[str, Any]:
    """`NAME=JSON` arguments as keyword arguments of the flow, checked against its parameters."""
    params = {p.name: p for p in flow.params}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals or not name:
            raise UsageError(f"`{pair}` is not an input: write `NAME=JSON`, like `x=3` or `name='\"Ada\"'`")
        if name not in params:
            close = difflib.get_close_matches(name, params, n=1)
            hint = f"did you mean `{close[0]}`?" if close else "its parameters: " + (", ".join(params) or "none")
            raise UsageError(f"flow `{flow.name}` has no parameter `{name}`", help=hint)
        if name in values:
            raise UsageError(f"`{name}` is given twice")
        try:
            values[name] = json.loads(text)
        except json.JSONDecodeError as error:
            raise UsageError(
                f"the value of `{name}` is not JSON: {error.msg}: {text!r}",
                help=f"a string is written in double quotes: {name}='\"{text}\"'",
            ) from None
    missing = [p.name for p in flow.params if p.default is None and p.name not in values]
    if missing:
        raise UsageError(
            f"flow `{flow.name}` needs " + ", ".join(f"`{m}`" for m in missing),
            help="give each as `NAME=JSON`: " + " ".join(f"{m}=..." for m in missing),
        )
    return values


@contextmanager
def import_path(folders: Sequence[Path]) -> Iterator[None]:
    """`folders` at the front of `sys.path` for a while, so the flow's step modules import."""
    saved = list(sys.path)
    sys.path[:0] = [str(f) for f in dict.fromkeys(folders)]
    try:
        yield
    finally:
        sys.path[:] = saved


@contextmanager
def loaded(code: str, name: str, filename: str) -> Iterator[types.ModuleType]:
    """The generated module, imported from its text under the name `name` for a while
    (named tuples and dataclasses look their module up in `sys.modules`)."""
    module = types.ModuleType(name)
    module.__file__ = filename
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        try:
            exec(compile(code, filename, "exec"), module.__dict__)
        except Exception as error:
            raise InputError(f"importing the compiled module failed: {last_line(error)}") from error
        yield module
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous


def run(module: types.ModuleType, flow: str, inputs: dict[str, Any]) -> Any:
    """Run one flow to its end; its exceptions become an `InputError` with the traceback's
    last line and notes."""
    try:
        return asyncio.run(getattr(module, flow)(**inputs))
    except Exception as error:
        raise InputError(last_line(error)) from error


def last_line(error: BaseException) -> str:
    """The last line of the traceback (`ValueError: bad input`) and the exception's notes."""
    return "".join(traceback.format_exception_only(error)).rstrip("\n")


def jsonable(value: Any) -> Any:
    """A value in the shapes JSON has: dataclasses and named tuples as objects, other
    tuples and sets as arrays, objects as their attributes, anything else as text."""
    match value:
        case None | bool() | int() | float() | str():
            return value
        case enum.Enum():
            return jsonable(value.value)
        case BaseException():
            return last_line(value)
        case tuple() if hasattr(value, "_fields"):
            return {field: jsonable(item) for field, item in zip(value._fields, value)}
        case list() | tuple():
            return [jsonable(item) for item in value]
        case set() | frozenset():
            items = [jsonable(item) for item in value]
            return sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
        case dict():
            return {key if isinstance(key, str) else str(key): jsonable(item) for key, item in value.items()}
        case datetime.date() | datetime.time():
            return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "__dict__") and not isinstance(value, type) and vars(value):
        return {key: jsonable(item) for key, item in vars(value).items() if not key.startswith("_")}
    return str(value)
