"""A hatchling build hook: compile a project's `.flow` files as its wheel is built.

Configured in the project's `pyproject.toml`:

    [build-system]
    requires = ["hatchling", "flowc"]
    build-backend = "hatchling.build"

    [tool.hatch.build.hooks.flowc]
    sources = ["src"]        # default: `sources` of [tool.flowc], else the project root
    mode = "compile"         # or "check": the generated modules are committed; verify them

With `[tool.flowc] runtime = "shared"`, each folder that receives modules also gets its
`_flowc_runtime.py` (written, put into the wheel or verified with them).

In `compile` mode every `.flow` file under the sources is compiled before the wheel is
built, and each `NAME.py` goes into the wheel beside its `NAME.flow`, or at its place under
`[tool.flowc] output` when the project sets one (generated in a temporary folder: the source
tree is not touched). For an editable install the modules are
written where `flowc compile` writes them, so that imports work from the tree. In `check` mode nothing is
written and the build fails if a committed module is missing or stale. A source distribution
only validates: the wheel built from it compiles again. Any `.flow` error fails the build,
and so do sources or an output outside the project, a missing `sources` folder, a bad
`[tool.flowc]` table, an unreadable file and an existing `NAME.py` that flowc did not
generate: each with a message, never a Python traceback.
"""

from __future__ import annotations

import difflib
import os
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
        root = Path(self.root)
        project = self.project_config(root)
        sources, mode = self.options(project)
        modules = self.compile(self.targets(root, project, sources), shared=project.runtime == "shared")
        if mode == "check":
            self.verify(modules)
        elif self.target_name == "sdist":
            return
        elif version == "editable":
            for target, text in modules:
                try:
                    written = files.write_if_changed(target.output, text.encode("utf-8"))
                except OSError as error:
                    self.fail(f"cannot write `{target.output_display}`: {error.strerror or error}")
                if written:
                    self.app.display_info(f"flowc: wrote {target.output_display}")
        else:
            self.include(modules, build_data)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._generated is not None:
            shutil.rmtree(self._generated, ignore_errors=True)
            self._generated = None

    def targets(self, root: Path, project: Config, sources: list[str]) -> list[Target]:
        """The `.flow` files under `sources`, each with its output (beside it, or under the
        project's `[tool.flowc] output`); everything must lie inside the project."""
        from . import batch

        out_dir = root / project.output if project.output else None
        for path in [*sources, *([project.output] if project.output else [])]:
            if not Path(os.path.realpath(root / path)).is_relative_to(os.path.realpath(root)):
                self.fail(f"`{path}` is outside the project; sources and output must be inside `{root.name}`")
        try:
            found = batch.plan(
                sources,
                base=root,
                out_dir=out_dir,
                exclude=files.Excluder(root, project.exclude),
                roots=[root / source for source in sources],
            )
        except UsageError as error:
            self.fail(error.message)
        for target in found.targets:
            existing = files.header_source(target.output)
            if existing is None and target.output.exists():
                self.fail(
                    f"`{target.output_display}` exists and is not generated by flowc; `{target.display}` would "
                    "replace it: rename or move it"
                )
        return found.targets

    def options(self, project: Config) -> tuple[list[str], str]:
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
            sources = list(project.sources) or ["."]
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            self.fail('`sources` must be a list of paths, like `sources = ["src"]`')
        return sources, mode

    def compile(self, targets: list[Target], *, shared: bool) -> list[tuple[Target, str]]:
        """Every target's module, and with `shared` the runtime file of each output folder;
        every error of every file fails the build at once."""
        from ..compiler import runtime_text
        from ..diagnostics import CompileError
        from .batch import compile_target, runtime_target

        modules, errors = [], []
        if shared:
            folders = sorted({target.output.parent for target in targets})
            for folder in folders:
                runtime = runtime_target(folder, Path(self.root))
                if runtime.output.exists() and files.header_source(runtime.output) is None:
                    self.fail(
                        f"`{runtime.output_display}` exists and is not generated by flowc; the shared runtime"
                        " would replace it: rename or move it"
                    )
                modules.append((runtime, runtime_text()))
        for target in targets:
            try:
                modules.append((target, compile_target(target, target.source.read_bytes(), shared)))
            except CompileError as error:
                errors.append(error.render())
            except OSError as error:
                errors.append(f"{target.display}: error: cannot read the file: {error.strerror or error}")
        if errors:
            self.fail("the .flow files have errors:\n\n" + "\n\n".join(errors))
        return modules

    def verify(self, modules: list[tuple[Target, str]]) -> None:
        """`check` mode: every committed module must be exactly what its source compiles to."""
        outdated = []
        for target, text in modules:
            try:
                existing = files.read_or_none(target.output)
            except OSError as error:
                self.fail(f"cannot read `{target.output_display}`: {error.strerror or error}")
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
            relative = files.portable(os.path.relpath(target.output, self.root))
            generated = folder / relative
            generated.parent.mkdir(parents=True, exist_ok=True)
            generated.write_bytes(text.encode("utf-8"))
            build_data["force_include"][str(generated)] = relative

    def project_config(self, root: Path) -> Config:
        """The project's own `[tool.flowc]` (for `sources`, `output` and `exclude`), if any."""
        path = root / "pyproject.toml"
        try:
            table = read_table(path, explicit=False) if path.is_file() else None
            return parse(table, path) if table is not None else Config(root=root)
        except UsageError as error:
            self.fail(error.message + (f"; {error.help}" if error.help else ""))

    def fail(self, message: str) -> NoReturn:
        from ..diagnostics import printable

        message = "\n".join(printable(line) for line in message.split("\n"))
        self.app.abort(f"flowc: {message}")
        raise FlowcBuildError(message)  # pragma: no cover - `abort` exits


@hookimpl
def hatch_register_build_hook() -> type[BuildHookInterface[BuilderConfig]]:
    return FlowcBuildHook
