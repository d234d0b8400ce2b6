"""`flowc run`: compile a `.flow` file in memory, import it, run one flow, print JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import difflib
import enum
import json
import linecache
import math
import os
import re
import sys
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..semantics import ir
from . import files
from .config import Config
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
        values[name] = parse_value(name, text)
    missing = [p.name for p in flow.params if p.default is None and p.name not in values]
    if missing:
        raise UsageError(
            f"flow `{flow.name}` needs " + ", ".join(f"`{m}`" for m in missing),
            help="give each as `NAME=JSON`: " + " ".join(f"{m}=..." for m in missing),
        )
    return values


def parse_value(name: str, text: str) -> Any:
    """One input's JSON value; a value Python cannot hold (an integer past its digit limit,
    nesting past its recursion limit) is a usage error like malformed JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"the value of `{name}` is not JSON: {error.msg}: {shorten(text)}",
            help=f"a string is written in double quotes: {name}='\"{shorten(text)}\"'",
        ) from None
    except ValueError:  # int("1" * 5000): Python's limit on integer digits
        raise UsageError(
            f"the value of `{name}` has an integer longer than {sys.get_int_max_str_digits()} digits, Python's limit",
            help="`PYTHONINTMAXSTRDIGITS=0` lifts the limit; or pass it as a JSON string",
        ) from None
    except RecursionError:
        raise UsageError(f"the value of `{name}` is nested too deeply to read") from None


def too_long(number: int) -> bool:
    """Whether `str(number)` would pass Python's limit on integer digits."""
    limit = sys.get_int_max_str_digits()
    return bool(limit) and number.bit_length() > 3 * limit and abs(number) >= 10**limit


def shorten(text: str, limit: int = 60) -> str:
    """A value as quoted in a message: printable, and cut short when long."""
    shown = ascii(text)[1:-1]
    return shown if len(shown) <= limit else shown[:limit] + "…"


def import_roots(file: Path, cwd: Path, config: Config) -> list[Path]:
    """The folders a flow's imports are looked for in, first to last: `pythonpath` and
    `import-roots` of `[tool.flowc]` (a `.flow` file another imports is compiled to a module
    under its import root); the folder above the outermost package holding the file (folders
    with an `__init__.py`); the project's `src/` and the project's folder (the configuration
    file's, else the nearest holding a `pyproject.toml`); the working folder; the file's own
    folder."""
    roots = [config.root / folder for folder in (*config.pythonpath, *config.import_roots)]
    package = file.parent
    while (package / "__init__.py").is_file():
        package = package.parent
    if package != file.parent:
        roots.append(package)
    project = config.root if config.path is not None else project_folder(file.parent)
    if project is not None:
        roots += [p for p in (project / "src", project) if p.is_dir()]
    roots += [cwd, file.parent]
    return list(dict.fromkeys(Path(os.path.normpath(r)) for r in roots))


