#!/usr/bin/env python
"""The flowc benchmark suite: `python bench/run.py [--quick] [--out bench/RESULTS.md]`.

Compiles the `.flow` files in `bench/flows/` with `flowc.compile_source` into a temporary
directory, imports the generated modules, and times them against the hand-written
equivalents in `bench/baselines.py`, all in one process so that every figure is a ratio of
two measurements taken side by side. Then times the compiler itself on large generated flows,
and, when they are installed, the same DAGs on general workflow engines (`bench/engines.py`).
`--python PATH` repeats the DAG figures under other interpreters and `--engines-python PATH`
runs the engine part where the engines are installed, each in a subprocess of this script.

When `flowc.compile_source` is not available (or a flow fails to compile), the report says so
and the baseline figures are still measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import functools
import gc
import importlib
import importlib.util
import inspect
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
FLOWS_DIR = BENCH_DIR / "flows"
README = BENCH_DIR / "README.md"
DEFAULT_OUT = BENCH_DIR / "RESULTS.md"

if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # an uninstalled checkout: `import flowc` from the work tree

import baselines  # noqa: E402
import engines  # noqa: E402
import flowgen  # noqa: E402
import steps  # noqa: E402

# ================================================================ configuration


@dataclass(frozen=True)
class Config:
    quick: bool
    rounds: int  # timed batches per variant (paired across variants)
    batch_seconds: float  # wall time one batch aims at
    warmup_seconds: float  # per variant, before calibrating
    sleep_rounds: int  # repetitions of each sleeping measurement
    map_sleep_items: int
    big_map_items: int  # the large scheduling-cost map
    small_map_items: int  # the same map ten times smaller, to show memory does not grow
    semaphore_map_items: int  # the one-task-per-item baseline gets slow and large beyond this
    compile_sizes: tuple[int, ...]
    compile_budget_seconds: float  # skip a compile size predicted to take longer than this

    @staticmethod
    def make(quick: bool) -> Config:
        if quick:
            return Config(
                quick=True,
                rounds=5,
                batch_seconds=0.004,
                warmup_seconds=0.01,
                sleep_rounds=2,
                map_sleep_items=2000,
                big_map_items=100_000,
                small_map_items=10_000,
                semaphore_map_items=10_000,
                compile_sizes=(100, 1000),
                compile_budget_seconds=12.0,
            )
        return Config(
            quick=False,
            rounds=21,
            batch_seconds=0.025,
            warmup_seconds=0.05,
            sleep_rounds=11,
            map_sleep_items=2000,
            big_map_items=1_000_000,
            small_map_items=100_000,
            semaphore_map_items=100_000,
            compile_sizes=(100, 1000, 10_000),
            compile_budget_seconds=60.0,
        )


# ================================================================ report model


@dataclass
class Check:
    """One figure with a target, for the summary."""

    figure: str
    measured: str
    target: str
    met: bool | None  # None: not measured


@dataclass
class Section:
    title: str
    intro: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra_tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)

    def markdown(self) -> str:
        out = [f"## {self.title}", ""]
        if self.intro:
            out += [self.intro, ""]
        if self.columns:
            out += _table(self.columns, self.rows) + [""]
        for columns, rows in self.extra_tables:
            out += _table(columns, rows) + [""]
        out += [f"- {note}" for note in self.notes]
        if self.notes:
            out.append("")
        return "\n".join(out)


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


@dataclass
class Report:
    config: Config
    machine: dict[str, str]
    status: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    other_pythons: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (version, figure → measured)

    def add(self, section: Section) -> None:
        self.sections.append(section)
        print(section.markdown(), flush=True)

    def check(self, figure: str, measured: str, target: str, met: bool | None) -> str:
        if measured.startswith("not measured (") and len(measured) > 60:
            measured = "not measured (see below)"
        self.checks.append(Check(figure, measured, target, met))
        return _verdict(met)

    def summary(self) -> str:
        rows = [[c.figure, c.measured, c.target, _verdict(c.met)] for c in self.checks]
        return "\n".join(_table(["figure", "measured", "target", "met"], rows))

    def machine_lines(self) -> list[str]:
        return [f"- {key}: {value}" for key, value in self.machine.items()]

    def to_json(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "status": self.status,
            "checks": [vars(check) for check in self.checks],
            "sections": [
                {
                    "title": sec.title,
                    "intro": sec.intro,
                    "columns": sec.columns,
                    "rows": sec.rows,
                    "notes": sec.notes,
                    "extra_tables": sec.extra_tables,
                }
                for sec in self.sections
            ],
        }

    def markdown(self) -> str:
        out = ["# flowc benchmark results", ""]
        out += self.machine_lines() + [""]
        out += [f"- {line}" for line in self.status]
        out += ["", "## Summary: figures against their targets", "", self.summary(), ""]
        out += [section.markdown() for section in self.sections]
        return "\n".join(out).rstrip() + "\n"


def _verdict(met: bool | None) -> str:
    return "–" if met is None else ("yes" if met else "**NO**")


# ================================================================ machine info


def machine_info(config: Config, argv: Sequence[str]) -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    try:
        import flowc

        flowc_version = getattr(flowc, "__version__", "?")
        flowc_version += source_revision(Path(flowc.__file__).resolve().parent.parent)
    except Exception as error:  # noqa: BLE001 - the report says what went wrong
        flowc_version = f"not importable ({type(error).__name__}: {error})"
    return {
        "Date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{cpu}, {os.cpu_count()} logical cores",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": f"{os_name()} ({platform.system()} {platform.release()}, {platform.machine()})",
        "flowc": flowc_version,
        "Mode": "quick (smoke run, few repetitions, small maps)" if config.quick else "full",
        "Command": "python bench/run.py " + " ".join(argv),
    }


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def source_revision(tree: Path) -> str:
    """` (commit abc1234)` for a git checkout, `+ changes` when the compiler's files differ."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tree), *args], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "flowc", "templates", "grammar")
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" (commit {commit}{', with uncommitted changes to the compiler' if dirty else ''})"


# ================================================================ the compiler, if there is one


@dataclass
class Compiler:
    """`flowc.compile_source`, and `compile_timed` when flowc offers a phase split."""

    compile_source: Callable[[str, str], str]
    compile_timed: Callable[[str, str], tuple[str, dict[str, float]]] | None
    check_source: Callable[[str, str], object] | None = None  # the front end alone, if offered
    parse_timer: ParseTimer | None = None  # splits the front end into parse and check


