"""Compiling many `.flow` files at once: which files, where their outputs go, and what
`compile`, `compile --check`, `compile --diff` and `check` do with each."""

from __future__ import annotations

import contextlib
import difflib
import os
import posixpath
import shlex
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..codegen.shared import RUNTIME_FILE, RUNTIME_MODULE, runtime_import
from ..codes import (
    FOREIGN_OUTPUT,
    IO_ERROR,
    MISSING_OUTPUT,
    ORPHANED_OUTPUT,
    STALE_OUTPUT,
)
from ..compiler import Built, analyze, build, compile_timed, decode, runtime_text
from ..diagnostics import CompileError, printable
from ..project import Project
from ..semantics.imports import Loader
from ..source import Source
from . import files
from .errors import UsageError
from .report import Problem, Reporter
from .typecheck import Unit, check_types


@dataclass(frozen=True, slots=True)
class Target:
    """One `.flow` file and the module it compiles to."""

    source: Path
    display: str
    """The source as shown in messages and written in the header: relative, never absolute."""
    output: Path
    output_display: str
    header: str = ""
    """The source as the module's header names it, when not `display`: relative to the
    project's folder (the configuration file's), so that it is the same from any working folder."""
    header_folder: str = ""
    """The `-o` folder of the header's `regenerate:` command (when the output is not beside
    the source), relative to the same folder."""


@dataclass(frozen=True, slots=True)
class Tree:
    """A folder given as a PATH: its outputs mirror its sources under `output_root`."""

    source_root: Path
    output_root: Path


