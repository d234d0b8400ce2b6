"""`[tool.flowc]` in `pyproject.toml`: defaults for the command line.

The file is found by searching upward from the working folder, stopping after the folder
that holds `.git` (or at the filesystem root); the nearest `pyproject.toml` with a
`[tool.flowc]` table wins. Relative paths in it are relative to its own folder. Flags
given on the command line override it; `--isolated` ignores it, `--config FILE` names it.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError

OUTPUT_FORMATS = ("full", "concise", "json", "sarif", "github")
COLORS = ("auto", "always", "never")
RUNTIMES = ("inline", "shared")
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Settings from a configuration file (every field None or empty when there is none)."""

    path: Path | None = None
    root: Path
    """The folder that relative paths in the file are relative to."""
    sources: tuple[str, ...] = ()
    output: str | None = None
    runtime: str | None = None
    output_format: str | None = None
    color: str | None = None
    exclude: tuple[str, ...] = ()
    types: bool | None = None
    type_checker: str | None = None
    warnings_as_errors: bool | None = None
    import_roots: tuple[str, ...] = ()
    pythonpath: tuple[str, ...] = ()
    """Folders `flowc run` imports a flow's steps from, before the ones it finds itself."""

    def roots(self) -> list[Path]:
        """Where `from a.b import f` looks for `a/b.flow`: `import-roots`; by default the
        configuration file's folder and its `src/` when there is one; without a
        configuration file, the working folder."""
        if self.import_roots:
            return [self.root / root for root in self.import_roots]
        if self.path is not None and (self.root / "src").is_dir():
            return [self.root, self.root / "src"]
        return [self.root]


def string_list(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f'`{key}` must be a list of strings, like `{key} = ["flows"]`')
    return tuple(value)


def string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f'`{key}` must be a string, like `{key} = "generated"`')
    return value


def boolean(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"`{key}` must be true or false, like `{key} = true`")
    return value


def choice(options: tuple[str, ...]) -> Callable[[str, object], str]:
    def check(key: str, value: object) -> str:
        if value not in options:
            raise TypeError(f"`{key}` must be one of " + ", ".join(f'"{o}"' for o in options) + f", not {value!r}")
        assert isinstance(value, str)
        return value

    return check


KEYS: dict[str, Callable[[str, object], object]] = {
    "sources": string_list,
    "output": string,
    "runtime": choice(RUNTIMES),
    "output-format": choice(OUTPUT_FORMATS),
    "color": choice(COLORS),
    "exclude": string_list,
    "types": boolean,
    "type-checker": choice(("mypy", "pyright")),
    "warnings-as-errors": boolean,
    "import-roots": string_list,
    "pythonpath": string_list,
}


def discover(cwd: Path, config_file: str | None, isolated: bool) -> Config:
    """The configuration in effect for a run started in `cwd`."""
    if isolated:
        return Config(root=cwd)
    if config_file is not None:
        path = cwd / config_file
        table = read_table(path, explicit=True)
        return parse(table if table is not None else {}, path)
    for folder in (cwd, *cwd.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            table = read_table(candidate, explicit=False)
            if table is not None:
                return parse(table, candidate)
        if (folder / ".git").exists():
            break
    return Config(root=cwd)


def read_table(path: Path, *, explicit: bool) -> dict[str, Any] | None:
    """The `[tool.flowc]` table of a TOML file; for a named file that is not a
    `pyproject.toml`, its top level. None when a `pyproject.toml` has no such table."""
    try:
        data = tomllib.loads(read_bounded(path).decode("utf-8"))
    except FileNotFoundError:
        raise UsageError(f"configuration file `{path}` does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read configuration file `{path}`: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"`{path}` is not valid TOML: {error}") from None
    except RecursionError:
        raise UsageError(f"`{path}` is nested too deeply to read") from None
    tool = data.get("tool")
    if isinstance(tool, dict) and "flowc" in tool:
        table = tool["flowc"]
        if not isinstance(table, dict):
            raise UsageError(f"`{path}`: `tool.flowc` must be a table")
        return table
    if explicit:
        if path.name == "pyproject.toml":
            raise UsageError(f"`{path}` has no `[tool.flowc]` table")
        return data
    return None


def read_bounded(path: Path) -> bytes:
    """A configuration file's bytes, refusing one larger than `MAX_CONFIG_BYTES` (a device
    such as `/dev/zero` would otherwise be read forever)."""
    with path.open("rb") as file:
        data = file.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise OSError(f"larger than {MAX_CONFIG_BYTES // 1024 // 1024} MiB; is it a configuration file?")
    return data


def parse(table: dict[str, Any], path: Path) -> Config:
    """Check every key and value of a `[tool.flowc]` table."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        check = KEYS.get(key)
        if check is None:
            close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else "known keys: " + ", ".join(f"`{k}`" for k in KEYS)
            raise UsageError(f"`{path}`: unknown key `{key}` in [tool.flowc]", help=hint)
        try:
            values[key.replace("-", "_")] = check(key, value)
        except TypeError as error:
            raise UsageError(f"`{path}`: in [tool.flowc], {error}") from None
    return Config(path=path, root=path.parent, **values)
