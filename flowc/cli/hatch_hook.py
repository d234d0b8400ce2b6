"""A hatchling build hook: compile a project's `.flow` files as its wheel is built.

Configured in the project's `pyproject.toml`:

    [build-system]
    requires = ["hatchling", "flowc"]
    build-backend = "hatchling.build"

    [tool.hatch.build.hooks.flowc]
    sources = ["src"]        # default: `sources` of [tool.flowc], else the project root
    mode = "compile"         # or "check": the generated modules are committed; verify them

In `compile` mode every `.flow` file under the sources is compiled before the wheel is
built, and each `NAME.py` goes into the wheel beside its `NAME.flow` (generated in a
temporary folder: the source tree is not touched). For an editable install the modules are
written beside their sources, so that imports work from the tree. In `check` mode nothing is
written and the build fails if a committed module is missing or stale. A source distribution
only validates: the wheel built from it compiles again. Any `.flow` error fails the build.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl

from . import files
from .config import Config, parse, read_table
from .errors import UsageError

if TYPE_CHECKING:
    from .batch import Target

# The compiler itself (and black) is imported only when the hook runs: hatchling imports
# this module for every build in an environment where flowc is installed.

OPTIONS = ("sources", "mode")
HATCH_OPTIONS = ("dependencies", "require-runtime-dependencies", "require-runtime-features", "enable-by-default")
MODES = ("compile", "check")


class FlowcBuildError(Exception):
    """The build cannot go on: a `.flow` file has errors, or an output is out of date."""


class FlowcBuildHook(BuildHookInterface[BuilderConfig]):
    """Compiles `.flow` files into the wheel (see the module's docstring)."""

    PLUGIN_NAME = "flowc"
    _generated: Path | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        sources, mode = self.options()
        from . import batch

        root = Path(self.root)
        project = project_config(root)
        found = batch.plan(sources, base=root, out_dir=None, exclude=files.Excluder(root, project.exclude))
        modules = self.compile(found.targets)
        if mode == "check":
            self.verify(modules)
        elif self.target_name == "sdist":
            return
        elif version == "editable":
            for target, text in modules:
                if files.write_if_changed(target.output, text.encode("utf-8")):
                    self.app.display_info(f"flowc: wrote {target.output_display}")
        else:
            self.include(modules, build_data)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._generated is not None:
            shutil.rmtree(self._generated, ignore_errors=True)
            self._generated = None

    def options(self) -> tuple[list[str], str]:
        """`sources` and `mode` from `[tool.hatch.build.hooks.flowc]`, checked."""
        for key in self.config:
            if key not in OPTIONS and key not in HATCH_OPTIONS:
                close = difflib.get_close_matches(key, OPTIONS, n=1)
                hint = f"; did you mean `{close[0]}`?" if close else f"; the options are {', '.join(OPTIONS)}"
                self.fail(f"unknown option `{key}` in [tool.hatch.build.hooks.flowc]{hint}")
        mode = self.config.get("mode", "compile")
        if mode not in MODES:
            self.fail(f'`mode` must be "compile" or "check", not {mode!r}')
        sources = self.config.get("sources")
        if sources is None:
            sources = list(project_config(Path(self.root)).sources) or ["."]
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            self.fail('`sources` must be a list of paths, like `sources = ["src"]`')
        return sources, mode

    def compile(self, targets: list[Target]) -> list[tuple[Target, str]]:
        """Every target's module; every error of every file fails the build at once."""
        from ..compiler import compile_timed, decode
        from ..diagnostics import CompileError

        modules, errors = [], []
        for target in targets:
            try:
                source = decode(target.source.read_bytes(), target.display)
                modules.append((target, compile_timed(source.text, target.display)[0]))
            except CompileError as error:
                errors.append(error.render())
        if errors:
            self.fail("the .flow files have errors:\n\n" + "\n\n".join(errors))
        return modules

    def verify(self, modules: list[tuple[Target, str]]) -> None:
        """`check` mode: every committed module must be exactly what its source compiles to."""
        outdated = []
        for target, text in modules:
            existing = files.read_or_none(target.output)
            if existing != text.encode("utf-8"):
                state = "missing" if existing is None else "out of date"
                outdated.append(f"  {target.output_display} ({state})")
        if outdated:
            listing = "\n".join(outdated)
            self.fail(f"generated modules need updating:\n{listing}\nrun `flowc compile` and commit the result")

    def include(self, modules: list[tuple[Target, str]], build_data: dict[str, Any]) -> None:
        """Write the modules to a temporary folder and force them into the wheel at the
        place of `NAME.py` beside `NAME.flow`."""
        folder = Path(tempfile.mkdtemp(prefix="flowc-build-"))
        self._generated = folder
        for target, text in modules:
            relative = target.output_display
            generated = folder / relative
            generated.parent.mkdir(parents=True, exist_ok=True)
            generated.write_bytes(text.encode("utf-8"))
            build_data["force_include"][str(generated)] = relative

    def fail(self, message: str) -> NoReturn:
        self.app.abort(f"flowc: {message}")
        raise FlowcBuildError(message)  # pragma: no cover - `abort` exits


def project_config(root: Path) -> Config:
    """The project's own `[tool.flowc]` (for `sources` and `exclude`), if any."""
    path = root / "pyproject.toml"
    try:
        table = read_table(path, explicit=False) if path.is_file() else None
        return parse(table, path) if table is not None else Config(root=root)
    except UsageError as error:
        raise FlowcBuildError(error.message) from None


@hookimpl
def hatch_register_build_hook() -> type[BuildHookInterface[BuilderConfig]]:
    return FlowcBuildHook