@dataclass(slots=True)
class Plan:
    base: Path
    """The folder that displayed paths are relative to."""
    targets: list[Target] = field(default_factory=list)
    trees: list[Tree] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    """PATH folders in which no `.flow` file was found."""
    home: Path | None = None
    """The folder that header paths are relative to, for the sources inside it."""
    named: dict[str, Path] = field(default_factory=dict)
    """Each PATH that names one file → the `.flow` source it stands for (itself, when it is
    passed over or is a generated module whose source is gone)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """PATHs passed over, and why: a `.py` file flowc did not generate, an excluded file
    (`force_exclude`)."""
    lost: list[Orphan] = field(default_factory=list)
    """Generated modules named as PATHs whose source is gone."""
    project: Project | None = None
    """Where the `.flow` files the targets import are found (None: imports are Python's)."""


def plan(
    paths: Sequence[str],
    *,
    base: Path,
    out_dir: Path | None,
    exclude: files.Excluder,
    roots: Sequence[Path] = (),
    home: Path | None = None,
    force_exclude: bool = False,
) -> Plan:
    """Every file named by `paths` (relative to `base`), with its output: `NAME.py` beside it
    or under `out_dir`, mirrored relative to the folder given (for a file given by itself:
    the deepest of `roots` holding it, else its own folder). Headers name the sources inside
    `home` relative to it. A generated module named stands for its source; a `.py` file flowc
    did not generate is passed over, and so is a file `exclude` matches with `force_exclude`."""
    result = Plan(base, home=home)
    seen: dict[Path, Target] = {}
    outputs: dict[Path, Target] = {}
    for raw in paths:
        path = Path(os.path.normpath(base / raw))
        if path.is_dir() and path.suffix == ".flow":
            raise UsageError(
                f"`{raw}` is a folder, not a .flow file", help="rename the folder, or name the files in it"
            )
        if path.is_dir():
            sources = [(f, path) for f in walk_sources(path, raw, exclude)]
            result.trees.append(Tree(path, out_dir or path))
            if not sources:
                result.empty.append(raw)
        elif path.is_file():
            source = named_source(raw, path, result, exclude if force_exclude else None)
            if source is None:
                continue
            sources = [(source, files.containing_root(source, roots) if out_dir else source.parent)]
        else:
            raise UsageError(f"no such file or folder: `{raw}`")
        for source, root in sources:
            if source in seen:
                continue
            output = files.output_for(source, root, out_dir)
            header_base = home if home is not None and source.is_relative_to(home) else base
            target = Target(
                source,
                files.display(source, base),
                output,
                files.display(output, base),
                files.display(source, header_base),
                files.display(regenerate_folder(source, output, roots), header_base),
            )
            if output in outputs:
                other = outputs[output].display
                raise UsageError(
                    f"`{other}` and `{target.display}` would both be compiled to `{target.output_display}`"
                )
            seen[source] = outputs[output] = target
            result.targets.append(target)
    return result


def named_source(raw: str, path: Path, found: Plan, exclude: files.Excluder | None) -> Path | None:
    """The `.flow` source a file PATH stands for (itself, or for a generated module the source
    its header names, else the `.flow` file beside it), or None when it is passed over."""
    found.named[raw] = path
    source = path
    if path.suffix == ".py":
        named = files.header_source(path)
        if named is None:
            found.skipped.append((raw, "not generated by flowc"))
            return None
        if path.name == RUNTIME_FILE:
            found.skipped.append((raw, "the shared runtime, checked with the modules beside it"))
            return None
        candidates = [folder / named for folder in (found.home, found.base) if folder is not None and named]
        found_source = next((c for c in [*candidates, path.with_suffix(".flow")] if c.is_file()), None)
        if found_source is None:
            shown = named or files.display(path.with_suffix(".flow"), found.base)
            found.lost.append(Orphan(files.display(path, found.base), shown, path))
            return None
        source = Path(os.path.normpath(found_source))
    if exclude is not None and (exclude(source) or exclude(path)):
        found.skipped.append((raw, "excluded by the configuration"))
        return None
    found.named[raw] = source
    return source


def regenerate_folder(source: Path, output: Path, roots: Sequence[Path]) -> Path:
    """The `-o` folder with which `source`, named by itself, compiles to `output`: a file
    under a configured source root is mirrored relative to that root."""
    relative = source.parent.relative_to(files.containing_root(source, roots)).parts
    folder = output.parent
    if relative and folder.parts[-len(relative) :] == relative:
        return folder.parents[len(relative) - 1]
    return folder


def walk_sources(folder: Path, raw: str, exclude: files.Excluder) -> list[Path]:
    """The `.flow` files under a PATH folder; a sub-folder that cannot be read is a usage
    error (exit 2), never skipped."""
    try:
        return list(files.walk(folder, ".flow", exclude))
    except OSError as error:
        where = files.display(Path(error.filename), folder) if error.filename else "."
        shown = raw if where == "." else posixpath.join(raw, where)
        raise UsageError(f"cannot read the folder `{shown}`: {error.strerror or error}") from None


@dataclass(slots=True)
class Counts:
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    io_errors: int = 0
    stale: int = 0
    missing: int = 0
    foreign: int = 0
    orphaned: list[str] = field(default_factory=list)
    runtimes: int = 0
    """Shared runtime files written."""
    orphaned_modules: list[str] = field(default_factory=list)
    """Of `orphaned`, the generated modules; the others are shared runtime files, which
    `compile` removes."""
    outdated: list[Path] = field(default_factory=list)
    """The sources of the stale and missing outputs (a shared runtime: its own path)."""
    warned: int = 0
    """Files with warnings."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Vetting:
    """What more than the compile a file must pass: a type checker (`--types`), no warnings."""

    types: str | None = None
    """`mypy` or `pyright`: type-check the generated modules with it; None: do not."""
    warnings_as_errors: bool = False
    cwd: Path = field(default_factory=Path.cwd)

    def failed(self, counts: Counts) -> bool:
        return self.warnings_as_errors and counts.warned > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Mode:
    """What `compile` does with each result."""

    check: bool = False
    diff: TextIO | None = None
    diff_color: bool = False
    fix_command: list[str] = field(default_factory=list)
    force: bool = False
    """Overwrite an output that exists but was not generated by flowc."""
    shared: bool = False
    """`--runtime shared`: modules import their helpers from one `_flowc_runtime.py` per
    output folder, which is written, checked and diffed with them."""
    vetting: Vetting = field(default_factory=Vetting)
    fix_files: dict[str, Path] = field(default_factory=dict)
    """The items of `fix_command` that name one file → the source each stands for: the fix
    names only those whose outputs are out of date."""

    @property
    def writes(self) -> bool:
        return not self.check and self.diff is None


def compile_all(found: Plan, reporter: Reporter, mode: Mode) -> int:
    """`flowc compile` over planned targets; the exit status."""
    start = time.perf_counter()
    counts = Counts()
    if mode.shared:
        # The runtime first: a module is never written without the helpers it imports.
        for folder in sorted({target.output.parent for target in found.targets}):
            runtime = runtime_target(folder, found.base)
            write_output(runtime, runtime_text(), reporter, mode, counts, "the modules compiled beside it import it")
    shared_modules: set[Path] = set()
    built = [(t, compile_file(t, reporter, counts, mode.shared, found.project)) for t in found.targets]
    if mode.shared and mode.vetting.types is not None:
        # The checker reads each module with its helpers inline: no runtime file to find.
        checked = [
            (t, None if b is None else compile_target(t, b.module.text.encode(), False, found.project))
            for t, b in built
        ]
    else:
        checked = built
    typed = vet_types([(t.source.parent, b) for t, b in checked], reporter, mode.vetting, counts)
    for (target, result), ok in zip(built, typed, strict=True):
        compile_one(target, result.code if result is not None and ok else None, reporter, mode, counts, shared_modules)
    found_orphans: list[Orphan] = []
    if mode.check:
        try:
            found_orphans = orphans(found)
        except OSError as error:
            io_problem(reporter, counts, files.display(Path(error.filename or "."), found.base), "cannot list", error)
    try:
        # For --check, a runtime that only orphaned modules import is orphaned with them:
        # the fix removes those, then compiles, which removes the runtime.
        unused = unused_runtimes(found, shared_modules, {o.output for o in found_orphans})
    except OSError as error:
        unused = []
        io_problem(reporter, counts, files.display(Path(error.filename or "."), found.base), "cannot list", error)
    for runtime in unused:
        if mode.writes:
            remove_runtime(runtime, reporter, counts)
        elif mode.diff is not None:
            print_removal(mode.diff, runtime, mode.diff_color)
            counts.written += 1
    if mode.check:
        found_orphans += [Orphan(r.output_display, "", r.output) for r in unused]
        found_orphans.sort(key=lambda o: o.output_display)
        for orphan in found_orphans:
            counts.orphaned.append(orphan.output_display)
            if orphan.display:
                counts.orphaned_modules.append(orphan.output_display)
            reporter.problem(
                Problem(
                    code=ORPHANED_OUTPUT.code,
                    message=f"generated from `{orphan.display}`, which no longer exists"
                    if orphan.display
                    else "the shared runtime of a folder in which no module imports it",
                    path=orphan.output_display,
                    help=f"delete it: `rm {shlex.quote(orphan.output_display)}`"
                    if orphan.display
                    else "`flowc compile` removes it once no module imports it",
                )
            )
        outdated = counts.stale + counts.missing + len(counts.orphaned)
        if outdated:
            reporter.conclusion(
                f"flowc: {outdated} {'output is' if outdated == 1 else 'outputs are'} out of date; "
                f"fix with: {printable(fix(fix_for(mode, counts.outdated), counts))}"
            )
    reporter.info(summary(counts, mode, time.perf_counter() - start))
    if counts.io_errors:
        return 2
    failed = counts.failed or counts.foreign or counts.stale or counts.missing or counts.orphaned
    return 1 if failed or mode.vetting.failed(counts) else 0


def vet_types(
    built: list[tuple[Path, Built | None]], reporter: Reporter, vetting: Vetting, counts: Counts
) -> list[bool]:
    """Type-check the modules that compiled (with `--types`); report each file's type errors
    in `.flow` terms, and say which files have none."""
    ok = [True] * len(built)
    if vetting.types is None:
        return ok
    compiled = [(i, folder, b) for i, (folder, b) in enumerate(built) if b is not None]
    units = [
        Unit(source=Source(b.module.path, b.module.text), module=b.module, code=b.code, folder=folder)
        for _, folder, b in compiled
    ]
    for (index, _, _), unit, errors in zip(
        compiled, units, check_types(units, vetting.types, vetting.cwd), strict=True
    ):
        for error in errors:
            reporter.diagnostic(error, unit.source)
        if errors:
            counts.failed += 1
            ok[index] = False
    return ok


def report_warnings(result: Built, reporter: Reporter, counts: Counts) -> None:
    if result.module.warnings:
        counts.warned += 1
        source = Source(result.module.path, result.module.text)
        for warning in result.module.warnings:
            reporter.diagnostic(warning, source)


def compile_one(
    target: Target, text: str | None, reporter: Reporter, mode: Mode, counts: Counts, shared: set[Path]
) -> None:
    """Write, compare or diff one compiled module (None: it failed, or has type errors)."""
    if text is None:
        # Nothing is written: the module on disk, if it imports the runtime, still does.
        if mode.shared or imports_runtime_file(target.output):
            shared.add(target.output)
        return
    if imports_runtime(text):
        shared.add(target.output)
    write_output(target, text, reporter, mode, counts, f"`{target.display}` compiles to it")


def write_output(target: Target, text: str, reporter: Reporter, mode: Mode, counts: Counts, why: str) -> None:
    """Compare one output with what is on disk, then write it, diff it or report it (`mode`);
    `why` says what the output is, for a missing one."""
    data = text.encode("utf-8")
    try:
        existing = files.read_or_none(target.output)
    except OSError as error:
        io_problem(reporter, counts, target.output_display, "cannot read", error)
        return
    if existing == data:
        counts.unchanged += 1
        reporter.detail(f"unchanged {target.output_display}")
        return
    if existing is not None and not mode.force and not files.has_marker(existing):
        counts.foreign += 1
        writer = f"`{target.display}`" if target.display else "the shared runtime"
        reporter.problem(
            Problem(
                code=FOREIGN_OUTPUT.code,
                message=f"exists and is not generated by flowc; {writer} would overwrite it",
                path=target.output_display,
                help="rename or move it, or pass `--force` to overwrite it",
            )
        )
        return
    if mode.diff is not None:
        print_diff(mode.diff, target.output_display, existing, text, mode.diff_color)
    if mode.check:
        report_outdated(target, reporter, counts, missing=existing is None, fix=fix_for(mode, [target.source]), why=why)
    elif mode.writes:
        try:
            files.write_atomic(target.output, data)
        except OSError as error:
            io_problem(reporter, counts, target.output_display, "cannot write", error)
            return
        if target.display:
            counts.written += 1
        else:
            counts.runtimes += 1
        reporter.detail(f"wrote {target.output_display}")
    else:
        counts.written += 1
        reporter.detail(f"would write {target.output_display}")


def runtime_target(folder: Path, base: Path) -> Target:
    """The shared runtime file of an output folder, as an output with no `.flow` source."""
    output = folder / RUNTIME_FILE
    return Target(output, "", output, files.display(output, base))


def imports_runtime(text: str) -> bool:
    """Whether a generated module's text imports the shared runtime file beside it."""
    return f"from {RUNTIME_MODULE} import " in text or f"from .{RUNTIME_MODULE} import " in text


def unused_runtimes(found: Plan, shared: set[Path], gone: set[Path]) -> list[Target]:
    """Shared runtime files, in the folders this run compiles into, that no module imports:
    neither a module of this run (`shared`: those compiled to import it, or left importing
    it) nor another generated module in the folder, unless that one is `gone` (orphaned)."""
    planned = {target.output for target in found.targets}
    folders = {target.output.parent for target in found.targets}
    importing = {module.parent for module in shared}
    for tree in found.trees:
        if tree.output_root.is_dir():
            folders |= {m.parent for m in files.walk(tree.output_root, ".py", files.Excluder(tree.output_root))}
    unused = []
    for folder in sorted(folders):
        runtime = folder / RUNTIME_FILE
        if not files.is_generated(runtime):
            continue
        if folder in importing:
            continue
        modules = [m for m in folder.iterdir() if m.suffix == ".py" and m.name != RUNTIME_FILE]
        if not any(m not in planned and m not in gone and imports_runtime_file(m) for m in modules):
            unused.append(runtime_target(folder, found.base))
    return unused


def imports_runtime_file(module: Path) -> bool:
    """Whether a `.py` file is a generated module that imports the shared runtime."""
    if not files.is_generated(module):
        return False
    try:
        return imports_runtime(module.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return False


def remove_runtime(runtime: Target, reporter: Reporter, counts: Counts) -> None:
    try:
        runtime.output.unlink()
    except FileNotFoundError:
        return
    except OSError as error:
        io_problem(reporter, counts, runtime.output_display, "cannot remove", error)
        return
    reporter.detail(f"removed {runtime.output_display}: no module imports it")


def compile_file(
    target: Target, reporter: Reporter, counts: Counts, shared: bool, project: Project | None
) -> Built | None:
    """One target compiled, or None (the failure is reported); its warnings are reported."""
    try:
        data = target.source.read_bytes()
    except OSError as error:
        io_problem(reporter, counts, target.display, "cannot read", error)
        return None
    try:
        result = compile_target(target, data, shared, project)
    except CompileError as error:
        counts.failed += 1
        reporter.compile_error(error)
        return None
    report_warnings(result, reporter, counts)
    return result


def compile_target(
    target: Target, data: bytes, shared: bool = False, project: Project | None = None, package: bool | None = None
) -> Built:
    """The module a target's source bytes compile to, its header naming where it is written
    when that is not beside the source; raises `CompileError`. A `shared` module imports the
    runtime file beside it: relatively in a package, by its plain name in a folder of
    scripts (`package`, when not given, by `in_package`)."""
    source = decode(data, target.display)
    beside = target.output.parent == target.source.parent
    folder = None if beside else target.header_folder or posixpath.dirname(target.output_display) or "."
    runtime = None
    if shared:
        runtime = runtime_import(in_package(target.output.parent) if package is None else package)
    first_party = project.first_party(target.output.parent) if project is not None else None
    with imports(project, target.source, target.display) as loader:
        return build(
            source.text, target.display, folder, runtime, loader, header=target.header or None, first_party=first_party
        )


def in_package(folder: Path) -> bool:
    """Whether modules in `folder` are imported as part of a package: it has an
    `__init__.py`, or its parent has one (the folder is then a namespace package inside
    a package, `pkg/generated/` without its own `__init__.py`)."""
    return (folder / "__init__.py").is_file() or (folder.parent / "__init__.py").is_file()


@contextlib.contextmanager
def imports(project: Project | None, path: Path, display: str) -> Iterator[Loader | None]:
    """The loader of the `.flow` files a file imports, while it is analysed."""
    if project is None:
        yield None
        return
    with project.analyzing(path, display) as loader:
        yield loader


def report_outdated(
    target: Target, reporter: Reporter, counts: Counts, *, missing: bool, fix: list[str], why: str
) -> None:
    counts.outdated.append(target.source)
    if missing:
        counts.missing += 1
        message = f"missing: {why}"
    elif not target.display:
        counts.stale += 1
        message = "out of date with this version of flowc"
    else:
        counts.stale += 1
        message = f"out of date with `{target.display}`"
    reporter.problem(
        Problem(
            code=(MISSING_OUTPUT if missing else STALE_OUTPUT).code,
            message=message,
            path=target.output_display,
            help=f"run `{printable(shlex.join(fix))}`",
        )
    )


def io_problem(reporter: Reporter, counts: Counts, path: str, what: str, error: OSError) -> None:
    counts.io_errors += 1
    reason = error.strerror or str(error)
    reporter.problem(Problem(code=IO_ERROR.code, message=f"{what} the file: {reason}", path=path))


@dataclass(frozen=True, slots=True)
class Orphan:
    output_display: str
    display: str
    """The source it was generated from ("" for a shared runtime file)."""
    output: Path


def orphans(found: Plan) -> list[Orphan]:
    """Generated modules under a PATH folder's output root whose `.flow` source is gone:
    neither the source their header names (relative to the base folder) nor the source
    that would mirror them exists."""
    planned = {t.output for t in found.targets}
    result: dict[Path, Orphan] = {found.base / lost.output_display: lost for lost in found.lost}
    for tree in found.trees:
        if not tree.output_root.is_dir():
            continue
        for module in files.walk(tree.output_root, ".py", files.Excluder(tree.output_root)):
            if module.name == RUNTIME_FILE:
                continue  # a shared runtime, not a module: `unused_runtimes` judges it
            named = None if module in planned or module in result else files.header_source(module)
            if named is None:
                continue
            relative = module.relative_to(tree.output_root).with_suffix(".flow")
            candidates = [t.source_root / relative for t in found.trees if t.output_root == tree.output_root]
            if named:
                candidates[:0] = [folder / named for folder in dict.fromkeys([found.home or found.base, found.base])]
            if not any(c.exists() for c in candidates):
                shown = files.display(module, found.base), named or files.display(candidates[0], found.base)
                result[module] = Orphan(*shown, module)
    return sorted(result.values(), key=lambda o: o.output_display)


def fix_for(mode: Mode, sources: Sequence[Path]) -> list[str]:
    """The fix command naming, of the files it names, only those that stand for `sources`,
    each once: pre-commit passes every file of a commit, the fix needs only the outdated. A
    shared runtime among `sources` is written by every compile into its folder: the whole
    command then."""
    if any(source.name == RUNTIME_FILE for source in sources):
        return list(mode.fix_command)
    command, named = [], set()
    for item in mode.fix_command:
        source = mode.fix_files.get(item)
        if source is not None and (source not in sources or source in named):
            continue
        named.add(source)
        command.append(item)
    return command


def fix(command: list[str], counts: Counts) -> str:
    """Orphaned modules removed first, then a compile: it writes what is stale or missing
    and removes a shared runtime nothing imports any more."""
    parts = []
    if counts.orphaned_modules:
        parts.append(shlex.join(["rm", *counts.orphaned_modules]))
    if counts.stale or counts.missing or len(counts.orphaned) > len(counts.orphaned_modules):
        parts.append(shlex.join(command))
    return " && ".join(parts)


def summary(counts: Counts, mode: Mode, seconds: float) -> str:
    failed = f"{counts.failed} failed" + (f", {counts.io_errors} unreadable" if counts.io_errors else "")
    failed += f", {counts.foreign} not generated by flowc" if counts.foreign else ""
    if mode.check:
        orphaned = len(counts.orphaned)
        states = f"{counts.unchanged} up to date, {counts.stale} stale, {counts.missing} missing, {orphaned} orphaned"
        return f"flowc: {states}, {failed} in {seconds:.2f}s"
    if mode.diff is not None:
        return f"flowc: {counts.written} would change, {counts.unchanged} unchanged, {failed} in {seconds:.2f}s"
    runtimes = (
        f", {counts.runtimes} shared runtime{'s' if counts.runtimes > 1 else ''} written" if counts.runtimes else ""
    )
    return f"flowc: {counts.written} compiled, {counts.unchanged} unchanged, {failed}{runtimes} in {seconds:.2f}s"


def print_diff(stream: TextIO, path: str, old: bytes | None, new: str, color: bool) -> None:
    """A unified diff from what is on disk to what would be written."""
    before = old.decode("utf-8", "replace").splitlines(keepends=True) if old is not None else []
    lines = difflib.unified_diff(
        before, new.splitlines(keepends=True), "/dev/null" if old is None else f"a/{path}", f"b/{path}"
    )
    for line in lines:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        stream.write(paint_diff(line, color))
    stream.flush()


def print_removal(stream: TextIO, target: Target, color: bool) -> None:
    """A unified diff that deletes an output."""
    try:
        old = target.output.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    except OSError:
        return
    for line in difflib.unified_diff(old, [], f"a/{target.output_display}", "/dev/null"):
        stream.write(paint_diff(line if line.endswith("\n") else line + "\n", color))
    stream.flush()


def paint_diff(line: str, color: bool) -> str:
    if not color:
        return line
    if line.startswith(("+++", "---")):
        code = "1"
    elif line.startswith("@@"):
        code = "36"
    elif line.startswith("+"):
        code = "32"
    elif line.startswith("-"):
        code = "31"
    else:
        return line
    return f"\x1b[{code}m{line.rstrip(chr(10))}\x1b[0m\n"


def check_all(found: Plan, reporter: Reporter, vetting: Vetting | None = None) -> int:
    """`flowc check`: validate every planned file, write nothing; the exit status."""
    vetting = vetting or Vetting()
    start = time.perf_counter()
    counts = Counts()
    types = vetting.types is not None
    built = [(t, check_file(t.source, t.display, reporter, counts, found.project, types)) for t in found.targets]
    typed = vet_types([(t.source.parent, b) for t, b in built], reporter, vetting, counts)
    for (target, result), ok in zip(built, typed, strict=True):
        if result is not None and ok:
            reporter.detail(f"ok {target.display}")
    total = len(found.targets)
    reporter.info(
        f"flowc: {total} {'file' if total == 1 else 'files'} checked, {counts.failed} with errors"
        + (f", {counts.warned} with warnings" if counts.warned else "")
        + (f", {counts.io_errors} unreadable" if counts.io_errors else "")
        + f" in {time.perf_counter() - start:.2f}s"
    )
    if counts.io_errors:
        return 2
    return 1 if counts.failed or vetting.failed(counts) else 0


def check_file(
    path: Path, display: str, reporter: Reporter, counts: Counts, project: Project | None, types: bool = False
) -> Built | None:
    try:
        data = path.read_bytes()
    except OSError as error:
        io_problem(reporter, counts, display, "cannot read", error)
        return None
    return check_bytes(data, display, reporter, counts, project, path, types)


def check_bytes(
    data: bytes,
    display: str,
    reporter: Reporter,
    counts: Counts,
    project: Project | None = None,
    path: Path | None = None,
    types: bool = False,
) -> Built | None:
    """A file checked: compiled in memory when its module is to be type-checked, else only
    analysed (the module's code is then empty); None if it has errors (they are reported)."""
    try:
        source = decode(data, display)
        with imports(project, path or Path(display), display) as loader:
            if types:
                result = build(source.text, display, loader=loader)
            else:
                result = Built(module=analyze(source, loader), code="", times={})
    except CompileError as error:
        counts.failed += 1
        reporter.compile_error(error)
        return None
    report_warnings(result, reporter, counts)
    return result


def compile_bytes(data: bytes, display: str, project: Project | None = None, shared: bool = False) -> str:
    """A module from bytes (stdin), as the file named `display` compiles to; raises
    `CompileError`. A `shared` module is written as it would be in that file's folder; the
    runtime file is not written (stdout takes one module)."""
    source: Source = decode(data, display)
    base = project.base if project is not None else Path.cwd()
    runtime = runtime_import(in_package((base / display).parent)) if shared else None
    with imports(project, base / display, display) as loader:
        return compile_timed(source.text, display, runtime_module=runtime, loader=loader)[0]