class ParseTimer:
    """Splits the front end's time into parsing (text to syntax tree) and checking (the rest:
    names, types, the graph rules) by timing the parser inside the same compile: the front
    end's module-level `parse` (`flowc.semantics.analyze.parse`) is wrapped while the compiler runs."""

    def __init__(self) -> None:
        try:
            self.frontend: ModuleType | None = importlib.import_module("flowc.semantics.analyze")
        except ImportError:
            self.frontend = None
        if self.frontend is not None and not callable(getattr(self.frontend, "parse", None)):
            self.frontend = None
        self.seconds = 0.0

    @property
    def available(self) -> bool:
        return self.frontend is not None

    @contextmanager
    def timing(self) -> Iterator[None]:
        self.seconds = 0.0
        if self.frontend is None:
            yield
            return
        original = self.frontend.parse

        def timed_parse(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        self.frontend.parse = timed_parse  # type: ignore[attr-defined]
        try:
            yield
        finally:
            self.frontend.parse = original  # type: ignore[attr-defined]


def load_compiler() -> tuple[Compiler | None, str]:
    try:
        import flowc
    except Exception as error:  # noqa: BLE001
        return None, f"`import flowc` failed: {type(error).__name__}: {error}"
    compile_source = getattr(flowc, "compile_source", None)
    if not callable(compile_source):
        return None, "`flowc.compile_source` does not exist yet"
    timed = getattr(flowc, "compile_timed", None)
    if not callable(timed):
        try:
            pipeline = importlib.import_module("flowc.compiler")
            timed = getattr(pipeline, "compile_timed", None)
        except ImportError:
            timed = None
    check = getattr(flowc, "check_source", None)
    return (
        Compiler(compile_source, timed if callable(timed) else None, check if callable(check) else None, ParseTimer()),
        "available",
    )


def describe_error(error: BaseException, limit: int = 3) -> str:
    """A compile error in a line or three: its diagnostics if it carries them."""
    diagnostics = getattr(error, "diagnostics", None)
    if diagnostics:
        shown = []
        for diagnostic in list(diagnostics)[:limit]:
            concise = getattr(diagnostic, "concise", None)
            shown.append(concise() if callable(concise) else str(diagnostic))
        more = f" (+{len(diagnostics) - limit} more)" if len(diagnostics) > limit else ""
        return "; ".join(shown) + more
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


class Generated:
    """The bench flows compiled into a temporary directory and imported."""

    def __init__(self, compiler: Compiler | None, workdir: Path) -> None:
        self.modules: dict[str, ModuleType] = {}
        self.errors: dict[str, str] = {}
        self.code: dict[str, str] = {}
        self.workdir = workdir
        if compiler is None:
            return
        if str(workdir) not in sys.path:
            sys.path.insert(0, str(workdir))
        for path in sorted(FLOWS_DIR.glob("*.flow")):
            name = path.stem
            filename = path.relative_to(ROOT).as_posix()
            try:
                code = compiler.compile_source(path.read_text(encoding="utf-8"), filename)
            except Exception as error:  # noqa: BLE001 - reported, the baselines still run
                self.errors[name] = f"compile failed: {describe_error(error)}"
                continue
            self.code[name] = code
            try:
                self.modules[name] = self.load(name, code)
            except Exception as error:  # noqa: BLE001
                self.errors[name] = f"import failed: {type(error).__name__}: {error}"
        self.shared = self.load_shared(workdir / "shared")

    def load_shared(self, folder: Path) -> dict[str, ModuleType]:
        """The flows compiled with `--runtime shared` beside their `_flowc_runtime.py`, when
        this flowc offers it (`compile_source(..., runtime="shared")`, `runtime_source()`)."""
        try:
            import flowc

            folder.mkdir(exist_ok=True)
            (folder / "_flowc_runtime.py").write_text(flowc.runtime_source(), encoding="utf-8")
            sys.path.insert(0, str(folder))
            modules = {}
            for path in sorted(FLOWS_DIR.glob("*.flow")):
                text = path.read_text(encoding="utf-8")
                code = flowc.compile_source(text, path.relative_to(ROOT).as_posix(), runtime="shared")
                target = folder / f"{path.stem}.py"
                target.write_text(code, encoding="utf-8")
                spec = importlib.util.spec_from_file_location(f"_flowbench_shared_{path.stem}", target)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module
                spec.loader.exec_module(module)
                modules[path.stem] = module
            return modules
        except Exception:  # noqa: BLE001 - an older flowc: no shared variant in the tables
            return {}

    def load(self, name: str, code: str) -> ModuleType:
        target = self.workdir / f"{name}.py"
        target.write_text(code, encoding="utf-8")
        module_name = f"_flowbench_{name}"
        spec = importlib.util.spec_from_file_location(module_name, target)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module

    def hookless(self, module: str, name: str) -> tuple[Callable[..., Awaitable[Any]] | None, str]:
        """The flow from a copy of its module with the observer hook compiled away: every
        `observer is None` test in the flow functions made the constant `True` and every
        `observer is not None` the constant `False` (CPython folds `if False:` and
        `a if True else b`), so no node and no return checks for an observer."""
        if module not in self.code:
            return None, self.errors.get(module, "no compiler")
        code, count = HOOK_TEST.subn("True", self.code[module])
        code = HOOK_LISTENS.sub("False", code)
        if count == 0:
            return None, "the generated code has no `observer is None` test to remove"
        try:
            loaded = self.load(f"{module}_hookless", code)
        except Exception as error:  # noqa: BLE001
            return None, f"the hookless copy does not import: {type(error).__name__}: {error}"
        fn = getattr(loaded, name, None)
        if fn is None or not inspect.iscoroutinefunction(fn):
            return None, f"no `async def {name}` in the hookless copy"
        return fn, ""

    def flow(self, module: str, name: str) -> tuple[Callable[..., Awaitable[Any]] | None, str]:
        """The generated `async def` for one flow, or None and why not."""
        if module in self.errors:
            return None, self.errors[module]
        if module not in self.modules:
            return None, "no compiler"
        fn = getattr(self.modules[module], name, None)
        if fn is None or not inspect.iscoroutinefunction(fn):
            return None, f"`{module}.py` has no `async def {name}`"
        return fn, ""


HOOK_TEST = re.compile(r"(?<![\w.])observer is None(?: and journal is None)?\b")
"""The flow functions' test for an observer (not the helpers' `run.observer is None`), with
the journal's beside it: a node calls its step directly when there is neither."""
HOOK_LISTENS = re.compile(r"(?<![\w.])(?:observer|journal) is not None\b")
"""The flow functions' tests before telling the observer the run finished, and before
resuming from or recording into a journal."""


# ================================================================ timing machinery


@dataclass
class Variant:
    """One way of running the same thing: a zero-argument callable, async or plain."""

    name: str
    fn: Callable[[], Any]
    is_async: bool = True


@dataclass
class Timing:
    name: str
    per_call: list[float]  # seconds per call, one entry per round

    @property
    def median(self) -> float:
        return statistics.median(self.per_call)


@dataclass
class Ratio:
    median: float
    low: float  # 25th percentile of the per-round ratios
    high: float  # 75th percentile

    def text(self) -> str:
        return f"{self.median:.2f}× [{self.low:.2f}–{self.high:.2f}]"


def paired_ratio(a: Timing, b: Timing) -> Ratio:
    """a / b, computed round by round (the rounds interleave the variants), then summarised."""
    ratios = sorted(x / y for x, y in zip(a.per_call, b.per_call, strict=True))
    if len(ratios) >= 4:
        q = statistics.quantiles(ratios, n=4)
        return Ratio(statistics.median(ratios), q[0], q[2])
    return Ratio(statistics.median(ratios), ratios[0], ratios[-1])


CPU_CLOCK: Callable[[], float] = time.process_time
"""The clock of the scheduling figures: this process's CPU time (all its threads, so an
engine that hands steps to worker threads is charged for them). A variant whose steps never
wait for anything costs exactly its CPU time, and unlike wall time this does not count the
moments the OS gives the core to another process (a busy 2-core machine otherwise swings
single batches by 2x and more)."""


async def _batch(variant: Variant, n: int, clock: Callable[[], float]) -> float:
    fn = variant.fn
    if variant.is_async:
        start = clock()
        for _ in range(n):
            await fn()
        return clock() - start
    start = clock()
    for _ in range(n):
        fn()
    return clock() - start


async def compare(
    variants: Sequence[Variant], config: Config, clock: Callable[[], float] = CPU_CLOCK
) -> dict[str, Timing]:
    """Time every variant in interleaved rounds; each round times one batch of each variant,
    the batch size calibrated so that a batch takes about `config.batch_seconds`."""
    sizes: dict[str, int] = {}
    for variant in variants:
        calls, spent = 0, 0.0
        while spent < config.warmup_seconds or calls < 3:
            spent += await _batch(variant, 1, clock)
            calls += 1
        per_call = spent / calls
        sizes[variant.name] = max(1, round(config.batch_seconds / max(per_call, 1e-9)))
    timings = {variant.name: Timing(variant.name, []) for variant in variants}
    for round_index in range(config.rounds):
        # Rotate the order so that no variant always runs right after a given other one.
        shift = round_index % len(variants)
        for variant in [*variants[shift:], *variants[:shift]]:
            gc.collect()
            n = sizes[variant.name]
            timings[variant.name].per_call.append(await _batch(variant, n, clock) / n)
    return timings


async def makespans(variants: Sequence[Variant], rounds: int) -> dict[str, list[float]]:
    """Wall time of single calls (for measurements that sleep), interleaved, after a warm-up."""
    for variant in variants:
        await variant.fn()
    result: dict[str, list[float]] = {variant.name: [] for variant in variants}
    for _ in range(rounds):
        for variant in variants:
            gc.collect()
            start = time.perf_counter()
            await variant.fn()
            result[variant.name].append(time.perf_counter() - start)
    return result


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError


class NoopObserver:
    """An observer that does nothing: what the hook costs when someone listens but does no work."""

    def node_started(self, node: Any, index: Any, attempt: Any) -> None:
        pass

    def node_finished(self, node: Any, index: Any, attempt: Any, duration: Any) -> None:
        pass

    def node_retrying(self, node: Any, index: Any, attempt: Any, error: Any, delay: Any) -> None:
        pass

    def node_failed(self, node: Any, index: Any, attempt: Any, error: Any, duration: Any) -> None:
        pass

    def node_skipped(self, node: Any) -> None:
        pass


# ================================================================ 1. DAG run time


@dataclass(frozen=True)
class DagCase:
    title: str
    module: str
    flow: str
    tasks: Callable[[int], Awaitable[int]]
    gather: Callable[[int], Awaitable[int]]
    sync: Callable[[int], int]
    gather_label: str
    target_ref: str  # the baseline the target is against: "tasks" or "gather"
    target: float


DAG_CASES = (
    DagCase(
        "Diamond: `START >> prepare >> [a, b] >> merge >> END`",
        "diamond",
        "diamond",
        baselines.diamond_tasks,
        baselines.diamond_gather,
        baselines.diamond_sync,
        "direct awaits + gather",
        "tasks",
        0.8,
    ),
    DagCase(
        f"Fan-out/fan-in, {flowgen.FANOUT_WIDTH} wide: `START >> src >> [n0..n{flowgen.FANOUT_WIDTH - 1}] >> join >> END`",
        "fanout",
        "fanout",
        baselines.fanout_tasks,
        baselines.fanout_gather,
        baselines.fanout_sync,
        "direct awaits + gather",
        "tasks",
        0.8,
    ),
    DagCase(
        f"Chain of {flowgen.CHAIN_LENGTH} nodes",
        "chain",
        "chain",
        baselines.chain_tasks,
        baselines.chain_gather,
        baselines.chain_sync,
        "direct awaits",
        "gather",
        2.0,
    ),
)


async def dag_case(case: DagCase, generated: Generated, config: Config, report: Report) -> Section:
    gen, why = generated.flow(case.module, case.flow)
    expected = case.sync(1)
    variants = [
        Variant("one task per node", lambda: case.tasks(1)),
        Variant(case.gather_label, lambda: case.gather(1)),
        Variant("plain sync calls (floor)", lambda: case.sync(1), is_async=False),
    ]
    notes: list[str] = []
    for variant in variants[:2]:
        got = await variant.fn()
        assert got == expected, f"{case.module}: baseline {variant.name} returned {got}, expected {expected}"
    if gen is not None:
        got = await gen(1)
        if got != expected:
            notes.append(f"generated `{case.flow}(1)` returned {got!r}, expected {expected!r}: not timed")
            gen, why = None, "wrong result"
        else:
            variants.insert(0, Variant("generated", lambda: gen(1)))
    shared = getattr(generated.shared.get(case.module), case.flow, None)
    if shared is not None and await shared(1) == expected:
        variants.insert(1, Variant("generated, --runtime shared", lambda: shared(1)))
    timings = await compare(variants, config)
    tasks, gather, floor = timings["one task per node"], timings[case.gather_label], timings["plain sync calls (floor)"]
    ref_name = "one task per node" if case.target_ref == "tasks" else case.gather_label
    rows = []
    for name, timing in timings.items():
        rows.append(
            [
                name,
                fmt_time(timing.median),
                paired_ratio(timing, tasks).text(),
                paired_ratio(timing, gather).text(),
                f"{timing.median / floor.median:.1f}×",
            ]
        )
    target_text = f"≤ {case.target:g}× {ref_name}"
    if "generated" in timings:
        ratio = paired_ratio(timings["generated"], timings[ref_name])
        met = report.check(
            f"{case.module}: generated / {ref_name}", f"{ratio.median:.2f}×", target_text, ratio.median <= case.target
        )
        notes.insert(0, f"Target: generated {target_text}: **{ratio.median:.2f}×** ({met}).")
        if "generated, --runtime shared" in timings:
            same = paired_ratio(timings["generated, --runtime shared"], timings["generated"])
            report.check(f"{case.module}: shared runtime / inline", f"{same.median:.2f}×", "(reported)", None)
            notes.insert(1, f"The same flow compiled with `--runtime shared`: {same.median:.2f}× the inline module.")
    else:
        report.check(f"{case.module}: generated / {ref_name}", f"not measured ({why})", target_text, None)
        notes.insert(0, f"Generated code not measured: {why}. Target: generated {target_text}.")
    return Section(
        title=f"1. {case.title}",
        columns=["variant", "per call (median)", "vs one task per node", f"vs {case.gather_label}", "vs sync floor"],
        rows=rows,
        notes=notes,
    )


# ---------------------------------------------------------------- skewed DAGs with sleeps

# Mirrors bench/flows/skewed.flow: node -> (milliseconds, predecessors).
SKEW_SHAPES: dict[str, dict[str, tuple[int, tuple[str, ...]]]] = {
    "skew_n": {
        "a": (50, ()),
        "b": (10, ()),
        "c": (10, ("a", "b")),
        "d": (60, ("b",)),
        "out": (0, ("c", "d")),
    },
    "skew_w": {
        "p": (10, ()),
        "q": (40, ()),
        "r": (10, ()),
        "u": (60, ("p",)),
        "v": (10, ("p", "q")),
        "w": (10, ("q", "r")),
        "z": (60, ("r",)),
        "out": (0, ("u", "v", "w", "z")),
    },
}


def critical_path(shape: dict[str, tuple[int, tuple[str, ...]]]) -> float:
    finish: dict[str, float] = {}
    for node, (ms, deps) in shape.items():  # listed in topological order
        finish[node] = ms + max((finish[d] for d in deps), default=0)
    return max(finish.values()) / 1000


async def skewed(generated: Generated, config: Config, report: Report) -> Section:
    rows = []
    notes = [
        "Makespan = wall time of one run; critical path = the longest chain of sleeps. "
        "Target for the generated code: 1.00×. The level-by-level gather version is what a careful "
        "hand-written `gather` gives on a DAG that is not series-parallel.",
    ]
    cases = (
        ("skew_n", "N: a→c, b→c, b→d (a=50, b=10, c=10, d=60 ms)", baselines.skew_n_tasks, baselines.skew_n_gather),
        (
            "skew_w",
            "W: p→u, p→v, q→v, q→w, r→w, r→z (p=10, q=40, r=10, u=60, v=10, w=10, z=60 ms)",
            baselines.skew_w_tasks,
            baselines.skew_w_gather,
        ),
    )
    for flow, label, tasks, gather in cases:
        cp = critical_path(SKEW_SHAPES[flow])
        variants = [
            Variant("one task per node", lambda t=tasks: t(1)),
            Variant("level-by-level gather", lambda g=gather: g(1)),
        ]
        expected = await tasks(1)
        gen, why = generated.flow("skewed", flow)
        if gen is not None:
            got = await gen(1)
            if got == expected:
                variants.insert(0, Variant("generated", lambda g=gen: g(1)))
            else:
                why = f"returned {got!r}, expected {expected!r}"
                notes.append(f"generated `{flow}` {why}: not timed")
        spans = await makespans(variants, config.sleep_rounds)
        for name, values in spans.items():
            median = statistics.median(values)
            rows.append([label, name, fmt_time(median), fmt_time(cp), f"{median / cp:.2f}×"])
        target = "1.00× (≤ 1.05× allowing timer slack)"
        if "generated" in spans:
            ratio = statistics.median(spans["generated"]) / cp
            report.check(f"{flow}: makespan / critical path", f"{ratio:.2f}×", target, ratio <= 1.05)
        else:
            report.check(f"{flow}: makespan / critical path", f"not measured ({why})", target, None)
    return Section(
        title="1. Skewed DAGs with sleeps (not series-parallel)",
        columns=["DAG", "variant", "makespan (median)", "critical path", "ratio"],
        rows=rows,
        notes=notes,
    )


# ---------------------------------------------------------------- maps


async def map_sleep(generated: Generated, config: Config, report: Report) -> Section:
    n, limit = config.map_sleep_items, 50
    ideal = n / limit * 0.005
    items = list(range(n))
    expected = [x + 1 for x in items]
    variants = [
        Variant("Semaphore + gather", lambda: baselines.map_semaphore(steps.item_5ms, items, limit)),
        Variant("worker tasks", lambda: baselines.map_workers(steps.item_5ms, items, limit)),
    ]
    notes = []
    gen, why = generated.flow("maps", "map_sleep")
    if gen is not None:
        got = await gen(items)
        if list(got) == expected:
            variants.insert(0, Variant("generated", lambda: gen(items)))
        else:
            why = "wrong result"
            notes.append("generated `map_sleep` returned a wrong list: not timed")
    # The timer floor: the same number of 5 ms waves as plain sequential sleeps.
    waves = -(-n // limit)
    floor, floor_cpu = [], []
    for _ in range(config.sleep_rounds):
        start, cpu = time.perf_counter(), CPU_CLOCK()
        for _ in range(waves):
            await asyncio.sleep(0.005)
        floor.append(time.perf_counter() - start)
        floor_cpu.append(CPU_CLOCK() - cpu)
    floor_median = statistics.median(floor)
    rows = []
    # One variant at a time so that the in-flight counter is that variant's alone.
    for variant in variants:
        await variant.fn()  # warm-up
        spans, cpus, peaks, calls = [], [], [], []
        for _ in range(config.sleep_rounds):
            steps.IN_FLIGHT.reset()
            gc.collect()
            start, cpu = time.perf_counter(), CPU_CLOCK()
            await variant.fn()
            spans.append(time.perf_counter() - start)
            cpus.append(CPU_CLOCK() - cpu)
            peaks.append(steps.IN_FLIGHT.peak)
            calls.append(steps.IN_FLIGHT.calls)
        median = statistics.median(spans)
        rows.append(
            [
                variant.name,
                fmt_time(median),
                f"{median / ideal:.3f}×",
                f"{median / floor_median:.3f}×",
                fmt_time(statistics.median(cpus)),
                f"{max(peaks)} (min {min(peaks)})",
                str(calls[0]),
            ]
        )
        if variant.name == "generated":
            report.check(
                "map 2,000 × 5 ms at limit 50: makespan / ideal",
                f"{median / ideal:.3f}×",
                "≤ 1.10×",
                median / ideal <= 1.10,
            )
            report.check(
                "map 2,000 × 5 ms at limit 50: makespan / timer floor",
                f"{median / floor_median:.3f}×",
                "(reported)",
                None,
            )
            report.check(
                "map 2,000 × 5 ms at limit 50: peak in flight",
                f"{max(peaks)} (min {min(peaks)})",
                f"exactly {limit}",
                max(peaks) == limit and min(peaks) == limit,
            )
    if gen is None:
        report.check("map 2,000 × 5 ms at limit 50: makespan / ideal", f"not measured ({why})", "≤ 1.10×", None)
        report.check("map 2,000 × 5 ms at limit 50: peak in flight", f"not measured ({why})", f"exactly {limit}", None)
    rows.append(
        [
            f"{waves} sequential 5 ms sleeps (timer floor)",
            fmt_time(floor_median),
            f"{floor_median / ideal:.3f}×",
            "1.000×",
            fmt_time(statistics.median(floor_cpu)),
            "1",
            str(waves),
        ]
    )
    notes.insert(
        0,
        f"Ideal makespan: {n} / {limit} × 5 ms = {fmt_time(ideal)}. Peak in flight is counted by the step. "
        "The timer-floor row is what the event loop's timers alone allow for the same number of waves. "
        "CPU time is the process's during the run: the event loop runs the items' wake-ups one after "
        "another, so it adds to the makespan.",
    )
    return Section(
        title=f"1. Map of {n:,} items at limit {limit}, each sleeping 5 ms",
        columns=[
            "variant",
            "makespan (median)",
            "vs ideal",
            "vs timer floor",
            "CPU time (median)",
            "peak in flight",
            "calls",
        ],
        rows=rows,
        notes=notes,
    )


async def _traced_peak(run: Callable[[], Awaitable[list[int]]]) -> tuple[int, int]:
    """(tracemalloc peak minus the result list's own size, the result list's size)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = await run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = sys.getsizeof(result)
    del result
    return peak - size, size


async def map_big(generated: Generated, config: Config, report: Report) -> Section:
    limit = 100
    big, small, sem_n = config.big_map_items, config.small_map_items, config.semaphore_map_items
    notes = [
        "Each item's step returns its input object, so the result list's elements allocate nothing: "
        "the memory figure is tracemalloc's peak during the call minus `sys.getsizeof(result)`, i.e. "
        "what the scheduling itself holds at its worst.",
        f"The Semaphore + gather baseline makes one task per item; it is measured at {sem_n:,} items only "
        "(at 1,000,000 it takes about 15 s and 0.9 GB here).",
        "The worker-task baseline never yields on a step that does not suspend, so one worker runs every "
        "item: it is the floor for this figure, not a fair concurrency comparison.",
    ]
    gen, why = generated.flow("maps", "map_big")
    runners: list[tuple[str, Callable[[list[int]], Awaitable[list[int]]], tuple[int, ...]]] = []
    if gen is not None:
        probe = list(range(1000))
        got = await gen(probe)
        if list(got) == probe:
            runners.append(("generated", lambda xs: gen(xs), (small, big)))
        else:
            why = "wrong result"
            notes.append("generated `map_big` returned a wrong list: not measured")
    runners.append(("worker tasks", lambda xs: baselines.map_workers(steps.ident, xs, limit), (small, big)))
    runners.append(
        (
            "Semaphore + gather",
            lambda xs: baselines.map_semaphore(steps.ident, xs, limit),
            tuple(sorted({sem_n // 10, sem_n})),
        )
    )
    rows = []
    memory: dict[tuple[str, int], int] = {}
    times: dict[tuple[str, int], float] = {}
    for name, run, sizes in runners:
        await run(list(range(1000)))  # warm-up
        for n in sizes:
            items = list(range(n))
            # Time first (tracemalloc slows everything), skipping a size that would blow the budget.
            rounds = 1 if (config.quick or n >= 1_000_000) else 3
            spans = []
            for _ in range(rounds):
                gc.collect()
                start = time.perf_counter()
                result = await run(items)
                spans.append(time.perf_counter() - start)
                del result
            elapsed = statistics.median(spans)
            times[(name, n)] = elapsed
            scheduling, result_size = await _traced_peak(functools.partial(run, items))
            memory[(name, n)] = scheduling
            rows.append(
                [
                    name,
                    f"{n:,}",
                    fmt_time(elapsed),
                    f"{elapsed / n * 1e6:.2f} µs",
                    fmt_bytes(scheduling),
                    fmt_bytes(result_size),
                ]
            )
            del items
            if n == small and elapsed * (big / small) > 60 and big in sizes:
                notes.append(f"{name}: {big:,} items skipped (predicted {elapsed * big / small:.0f} s)")
                break
    target = f"the same at {small:,} and {big:,} items (within 2× and 1 MiB)"
    if ("generated", small) in memory and ("generated", big) in memory:
        m_small, m_big = memory[("generated", small)], memory[("generated", big)]
        independent = m_big <= max(2 * m_small, m_small + 1024 * 1024)
        report.check(
            f"map {big:,} trivial items at limit 100: scheduling memory",
            f"{fmt_bytes(m_small)} → {fmt_bytes(m_big)}",
            target,
            independent,
        )
        report.check(
            f"map {big:,} trivial items at limit 100: time", fmt_time(times[("generated", big)]), "(reported)", None
        )
    else:
        report.check(
            f"map {big:,} trivial items at limit 100: scheduling memory", f"not measured ({why})", target, None
        )
    return Section(
        title=f"1. Map of {big:,} trivial items at limit {limit}: the cost of scheduling",
        columns=["variant", "items", "time", "per item", "scheduling memory (peak − result)", "result list"],
        rows=rows,
        notes=notes,
    )


# ================================================================ 2. the observer hook


async def observer_cost(generated: Generated, config: Config, report: Report) -> Section:
    rows = []
    notes = [
        "*unused hook*: the generated flow called without an observer, against a copy of the same "
        "module with the hook compiled away (each `observer is None` test in the flow, with its "
        "`and journal is None`, made the constant `True`, each `observer is not None` and `journal is not "
        "None` the constant `False`). Target ≤ 1.05×: within the noise, "
        "i.e. not measurable.",
        "*no-op observer*: the same flow passed an object whose five methods do nothing: what "
        "listening costs (every node then goes through `_call`, which times it and reports it).",
        "*hand-written*: direct awaits (chain) or direct awaits + gather (fan-out), for scale.",
    ]
    observer = NoopObserver()
    cases = (
        ("chain", "chain", baselines.chain_gather, "direct awaits"),
        ("fanout", "fanout", baselines.fanout_gather, "direct awaits + gather"),
    )
    for module, flow, baseline, label in cases:
        gen, why = generated.flow(module, flow)
        bare, bare_why = generated.hookless(module, flow)
        expected = await baseline(1)
        if gen is not None:
            try:
                ok = await gen(1) == expected and await gen(1, observer=observer) == expected
            except TypeError as error:
                ok, why = False, f"no `observer=` argument ({error})"
            if not ok:
                why = why or "wrong result"
                gen = None
        if bare is not None and await bare(1) != expected:
            bare, bare_why = None, "the hookless copy returned a wrong result"
        if gen is None:
            rows.append([module, f"not measured ({why})", "", "", "", "", "", ""])
            report.check(
                f"{module}: unused hook (no observer / hook compiled away)", f"not measured ({why})", "≤ 1.05×", None
            )
            report.check(f"{module}: no-op observer / no observer", f"not measured ({why})", "(reported)", None)
            continue
        variants = [
            Variant("generated", lambda g=gen: g(1)),
            Variant("with no-op observer", lambda g=gen: g(1, observer=observer)),
            Variant(label, lambda b=baseline: b(1)),
        ]
        if bare is not None:
            variants.insert(1, Variant("hook compiled away", lambda f=bare: f(1)))
        timings = await compare(variants, config)
        plain, observed, base = timings["generated"], timings["with no-op observer"], timings[label]
        hook = paired_ratio(observed, plain)
        if bare is not None:
            unused = paired_ratio(plain, timings["hook compiled away"])
            unused_text = unused.text()
            report.check(
                f"{module}: unused hook (no observer / hook compiled away)",
                f"{unused.median:.2f}×",
                "≤ 1.05×",
                unused.median <= 1.05,
            )
        else:
            unused_text = f"not measured ({bare_why})"
            report.check(f"{module}: unused hook (no observer / hook compiled away)", unused_text, "≤ 1.05×", None)
        rows.append(
            [
                module,
                fmt_time(plain.median),
                fmt_time(timings["hook compiled away"].median) if bare is not None else "–",
                unused_text,
                fmt_time(observed.median),
                hook.text(),
                fmt_time(base.median),
                paired_ratio(plain, base).text(),
            ]
        )
        report.check(f"{module}: no-op observer / no observer", f"{hook.median:.2f}×", "(reported)", None)
    return Section(
        title="2. The observer hook",
        columns=[
            "flow",
            "generated, no observer",
            "hook compiled away",
            "unused hook",
            "with no-op observer",
            "no-op observer / none",
            "hand-written",
            "generated / hand-written",
        ],
        rows=rows,
        notes=notes,
    )


# ---------------------------------------------------------------- settings from parameters


async def settings_cost(generated: Generated, config: Config, report: Report) -> Section:
    """The diamond with a flow limit and timeout and two guarded nodes: the settings written
    as literals (module-level policies) against the same settings from parameters (checked
    and built at the start of every run)."""
    literal, why = generated.flow("settings", "literal")
    params, params_why = generated.flow("settings", "from_params")
    expected = baselines.diamond_sync(1)
    title = "2b. Settings from parameters"
    if literal is None or params is None or await literal(1) != expected or await params(1) != expected:
        report.check("settings: from parameters / literal", f"not measured ({why or params_why})", "≤ 1.05×", None)
        return Section(title=title, columns=["variant", "per call (median)"], rows=[], notes=[why or params_why])
    variants = [Variant("literal clauses", lambda: literal(1)), Variant("clauses from parameters", lambda: params(1))]
    plain, _ = generated.flow("diamond", "diamond")
    if plain is not None:
        variants.append(Variant("the diamond without clauses", lambda: plain(1)))
    timings = await compare(variants, config)
    base = timings["literal clauses"]
    ratio = paired_ratio(timings["clauses from parameters"], base)
    met = report.check("settings: from parameters / literal", f"{ratio.median:.2f}×", "≤ 1.05×", ratio.median <= 1.05)
    rows = [[name, fmt_time(t.median), paired_ratio(t, base).text()] for name, t in timings.items()]
    return Section(
        title=title,
        columns=["variant", "per call (median)", "vs literal clauses"],
        rows=rows,
        notes=[
            "`bench/flows/settings.flow`: `limit`, `timeout`, and on two nodes `timeout`, `retry` and "
            "`backoff`, written as literals or taken from parameters (five checks and two `_Policy` "
            f"objects per run). Target ≤ 1.05×: {ratio.median:.2f}× ({met})."
        ],
    )


# ================================================================ 3. the compiler


async def compiler_timing(compiler: Compiler | None, config: Config, report: Report) -> Section:
    section = Section(
        title="3. The compiler",
        intro="Generated flows (`bench/flowgen.py` `big_flow`): chains with timeout/retry/fallback/pool clauses, "
        "six-wide fan-outs with a `when` branch and a joining list, maps with `limit`, sub-flow, `sync` "
        "and `thread` calls.",
    )
    if compiler is None:
        section.notes.append("Not measured: no compiler.")
        report.check("compile 10,000 nodes", "not measured", "< 10 s", None)
        report.check("compile growth per 10× nodes", "not measured", "≤ 12×", None)
        return section
    phases_known = compiler.compile_timed is not None
    if not phases_known:
        section.notes.append(
            "flowc offers no `compile_timed(text, filename) -> (code, {phase: seconds})`: total time only."
        )

    timer = compiler.parse_timer

    def one(text: str, filename: str) -> tuple[float, dict[str, float], str]:
        with timer.timing() if timer is not None else contextlib.nullcontext():
            start = time.perf_counter()
            if compiler.compile_timed is not None:
                code, phases = compiler.compile_timed(text, filename)
            else:
                code, phases = compiler.compile_source(text, filename), {}
            total = time.perf_counter() - start
        phases = dict(phases)
        if timer is not None and timer.available and "front end" in phases and "parse" not in phases:
            front = phases.pop("front end")
            phases = {"parse": timer.seconds, "check": front - timer.seconds, **phases}
        return total, phases, code

    # Warm up: parser tables, templates, black's first-use costs.
    try:
        one((FLOWS_DIR / "diamond.flow").read_text(encoding="utf-8"), "bench/flows/diamond.flow")
    except Exception as error:  # noqa: BLE001
        section.notes.append(f"warm-up compile failed: {describe_error(error)}")
    totals: dict[int, float] = {}
    phase_names: list[str] = []
    phase_rows: dict[int, dict[str, float]] = {}
    rows = []
    for n in config.compile_sizes:
        if totals:
            last_n, last_t = max(totals.items())
            predicted = last_t * (n / last_n) ** 1.2
            if predicted > config.compile_budget_seconds:
                section.notes.append(f"{n:,} nodes skipped: predicted {predicted:.0f} s from {last_n:,} nodes.")
                continue
        text = flowgen.big_flow(n)
        filename = f"bench/generated/big_{n}.flow"
        reps = 1 if n >= 10_000 or (config.quick and n >= 1000) else (3 if n >= 1000 or config.quick else 5)
        runs = []
        try:
            for _ in range(reps):
                gc.collect()
                runs.append(one(text, filename))
        except Exception as error:  # noqa: BLE001
            note = f"{n:,} nodes: compile failed: {describe_error(error)}"
            if compiler.check_source is not None:
                try:
                    start = time.perf_counter()
                    compiler.check_source(text, filename)
                    note += f"; the front end alone (`flowc.check_source`) took {fmt_time(time.perf_counter() - start)}"
                except Exception as check_error:  # noqa: BLE001
                    note += f"; `flowc.check_source` failed too: {describe_error(check_error)}"
            section.notes.append(note)
            rows.append([f"{n:,}", f"{len(text.splitlines()):,}", "failed", "", ""])
            continue
        total = statistics.median(r[0] for r in runs)
        totals[n] = total
        phases: dict[str, float] = {}
        for name in {key for r in runs for key in r[1]}:
            phases[name] = statistics.median(r[1].get(name, 0.0) for r in runs)
            if name not in phase_names:
                phase_names.append(name)
        phase_rows[n] = phases
        code = runs[0][2]
        rows.append(
            [
                f"{n:,}",
                f"{len(text.splitlines()):,}",
                fmt_time(total),
                f"{total / n * 1e3:.2f} ms",
                f"{len(code.splitlines()):,}",
            ]
        )
    section.columns = ["nodes", ".flow lines", "compile (median)", "per node", "output lines"]
    section.rows = rows
    if phase_rows:
        order = [p for p in ("parse", "check", "emit", "black") if p in phase_names]
        order += [p for p in phase_names if p not in order]
        if order:
            section.extra_tables.append(
                (
                    ["nodes", *order, "sum of phases"],
                    [
                        [f"{n:,}", *(fmt_time(ph.get(p, 0.0)) for p in order), fmt_time(sum(ph.values()))]
                        for n, ph in phase_rows.items()
                    ],
                )
            )
    sizes = sorted(totals)
    growths = []
    for a, b in zip(sizes, sizes[1:]):
        if b == 10 * a:
            growth = totals[b] / totals[a]
            growths.append(growth)
            section.notes.append(f"{a:,} → {b:,} nodes: {growth:.1f}× the time (target ≤ 12×).")
    if growths:
        report.check(
            "compile growth per 10× nodes",
            " / ".join(f"{g:.1f}×" for g in growths),
            "≤ 12×",
            all(g <= 12 for g in growths),
        )
    else:
        report.check("compile growth per 10× nodes", "not measured", "≤ 12×", None)
    if 10_000 in totals:
        report.check("compile 10,000 nodes", fmt_time(totals[10_000]), "< 10 s", totals[10_000] < 10)
    else:
        report.check("compile 10,000 nodes", "not measured" + (" (quick)" if config.quick else ""), "< 10 s", None)
    return section


# ================================================================ 4. workflow engines (optional)


async def engine_timing(generated: Generated, config: Config, report: Report) -> Section | None:
    available = engines.available_engines()
    missing = [engine.name for engine in engines.missing_engines()]
    if not available:
        print(
            f"[bench] engines: none installed ({', '.join(missing)}), skipped; "
            "`pip install .[bench-engines]` to compare",
            file=sys.stderr,
            flush=True,
        )
        return None
    rows = []
    notes = [
        "The same DAGs in each engine's own idiom (see `bench/engines.py`), in one process run. Trivial steps "
        "(diamond, fan-out): per-call CPU time of the process, ratios engine ÷ generated and engine ÷ one task "
        "per node. "
        "Sleeping steps (the skewed N of section 1): makespan ÷ critical path (70 ms).",
    ]
    if missing:
        notes.append(f"Not installed, skipped: {', '.join(missing)}.")
    built: dict[tuple[str, str], Callable[[int], Awaitable[int]]] = {}

    async def build(engine: engines.Engine, what: str, expected: int) -> Callable[[int], Awaitable[int]] | None:
        try:
            maker = getattr(engine, f"build_{what}")
            run = await (maker(flowgen.FANOUT_WIDTH) if what == "fanout" else maker())
            got = await run(1)
        except Exception as error:  # noqa: BLE001 - one engine's trouble skips only that engine
            notes.append(f"{engine.name} {what}: {type(error).__name__}: {str(error)[:200]}")
            return None
        if got != expected:
            notes.append(f"{engine.name} {what}: returned {got!r}, expected {expected!r}: not timed")
            return None
        built[(engine.name, what)] = run
        return run

    for module, flow, tasks in (
        ("diamond", "diamond", baselines.diamond_tasks),
        ("fanout", "fanout", baselines.fanout_tasks),
    ):
        expected = await tasks(1)
        gen, _ = generated.flow(module, flow)
        variants = [Variant("one task per node", lambda t=tasks: t(1))]
        if gen is not None and await gen(1) == expected:
            variants.insert(0, Variant("generated", lambda g=gen: g(1)))
        for engine in available:
            run = await build(engine, module, expected)
            if run is not None:
                variants.append(Variant(f"{engine.name} {engine.version()}", lambda r=run: r(1)))
        timings = await compare(variants, config)
        tasks_t = timings["one task per node"]
        for name, timing in timings.items():
            rows.append(
                [
                    module,
                    name,
                    fmt_time(timing.median),
                    paired_ratio(timing, timings["generated"]).text() if "generated" in timings else "–",
                    paired_ratio(timing, tasks_t).text(),
                ]
            )
    # The skewed N: makespans.
    cp = critical_path(SKEW_SHAPES["skew_n"])
    expected = await baselines.skew_n_tasks(1)
    variants = [
        Variant("one task per node", lambda: baselines.skew_n_tasks(1)),
        Variant("level-by-level gather", lambda: baselines.skew_n_gather(1)),
    ]
    gen, _ = generated.flow("skewed", "skew_n")
    if gen is not None and await gen(1) == expected:
        variants.insert(0, Variant("generated", lambda g=gen: g(1)))
    for engine in available:
        run = await build(engine, "skew_n", expected)
        if run is not None:
            variants.append(Variant(f"{engine.name} {engine.version()}", lambda r=run: r(1)))
    spans = await makespans(variants, config.sleep_rounds)
    skew_rows = [
        [name, fmt_time(statistics.median(values)), f"{statistics.median(values) / cp:.2f}×"]
        for name, values in spans.items()
    ]
    section = Section(
        title="4. Workflow engines",
        columns=["DAG", "runner", "per call (median)", "÷ generated", "÷ one task per node"],
        rows=rows,
        notes=notes,
    )
    section.extra_tables.append((["skewed N (critical path 70 ms)", "makespan (median)", "÷ critical path"], skew_rows))
    return section


# ================================================================ other Pythons


def run_elsewhere(python: str, part: str, config: Config) -> dict[str, Any] | str:
    """This harness run under another interpreter for one part (`--only PART`): its JSON
    report, or why it failed."""
    import json
    import subprocess

    with tempfile.TemporaryDirectory(prefix="flowbench-py-") as tmp:
        out = Path(tmp) / "part.json"
        command = [python, str(BENCH_DIR / "run.py"), "--only", part, "--json", str(out)]
        if config.quick:
            command.append("--quick")
        with timed_stage(f"{part} under {python}"):
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
            except (OSError, subprocess.SubprocessError) as error:
                return f"{type(error).__name__}: {error}"
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return "failed: " + " / ".join(tail)
        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return data


def add_sections(report: Report, data: dict[str, Any], suffix: str = "", note: str = "") -> None:
    for sec in data["sections"]:
        report.add(
            Section(
                title=sec["title"] + suffix,
                intro=sec["intro"],
                columns=sec["columns"],
                rows=sec["rows"],
                notes=sec["notes"] + ([note] if note else []),
                extra_tables=[(cols, rows) for cols, rows in sec["extra_tables"]],
            )
        )


def other_python(python: str, config: Config, report: Report) -> None:
    """The DAG figures under another interpreter (`--python PATH`): the harness runs itself
    there with `--only dag` and its tables join this report. That interpreter needs flowc's
    dependencies (lark, jinja2, black), or flowc installed."""
    data = run_elsewhere(python, "dag", config)
    if isinstance(data, str):
        report.add(Section(title=f"1. The DAGs under {python}", notes=[data]))
        return
    version = data["machine"]["Python"]
    report.other_pythons.append((version, {c["figure"]: c["measured"] for c in data["checks"]}))
    add_sections(report, data, suffix=f", on {version}")


def engines_elsewhere(python: str, config: Config, report: Report) -> None:
    """The engine comparison run by an interpreter whose environment has the engines
    installed (`--engines-python PATH`), so that they stay out of the development one."""
    data = run_elsewhere(python, "engines", config)
    if isinstance(data, str):
        report.add(Section(title="4. Workflow engines", notes=[f"under {python}: {data}"]))
        return
    if not data["sections"]:
        report.add(Section(title="4. Workflow engines", notes=[f"none installed for {python}"]))
        return
    add_sections(
        report,
        data,
        note=f"Run by {data['machine']['Python']} in an environment with the engines installed (`--engines-python`).",
    )


def python_comparison(report: Report) -> Section | None:
    """The DAG targets side by side across the interpreters of this run."""
    if not report.other_pythons:
        return None
    dag = [c for c in report.checks if c.figure.split(":")[0] in {case.module for case in DAG_CASES}]
    here = report.machine["Python"]
    columns = ["figure", here, *(version for version, _ in report.other_pythons), "target"]
    rows = [
        [c.figure, c.measured, *(measured.get(c.figure, "–") for _, measured in report.other_pythons), c.target]
        for c in dag
    ]
    return Section(
        title="1. The DAG figures on each Python",
        intro="The same DAG measurements run under each interpreter (`--python`), one process each. From "
        "Python 3.12 the generated code starts node tasks eagerly (`asyncio.Task(..., eager_start=True)`): a "
        "node that never suspends is done without a trip through the event loop; Python 3.11 has no eager "
        "tasks, so there every spawned node costs a task scheduled on the loop, as in the one-task-per-node "
        "baseline.",
        columns=columns,
        rows=rows,
    )


# ================================================================ results only


async def verify(generated: Generated) -> Section:
    """Every generated bench flow run once against its hand-written equivalent: no timing."""
    rows: list[list[str]] = []
    observer = NoopObserver()

    async def row(module: str, flow: str, args: tuple[Any, ...], expected: Any, label: str) -> None:
        gen, why = generated.flow(module, flow)
        if gen is None:
            rows.append([f"{module}.{flow}", label, f"not run ({why})", "no"])
            return
        got = await gen(*args)
        observed = await gen(*args, observer=observer)
        ok = got == expected and observed == expected
        rows.append(
            [
                f"{module}.{flow}",
                label,
                "equal" if ok else f"{got!r} / {observed!r} != {expected!r}",
                "yes" if ok else "no",
            ]
        )

    await row("diamond", "diamond", (1,), baselines.diamond_sync(1), "diamond_sync(1)")
    await row("fanout", "fanout", (1,), baselines.fanout_sync(1), "fanout_sync(1)")
    await row("chain", "chain", (1,), baselines.chain_sync(1), "chain_sync(1)")
    await row("settings", "literal", (1,), baselines.diamond_sync(1), "diamond_sync(1)")
    await row("settings", "from_params", (1,), baselines.diamond_sync(1), "diamond_sync(1)")
    await row("skewed", "skew_n", (1,), await baselines.skew_n_tasks(1), "skew_n_tasks(1)")
    await row("skewed", "skew_w", (1,), await baselines.skew_w_tasks(1), "skew_w_tasks(1)")
    items = list(range(200))
    await row("maps", "map_sleep", (items,), await baselines.map_workers(steps.item_5ms, items, 50), "map_workers")
    await row("maps", "map_big", (items,), await baselines.map_workers(steps.ident, items, 100), "map_workers")
    return Section(
        title="0. Results: generated flows against the hand-written code",
        intro="Each flow called once without and once with a no-op observer; both results must equal the baseline's.",
        columns=["flow", "baseline", "result", "equal"],
        rows=rows,
    )


# ================================================================ driver


@contextmanager
def timed_stage(name: str) -> Iterator[None]:
    start = time.perf_counter()
    print(f"[bench] {name} …", file=sys.stderr, flush=True)
    try:
        yield
    finally:
        print(f"[bench] {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


def run_section(report: Report, name: str, make: Callable[[], Awaitable[Section | None]]) -> None:
    """One section in its own event loop (loop start-up is not inside any timing)."""
    with timed_stage(name):
        try:
            section = asyncio.run(make())
        except Exception:  # noqa: BLE001 - a broken section must not hide the others
            section = Section(title=name, notes=["failed:", "```", traceback.format_exc().rstrip(), "```"])
        if section is not None:
            report.add(section)


def readme_extras(report: Report) -> list[str]:
    """The per-Python DAG table and the engine tables, when the run has them."""
    lines: list[str] = []
    for sec in report.sections:
        if sec.title.endswith("The DAG figures on each Python") or sec.title.endswith("Workflow engines"):
            if not sec.columns:
                continue
            lines += [f"**{sec.title.split('. ', 1)[-1]}**", "", *_table(sec.columns, sec.rows), ""]
            for columns, rows in sec.extra_tables:
                lines += [*_table(columns, rows), ""]
    return lines


def kept_section(previous: str) -> str:
    """The sections `bench/lsp.py` and `bench/executors.py` write into the same file, carried
    over a rewrite."""
    kept = ""
    for name in ("lsp", "executors"):
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        if begin in previous and end in previous:
            kept += "\n" + begin + previous.split(begin, 1)[1].split(end, 1)[0] + end + "\n"
    return kept


def update_readme(report: Report, out: Path) -> None:
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    if not README.exists():
        return
    text = README.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        return
    link = os.path.relpath(out, README.parent)
    body = "\n".join(
        [
            begin,
            "",
            f"The latest {'quick' if report.config.quick else 'full'} run; every table is in [{link}]({link}).",
            "",
            *(line for line in report.machine_lines() if not line.startswith("- Mode:")),
            "",
            report.summary(),
            "",
            *readme_extras(report),
            end,
        ]
    )
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    README.write_text(head + body + tail, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: few repetitions, small maps")
    parser.add_argument("--out", type=Path, help="write the results as Markdown to this file (e.g. bench/RESULTS.md)")
    parser.add_argument("--no-engines", action="store_true", help="skip the optional workflow-engine comparison")
    parser.add_argument(
        "--only",
        action="append",
        choices=["dag", "skewed", "maps", "observer", "settings", "compiler", "engines"],
        help="run only these parts (repeatable)",
    )
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="PATH",
        help="also run the DAG part under this interpreter (repeatable; it needs lark, jinja2, black)",
    )
    parser.add_argument(
        "--engines-python",
        metavar="PATH",
        help="run the engine comparison under this interpreter (an environment with the engines)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="run every generated bench flow once and compare its result (alone, no timing, unless --only)",
    )
    args = parser.parse_args(argv)
    raw_argv = list(sys.argv[1:] if argv is None else argv)
    config = Config.make(args.quick)
    report = Report(config, machine_info(config, raw_argv))
    wanted = set(args.only or ["dag", "skewed", "maps", "observer", "settings", "compiler", "engines"])
    started = time.perf_counter()

    print("# flowc benchmark\n", flush=True)
    print("\n".join(report.machine_lines()) + "\n", flush=True)
    compiler, compiler_status = load_compiler()
    with tempfile.TemporaryDirectory(prefix="flowbench-") as tmp:
        with timed_stage("compile bench flows"):
            generated = Generated(compiler, Path(tmp))
        if compiler is None:
            report.status.append(f"**Generated code not measured: {compiler_status}.** Baselines only.")
        else:
            compiled = ", ".join(sorted(generated.modules)) or "none"
            report.status.append(f"flowc.compile_source: available; compiled: {compiled}.")
            if compiler.compile_timed is None:
                report.status.append("No `compile_timed` phase split: compiler figures are totals.")
        for name, problem in sorted(generated.errors.items()):
            report.status.append(f"`{name}.flow`: {problem}")
        report.status.append(
            f"Trivial-step figures: CPU time of the process (`time.process_time`), medians of {config.rounds} "
            f"interleaved rounds, ratios round by round; figures with sleeps: wall time, medians of "
            f"{config.sleep_rounds} runs."
        )
        for line in report.status:
            print(f"- {line}", flush=True)
        print(flush=True)
        # Everything loaded so far (the compiler, black, the generated modules) lives to the end:
        # out of the collector's sight, the `gc.collect()` before each timed batch stays short.
        gc.collect()
        gc.freeze()

        if args.verify:
            run_section(report, "verify", lambda: verify(generated))
            if not args.only:
                wanted = set()
        if "dag" in wanted:
            for case in DAG_CASES:
                run_section(report, case.module, lambda c=case: dag_case(c, generated, config, report))
            for python in args.python:
                other_python(python, config, report)
            comparison = python_comparison(report)
            if comparison is not None:
                report.add(comparison)
        if "skewed" in wanted:
            run_section(report, "skewed", lambda: skewed(generated, config, report))
        if "maps" in wanted:
            run_section(report, "map_sleep", lambda: map_sleep(generated, config, report))
            run_section(report, "map_big", lambda: map_big(generated, config, report))
        if "observer" in wanted:
            run_section(report, "observer", lambda: observer_cost(generated, config, report))
        if "settings" in wanted:
            run_section(report, "settings", lambda: settings_cost(generated, config, report))
        if "compiler" in wanted:
            run_section(report, "compiler", lambda: compiler_timing(compiler, config, report))
        if "engines" in wanted and not args.no_engines:
            if args.engines_python:
                engines_elsewhere(args.engines_python, config, report)
            else:
                run_section(report, "engines", lambda: engine_timing(generated, config, report))

    report.status.append(f"Whole run: {time.perf_counter() - started:.0f} s.")
    print("## Summary: figures against their targets\n", flush=True)
    print(report.summary(), flush=True)
    print(f"\n({report.status[-1]})", flush=True)
    if args.json is not None:
        import json

        args.json.write_text(json.dumps(report.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
    if args.out is not None:
        out = args.out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        kept = kept_section(out.read_text(encoding="utf-8")) if out.exists() else ""
        out.write_text(report.markdown() + kept, encoding="utf-8")
        print(f"[bench] wrote {out}", file=sys.stderr)
        if out == DEFAULT_OUT:
            update_readme(report, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
