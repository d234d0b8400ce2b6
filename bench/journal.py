"""Durable runs: what a journal costs per node and per map element, and that a run without
one costs what it cost before journals existed.

    python bench/journal.py [--quick] [--base REV] [--out bench/JOURNAL.md]

Three parts, each in its own event loop, with the harness of `bench/run.py` (interleaved
rounds, medians, ratios round by round):

1. *No journal*: the bench's DAGs (diamond, 200-wide fan-out, 200-node chain) compiled by this
   tree against the same flows compiled by `--base` (a revision before journals; its
   `flowc/`, `grammar/` and `templates/` are taken with `git archive`), CPU time. Target ≤ 1.05×.
2. *With `SqliteJournal`*: a 200-node chain and a 10,000-element map (`limit 100`), each run
   under a new run id, against no journal, wall time (the writes happen in the journal's
   thread); the difference divided by the nodes or elements is the cost of recording one.
   Also a finished run resumed (its recorded result read back).
3. *Where to write*: one `SqliteJournal.record` called on the event loop against the same
   call through the runtime's writer thread, one at a time and eight at once.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import run as harness  # noqa: E402

ROOT = harness.ROOT
BEFORE = "1638c2c"
"""The last commit before journals."""
DAGS = (("diamond", "diamond"), ("fanout", "fanout"), ("chain", "chain"))

BASE_COMPILE = """\
import json, sys
from pathlib import Path
import flowc
out = {}
for name in sys.argv[1:]:
    path = Path("bench/flows") / f"{name}.flow"
    out[name] = flowc.compile_source(path.read_text(encoding="utf-8"), path.as_posix())