def project_folder(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a `pyproject.toml`, searching no higher
    than the folder that holds `.git`."""
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
        if (folder / ".git").exists():
            break
    return None


def import_failure(error: BaseException, roots: Sequence[Path], cwd: Path) -> InputError:
    """A generated module that failed to import: for a module not found, which folders were
    searched and how to add one."""
    message = f"importing the compiled module failed: {last_line(error)}"
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return InputError(message)
    top = error.name.partition(".")[0]
    searched = ", ".join(f"`{files.display(r, cwd)}`" for r in roots)
    here = [r for r in roots if (r / top).is_dir() or (r / f"{top}.py").is_file()]
    if here and top != error.name:
        help = f"`{top}` is in `{files.display(here[0], cwd)}`, but has no module `{error.name}`"
    elif here:
        help = f"`{top}` was found in `{files.display(here[0], cwd)}`; is a module it imports missing?"
    else:
        help = (
            f"if `{top}` is part of the project, add the folder that holds it to `pythonpath` in "
            f"[tool.flowc]; if it is a package, install it into the environment flowc runs in"
        )
    return InputError(f"{message}\nsearched: {searched}, then the installed packages", help=help)


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
    (named tuples and dataclasses look their module up in `sys.modules`). What its import
    raises becomes `Raised`."""
    module = types.ModuleType(module_name(name))
    module.__file__ = filename
    name = module.__name__
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        try:
            exec(compile(code, filename, "exec"), module.__dict__)
        except (Exception, SystemExit, asyncio.CancelledError) as error:
            raise Raised(error, importing=True) from error
        yield module
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous


def module_name(stem: str) -> str:
    """The name the generated module is imported under: the file's stem, unless a module of
    that name exists (`time.flow` must not replace the `time` its own code imports)."""
    if stem.isidentifier() and stem not in sys.stdlib_module_names and stem not in sys.modules:
        return stem
    return f"_flowc_run_{stem}"


class Raised(Exception):
    """The user's code raised `error`: the generated module's import, or the flow's run."""

    def __init__(self, error: BaseException, *, importing: bool) -> None:
        super().__init__(last_line(error))
        self.error = error
        self.importing = importing


def run(flow: Callable[..., Any], inputs: dict[str, Any]) -> Any:
    """Run one flow to its end in a fresh event loop; what it raises becomes `Raised`,
    `SystemExit` and `CancelledError` raised by a step included: they end the flow, not
    flowc (Ctrl-C still interrupts)."""
    try:
        return asyncio.run(flow(**inputs))
    except (Exception, SystemExit, asyncio.CancelledError) as error:
        raise Raised(error, importing=False) from error


def as_json(value: Any) -> str:
    """A flow's result as JSON text (see `jsonable`): lone surrogates are written as
    `\\uXXXX` escapes; a result that holds itself, is nested past Python's recursion limit or
    has an integer too long to print raises `InputError`."""
    try:
        text = json.dumps(jsonable(value, set()), indent=2, ensure_ascii=False, allow_nan=False)
    except RecursionError:
        raise InputError("the result is nested too deeply to print as JSON") from None
    except InputError:
        raise
    except Exception as error:  # an int past sys.get_int_max_str_digits(), a `__str__` that raises
        raise InputError(f"the result cannot be printed as JSON: {last_line(error)}") from error
    return SURROGATE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


SURROGATE = re.compile("[\ud800-\udfff]")

NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
"""How a float JSON has no number for is printed: as a string."""


def last_line(error: BaseException) -> str:
    """The last line of the traceback (`ValueError: bad input`) and the exception's notes."""
    return "".join(traceback.format_exception_only(error)).rstrip("\n")


def jsonable(value: Any, holders: set[int] | None = None) -> Any:
    """A value in the shapes JSON has: dataclasses and named tuples as objects, other
    tuples and sets as arrays, objects as their attributes, NaN and infinities as the strings
    `"NaN"`, `"Infinity"`, `"-Infinity"`, anything else as text. `holders` (the ids of the
    containers being converted) finds a value that holds itself: `InputError`."""
    match value:
        case float() if not math.isfinite(value):
            return NON_FINITE[repr(value)]
        case int() if too_long(value):
            raise InputError(
                f"the result has an integer longer than {sys.get_int_max_str_digits()} digits, Python's limit "
                "for printing one; `PYTHONINTMAXSTRDIGITS=0` lifts it"
            )
        case None | bool() | int() | float() | str():
            return value
    holders = set() if holders is None else holders
    if id(value) in holders:
        raise InputError(f"the result holds itself (a {type(value).__name__} inside itself): JSON cannot show it")
    holders.add(id(value))
    try:
        return jsonable_container(value, holders)
    finally:
        holders.discard(id(value))


def jsonable_container(value: Any, holders: set[int]) -> Any:
    """`jsonable` of anything but a plain scalar."""

    def convert(item: Any) -> Any:
        return jsonable(item, holders)

    match value:
        case enum.Enum():
            return convert(value.value)
        case BaseException():
            return last_line(value)
        case tuple() if hasattr(value, "_fields"):
            return {field: convert(item) for field, item in zip(value._fields, value)}
        case list() | tuple():
            return [convert(item) for item in value]
        case set() | frozenset():
            items = [convert(item) for item in value]
            return sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
        case dict():
            return {key if isinstance(key, str) else str(key): convert(item) for key, item in value.items()}
        case datetime.date() | datetime.time():
            return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "__dict__") and not isinstance(value, type) and vars(value):
        return {key: convert(item) for key, item in vars(value).items() if not key.startswith("_")}
    return str(value)
