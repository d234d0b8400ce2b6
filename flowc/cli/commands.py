"""The `flowc` command line: `compile`, `check`, `graph`, `run` and `lsp`.

Every command reports through one `Reporter` (stderr) and returns an exit status; `main`
turns anything unexpected into status 3 and a one-line message that asks for a bug report.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .. import __version__
from ..compiler import analyze, compile_timed, decode
from ..diagnostics import CompileError, printable
from ..lsp import DEBOUNCE_MS
from ..project import Project
from . import batch, files, graph, tracebacks
from . import inputs as inputs_module
from . import run as runner
from .config import COLORS, OUTPUT_FORMATS, RUNTIMES, Config, discover
from .errors import InputError, UsageError
from .report import Reporter, use_color
from .typecheck import CHECKERS

CRASH_VARIABLE = "FLOWC_TEST_CRASH"
"""A testing aid: when set (non-empty), every command raises an unexpected exception, so
that tests can see how flowc reports an internal error."""

EPILOG = """\
exit status:
  0  success
  1  errors in the input: a .flow file that does not compile (or has type errors under
     `--types`, or warnings under `--warnings-as-errors`), a flow that raised under `run`,
     or outputs that are missing, stale or orphaned under `compile --check`
  2  bad usage, configuration or I/O: an unknown flag, a missing path, an unreadable or
     unwritable file, an invalid [tool.flowc] table
  3  an internal error, a bug in flowc: rerun with --debug for the traceback