print(json.dumps(out))
"""


def base_code(rev: str, names: list[str], workdir: Path) -> dict[str, str]:
    """The bench flows `names` compiled by flowc at revision `rev`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "flowc", "grammar", "templates"], capture_output=True, check=True
    ).stdout
    source = workdir / "base-src"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(source, filter="data")
    result = subprocess.run(
        [sys.executable, "-c", BASE_COMPILE, *names],
        cwd=ROOT,
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    code: dict[str, str] = json.loads(result.stdout)
    return code


async def no_journal(
    generated: harness.Generated, base: dict[str, ModuleType], config: harness.Config, report: harness.Report
) -> harness.Section:
    rows = []
    for module, flow in DAGS:
        now, why = generated.flow(module, flow)
        before = getattr(base.get(module), flow, None)
        if now is None or before is None:
            rows.append([module, f"not measured ({why or 'no base module'})", "", ""])
            continue
        assert await now(1) == await before(1)
        timings = await harness.compare(
            [
                harness.Variant("no journal", lambda f=now: f(1)),
                harness.Variant("before journals", lambda f=before: f(1)),
            ],
            config,
        )
        ratio = harness.paired_ratio(timings["no journal"], timings["before journals"])
        rows.append(
            [
                module,
                harness.fmt_time(timings["no journal"].median),
                harness.fmt_time(timings["before journals"].median),
                ratio.text(),
            ]
        )
        report.check(f"{module}: no journal / before journals", f"{ratio.median:.2f}×", "≤ 1.05×", ratio.median <= 1.05)
    return harness.Section(
        title="1. No journal costs nothing",
        intro="The flows compiled by this tree, called without a journal, against the same flows compiled by "
        "the base revision, which had no journals (CPU time).",
        columns=["flow", "no journal", "before journals", "ratio"],
        rows=rows,
    )


async def wall(variants: list[harness.Variant], rounds: int) -> dict[str, float]:
    """Median wall time of single calls, interleaved (the journal writes in its thread)."""
    spans = await harness.makespans(variants, rounds)
    return {name: sorted(times)[len(times) // 2] for name, times in spans.items()}


async def with_journal(
    generated: harness.Generated, config: harness.Config, report: harness.Report, folder: Path
) -> harness.Section:
    chain, _ = generated.flow("chain", "chain")
    big, _ = generated.flow("maps", "map_big")
    module = generated.modules["chain"]
    assert chain is not None and big is not None
    journal = module.SqliteJournal(folder / "journal.db")
    ids = (f"run {i}" for i in itertools.count())
    await chain(1, run_id="finished", journal=journal)
    rounds = 5 if config.quick else 15
    chain_times = await wall(
        [
            harness.Variant("no journal", lambda: chain(1)),
            harness.Variant("SqliteJournal, new run", lambda: chain(1, run_id=next(ids), journal=journal)),
            harness.Variant(
                "SqliteJournal, finished run resumed", lambda: chain(1, run_id="finished", journal=journal)
            ),
        ],
        rounds,
    )
    items = list(range(1_000 if config.quick else 10_000))
    map_times = await wall(
        [
            harness.Variant("no journal", lambda: big(items)),
            harness.Variant("SqliteJournal, new run", lambda: big(items, run_id=next(ids), journal=journal)),
        ],
        2 if config.quick else 3,
    )
    journal.close()
    per_node = (chain_times["SqliteJournal, new run"] - chain_times["no journal"]) / 200
    per_element = (map_times["SqliteJournal, new run"] - map_times["no journal"]) / len(items)
    report.check("chain of 200: SqliteJournal per node", harness.fmt_time(per_node), "(reported)", None)
    report.check(f"map of {len(items):,}: SqliteJournal per element", harness.fmt_time(per_element), "(reported)", None)
    rows = [
        ["chain of 200 nodes", *(harness.fmt_time(t) for t in chain_times.values()), harness.fmt_time(per_node)],
        [
            f"map of {len(items):,} elements, limit 100",
            *(harness.fmt_time(t) for t in map_times.values()),
            "–",
            harness.fmt_time(per_element),
        ],
    ]
    return harness.Section(
        title="2. What recording costs",
        intro="Each run under a new run id, so every node (and element) is recorded: one SQLite "
        "transaction each, in the journal's writer thread. Wall time, medians of interleaved runs.",
        columns=["flow", "no journal", "SqliteJournal, new run", "finished run resumed", "per node or element"],
        rows=rows,
        notes=[
            "A map records each element and then the whole list (one more, larger record); a node "
            "records its value, the run its result.",
            "A finished run resumed reads every record of the run and returns the recorded result, calling nothing.",
        ],
    )


async def where_to_write(module: ModuleType, config: harness.Config, folder: Path) -> harness.Section:
    journal = module.SqliteJournal(folder / "writes.db")
    loop = asyncio.get_running_loop()
    writer = module._writer()
    n = 500 if config.quick else 3000
    keys = (f"k{i}" for i in itertools.count())

    async def on_loop() -> None:
        for _ in range(n):
            journal.record("run", next(keys), 1)

    async def in_thread() -> None:
        for _ in range(n):
            await loop.run_in_executor(writer, journal.record, "run", next(keys), 1)

    async def in_thread_8() -> None:
        async def one() -> None:
            for _ in range(n // 8):
                await loop.run_in_executor(writer, journal.record, "run", next(keys), 1)

        await asyncio.gather(*(one() for _ in range(8)))

    rows = []
    for name, make in (
        ("on the event loop", on_loop),
        ("in the writer thread, one at a time", in_thread),
        ("in the writer thread, 8 at once", in_thread_8),
    ):
        start = time.perf_counter()
        await make()
        rows.append([name, harness.fmt_time((time.perf_counter() - start) / n)])
    journal.close()
    return harness.Section(
        title="3. Where a record is written",
        intro="One `SqliteJournal.record` (a pickled int, one transaction), wall time per record.",
        columns=["called", "per record"],
        rows=rows,
        notes=[
            "The runtime writes in its writer thread: a record costs the hand-off to the thread and back "
            "on top of the call, but the loop runs other nodes meanwhile, and never stops while SQLite "
            "waits for a lock another process holds (its busy timeout sleeps, up to 30 s). A `sync` node's "
            "record goes through the thread too, so that a journal's methods run one at a time, in that thread.",
        ],
    )


def section(make: Callable[[], Awaitable[harness.Section]], report: harness.Report, name: str) -> None:
    harness.run_section(report, name, make)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/journal.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few rounds, a map of 1,000")
    parser.add_argument("--base", default=BEFORE, help=f"a revision before journals, for part 1 (default: {BEFORE})")
    parser.add_argument("--out", type=Path, help="write the results as Markdown to this file")
    args = parser.parse_args(argv)
    config = harness.Config.make(args.quick)
    command = ["journal.py", *(argv if argv is not None else sys.argv[1:])]
    report = harness.Report(config, harness.machine_info(config, command))
    report.machine["Command"] = "python bench/" + " ".join(command)
    compiler, status = harness.load_compiler()
    if compiler is None:
        print(f"flowc is not importable: {status}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="flowbench-journal-") as tmp:
        folder = Path(tmp)
        generated = harness.Generated(compiler, folder)
        base: dict[str, ModuleType] = {}
        for name, code in base_code(args.base, [m for m, _ in DAGS], folder).items():
            base[name] = generated.load(f"{name}_base", code)
        report.status.append(f"Base revision for part 1: `{args.base}`.")
        section(lambda: no_journal(generated, base, config, report), report, "no journal")
        section(lambda: with_journal(generated, config, report, folder), report, "with journal")
        section(lambda: where_to_write(generated.modules["chain"], config, folder), report, "where to write")
    text = report.markdown().replace("# flowc benchmark results", "# flowc benchmark results: durable runs", 1)
    print(report.summary())
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
        print(f"[bench] wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