configuration:
  [tool.flowc] in pyproject.toml, found by searching upward from the working folder
  (up to the folder holding .git): sources, output, runtime, output-format, color,
  exclude, import-roots, pythonpath, types, type-checker, warnings-as-errors.
  Flags override it; --isolated ignores it; --config FILE names the file to use.
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What every command works with."""

    cwd: Path
    config: Config
    reporter: Reporter
    stdout: TextIO
    color_choice: str


def main(argv: Sequence[str] | None = None) -> int:
    """Run `flowc` with `argv` (default: the process's arguments); the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_arguments(arguments)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 2
    try:
        return dispatch(args)
    except KeyboardInterrupt:
        sys.stderr.write("flowc: interrupted\n")
        return 130
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(
            f"flowc: internal error: {type(error).__name__}: {printable(str(error))} — this is a bug in flowc; "
            "rerun with --debug for the traceback\n"
        )
        return 3


def parse_arguments(arguments: list[str]) -> argparse.Namespace:
    """Parse the command line; `run` takes its NAME=JSON inputs before or after its options."""
    command_line = parser()
    args, extra = command_line.parse_known_args(arguments)
    if extra and getattr(args, "command", None) == "run" and not any(e.startswith("-") for e in extra):
        args.inputs = [*args.inputs, *extra]
    elif extra:
        command_line.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def dispatch(args: argparse.Namespace) -> int:
    stderr = sys.stderr
    cwd = Path.cwd()
    try:
        config = discover(cwd, args.config, args.isolated)
    except UsageError as error:
        Reporter(stderr, color=use_color(args.color or "auto", stderr)).error(error.message, error.help)
        return 2
    color_choice = args.color or config.color or "auto"
    verbosity = -1 if args.quiet else 1 if args.verbose else 0
    fmt = args.output_format or config.output_format or "full"
    reporter = Reporter(stderr, fmt, color=use_color(color_choice, stderr), verbosity=verbosity)
    if config.path is not None:
        reporter.detail(f"flowc: configuration from {files.display(config.path, cwd)}")
    context = Context(cwd=cwd, config=config, reporter=reporter, stdout=sys.stdout, color_choice=color_choice)
    try:
        if os.environ.get(CRASH_VARIABLE):
            raise RuntimeError(f"{CRASH_VARIABLE} is set, so flowc crashes on purpose")
        command: Callable[[argparse.Namespace, Context], int] = args.handler
        return command(args, context)
    except UsageError as error:
        reporter.error(error.message, error.help)
        return 2
    except InputError as error:
        if args.debug and error.__cause__ is not None:
            traceback.print_exception(error.__cause__)
        reporter.error(
            "\n".join(printable(line) for line in str(error).split("\n")),
            None if error.help is None else printable(error.help),
        )
        return 1
    finally:
        reporter.finish()


# ---------------------------------------------------------------- compile and check


def compile_command(args: argparse.Namespace, context: Context) -> int:
    if "-" in args.paths:
        if args.check or args.diff or args.output:
            raise UsageError("`--check`, `--diff` and `-o` work on files, not on stdin (`-`)")
        no_types_on_stdin(args)
        return compile_stdin(args, context)
    if args.watch:
        return watch_command(args, context)
    found = plan(args, context, use_output=True)
    mode = batch.Mode(
        check=args.check,
        diff=context.stdout if args.diff else None,
        diff_color=use_color(context.color_choice, context.stdout),
        fix_command=fix_command(args),
        force=args.force,
        shared=shared_runtime(args, context),
        fix_files=found.named,
        vetting=vetting(args, context),
    )
    return batch.compile_all(found, context.reporter, mode)


def shared_runtime(args: argparse.Namespace, context: Context) -> bool:
    """Whether the modules import one shared runtime file (`--runtime shared`)."""
    return bool((args.runtime or context.config.runtime or "inline") == "shared")


def watch_command(args: argparse.Namespace, context: Context) -> int:
    """`compile --watch`: compile now, then again after each change to a `.flow` file."""
    if args.check or args.diff or "-" in args.paths:
        raise UsageError("`--watch` writes the modules; it cannot be combined with `--check`, `--diff` or `-`")
    if context.reporter.machine:
        raise UsageError(
            f"`--watch` prints diagnostics as they come; `--output-format {context.reporter.format}` prints one "
            "document at the end",
            help="use `--output-format full`, `concise` or `github`",
        )
    named = [context.cwd / p for p in args.paths] or [context.config.root / s for s in context.config.sources]
    if not named or not all(path.exists() for path in named):
        plan(args, context, use_output=True)  # the usage error, at once: no PATH, or one that does not exist
    mode = batch.Mode(fix_command=fix_command(args), force=args.force, shared=shared_runtime(args, context))
    from . import watch as watcher  # watchfiles takes some 75 ms to import: only for --watch

    return watcher.watch(
        watcher.folders_for(named), lambda: plan(args, context, use_output=True), context.reporter, mode
    )


def compile_stdin(args: argparse.Namespace, context: Context) -> int:
    display = args.stdin_filename or "<stdin>"
    shared = (args.runtime or context.config.runtime or "inline") == "shared"
    try:
        module = batch.compile_bytes(read_stdin(args.paths), display, project(context, context.cwd), shared)
    except CompileError as error:
        context.reporter.compile_error(error)
        return 1
    context.stdout.write(module)
    context.stdout.flush()
    return 0


def check_command(args: argparse.Namespace, context: Context) -> int:
    vetted = vetting(args, context)
    if "-" in args.paths:
        no_types_on_stdin(args)
        counts = batch.Counts()
        display = args.stdin_filename or "<stdin>"
        data = read_stdin(args.paths)
        ok = batch.check_bytes(
            data, display, context.reporter, counts, project(context, context.cwd), context.cwd / display
        )
        return 0 if ok and not vetted.failed(counts) else 1
    return batch.check_all(plan(args, context, use_output=False), context.reporter, vetted)


def no_types_on_stdin(args: argparse.Namespace) -> None:
    """`--types` asked for on the command line cannot check stdin (`types = true` in the
    configuration is not applied to it: an editor pipes a buffer in a typed project)."""
    if args.types or args.type_checker:
        raise UsageError(
            "`--types` works on files, not on stdin (`-`)", help="save the file and name it: `flowc check --types FILE`"
        )


def vetting(args: argparse.Namespace, context: Context) -> batch.Vetting:
    """`--types`, `--type-checker` and `--warnings-as-errors`, over `[tool.flowc]`."""
    config = context.config
    checker = args.type_checker or config.type_checker or "mypy"
    wanted = args.types or (config.types and not args.no_types) or args.type_checker is not None
    return batch.Vetting(
        types=checker if wanted else None,
        warnings_as_errors=args.warnings_as_errors or bool(config.warnings_as_errors),
        cwd=context.cwd,
    )


def read_stdin(paths: Sequence[str]) -> bytes:
    if len(paths) > 1:
        raise UsageError("`-` (read stdin) cannot be combined with other paths")
    return sys.stdin.buffer.read()


def plan(args: argparse.Namespace, context: Context, *, use_output: bool) -> batch.Plan:
    """The files to compile: the PATHs given, else `sources` from the configuration."""
    config = context.config
    if args.paths:
        paths, base = args.paths, context.cwd
    elif config.sources:
        paths, base = list(config.sources), config.root
    else:
        raise UsageError(
            "no PATH given, and no `sources` in [tool.flowc]",
            help=f"name the .flow files or folders: `flowc {args.command} flows/`",
        )
    out_dir: Path | None = None
    if use_output and args.output:
        out_dir = context.cwd / args.output
    elif use_output and config.output:
        out_dir = config.root / config.output
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        written = str(args.output or config.output)
        raise UsageError(f"the output folder `{printable(written)}` is a file", help="name a folder for `-o`")
    roots = [config.root / source for source in config.sources]
    home = config.root if config.path is not None else None
    found = batch.plan(
        paths,
        base=base,
        out_dir=out_dir,
        exclude=files.Excluder(config.root, config.exclude),
        roots=roots,
        home=home,
        force_exclude=args.force_exclude,
    )
    for folder in found.empty:
        context.reporter.info(f"flowc: warning: no .flow files in `{printable(folder)}`")
    for raw, why in found.skipped:
        context.reporter.detail(f"skipped {printable(raw)}: {why}")
    found.project = project(context, found.base)
    return found


def project(context: Context, base: Path) -> Project:
    """The `.flow` files imports may name: under the configuration's import roots."""
    return Project(context.config.roots(), base)


def fix_command(args: argparse.Namespace) -> list[str]:
    """The command that brings the outputs up to date: this one, without `--check`."""
    command = ["flowc", "compile", *args.paths]
    if args.output:
        command += ["-o", args.output]
    if args.runtime:
        command += ["--runtime", args.runtime]
    if args.config:
        command += ["--config", args.config]
    if args.isolated:
        command.append("--isolated")
    return command


# ---------------------------------------------------------------- graph and run


def read_module(path_text: str, context: Context) -> tuple[bytes, str]:
    """A `.flow` file's bytes and its displayed path."""
    path = context.cwd / path_text
    try:
        return path.read_bytes(), files.display(path, context.cwd)
    except IsADirectoryError:
        raise UsageError(f"`{path_text}` is a folder; name one .flow file") from None
    except FileNotFoundError:
        raise UsageError(f"no such file: `{path_text}`") from None
    except OSError as error:
        raise UsageError(f"cannot read `{path_text}`: {error.strerror or error}") from None


def graph_command(args: argparse.Namespace, context: Context) -> int:
    data, display = read_module(args.file, context)
    try:
        with batch.imports(project(context, context.cwd), context.cwd / args.file, display) as loader:
            module = analyze(decode(data, display), loader)
    except CompileError as error:
        context.reporter.compile_error(error)
        return 1
    flows = list(module.flows)
    if args.flow is not None:
        flows = [runner.choose_flow(module, args.flow, "")]
    draw = graph.dot if args.format == "dot" else graph.mermaid
    context.stdout.write(draw(module, flows))
    context.stdout.flush()
    return 0


def run_command(args: argparse.Namespace, context: Context) -> int:
    data, display = read_module(args.file, context)
    try:
        source = decode(data, display)
        with batch.imports(project(context, context.cwd), context.cwd / args.file, display) as loader:
            module = analyze(source, loader)
            flow = runner.choose_flow(module, args.flow, Path(args.file).stem)
            inputs = runner.parse_inputs(args.inputs, flow)
            code = compile_timed(source.text, display, loader=loader)[0]
    except CompileError as error:
        context.reporter.compile_error(error)
        return 1
    file = context.cwd / args.file
    roots = runner.import_roots(file, context.cwd, context.config)
    generated = tracebacks.Generated.of(f"<generated from {display}>", display, source.text, code)
    with runner.import_path(roots):
        try:
            with runner.loaded(code, file.stem, generated.filename) as loaded:
                function = getattr(loaded, flow.name)
                result = runner.run(function, inputs_module.build_inputs(function, inputs))
        except runner.Raised as raised:
            if raised.importing:
                failure = runner.import_failure(raised.error, roots, context.cwd)
                raise explained(args, generated, raised.error, str(failure), failure.help) from None
            message = f"flow `{flow.name}` raised {raised}"
            raise explained(args, generated, raised.error, message) from None
    text = runner.as_json(result)
    context.stdout.write(text + "\n")
    context.stdout.flush()
    return 0


def explained(
    args: argparse.Namespace,
    generated: tracebacks.Generated,
    error: BaseException,
    message: str,
    help: str | None = None,
) -> InputError:
    """The error `run` ends with; with `--debug`, the traceback is printed first, its
    frames in the generated module named with their `.flow` lines."""
    if args.debug:
        sys.stderr.write(tracebacks.format_exception(error, generated))
    return InputError(message, help=help)


def lsp_command(args: argparse.Namespace, context: Context) -> int:
    from ..lsp.server import Setup, serve  # pygls is loaded only for the language server

    if args.debounce < 0:
        raise UsageError(f"`--debounce` is a number of milliseconds, 0 or more, not {args.debounce:g}")

    def configured(path: Path) -> Setup:
        """The configuration of a `.flow` file, as `flowc check` and `flowc run` started in its
        folder find it (`--config` and `--isolated` apply to every file)."""
        try:
            config = context.config if args.config or args.isolated else discover(path.parent, None, False)
        except UsageError:  # an invalid table: `flowc check` reports it; the editor gets the defaults
            config = Config(root=path.parent)
        roots = config.roots() if config.path is not None else None
        return Setup(roots=roots, base=config.root, python=runner.import_roots(path, context.cwd, config))

    return serve(debounce=args.debounce / 1000, configured=configured)


# ---------------------------------------------------------------- arguments


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    options = common.add_argument_group("reporting and configuration")
    options.add_argument(
        "--output-format", choices=OUTPUT_FORMATS, help="how diagnostics are printed on stderr (default: full)"
    )
    options.add_argument("--color", choices=COLORS, help="colour on stderr (default: auto; NO_COLOR, FORCE_COLOR)")
    options.add_argument("--config", metavar="FILE", help="read [tool.flowc] from FILE instead of searching")
    options.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    loudness = options.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    loudness.add_argument("-v", "--verbose", action="store_true", help="print every file")
    options.add_argument("--debug", action="store_true", help="print the traceback of an internal error")

    top = argparse.ArgumentParser(
        prog="flowc",
        description="Compile .flow workflows into standalone, typed Python asyncio modules.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    top.add_argument("--version", action="version", version=f"flowc {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, handler: Callable[[argparse.Namespace, Context], int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help,
            description=help[:1].upper() + help[1:] + ".",
            parents=[common],
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
        sub.set_defaults(handler=handler)
        return sub

    compile_ = command("compile", "compile .flow files into NAME.py modules", compile_command)
    paths_argument(compile_)
    vetting_arguments(compile_)
    compile_.add_argument("-o", "--output", metavar="DIR", help="write outputs under DIR, mirroring the sources")
    compile_.add_argument("--check", action="store_true", help="write nothing; exit 1 if an output is out of date")
    compile_.add_argument("--diff", action="store_true", help="print what would change as a unified diff; no writes")
    compile_.add_argument(
        "--force", action="store_true", help="overwrite an existing NAME.py even if flowc did not generate it"
    )
    compile_.add_argument(
        "--runtime",
        choices=RUNTIMES,
        help="inline: each module holds the helpers it uses; shared: the modules of a folder import them"
        " from one _flowc_runtime.py written beside them (default: inline)",
    )
    compile_.add_argument(
        "--watch", action="store_true", help="compile, then compile again whenever a .flow file changes (Ctrl-C stops)"
    )

    check = command("check", "validate .flow files and write nothing", check_command)
    paths_argument(check)
    vetting_arguments(check)

    graph = command("graph", "print a flow as a Mermaid or Graphviz diagram", graph_command)
    graph.add_argument("file", metavar="FILE", help="a .flow file")
    graph.add_argument("--flow", metavar="NAME", help="the flow to draw (default: every flow)")
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid", help="default: mermaid")

    run = command("run", "compile a .flow file in memory, run a flow, print its result as JSON", run_command)
    run.add_argument("file", metavar="FILE", help="a .flow file")
    run.add_argument("--flow", metavar="NAME", help="the flow to run (default: the only one, or the file's name)")
    run.add_argument("inputs", nargs="*", metavar="NAME=JSON", help="the flow's arguments, as JSON values")

    lsp = command("lsp", "run the language server for editors, over stdin and stdout", lsp_command)
    lsp.add_argument(
        "--debounce",
        type=float,
        default=DEBOUNCE_MS,
        metavar="MS",
        help=f"check a document this long after the last change (default: {DEBOUNCE_MS})",
    )
    return top


def vetting_arguments(sub: argparse.ArgumentParser) -> None:
    types = sub.add_mutually_exclusive_group()
    types.add_argument(
        "--types",
        action="store_true",
        help="type-check the generated modules with your code; report errors at the .flow lines (exit 1)",
    )
    types.add_argument("--no-types", action="store_true", help="do not type-check, whatever [tool.flowc] says")
    sub.add_argument(
        "--type-checker", choices=CHECKERS, help="the type checker of --types (default: mypy); implies --types"
    )
    sub.add_argument("--warnings-as-errors", action="store_true", help="exit 1 when a file has warnings")


def paths_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=".flow files or folders (searched recursively); `-` reads stdin (default: `sources` from [tool.flowc])",
    )
    sub.add_argument("--stdin-filename", metavar="NAME", help="the name of the file read from stdin, for messages")
    sub.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply `exclude` of [tool.flowc] to files named as PATHs too (as pre-commit's hooks do)",
    )
