"""The benchmark harness runs: a quick profile of `bench/run.py` produces every DAG and observer
table with the generated code measured, and every generated bench flow returns what its
hand-written equivalent returns. No timing is asserted (figures belong in bench/RESULTS.md)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sizes import flowgen

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

DAG_SECTIONS = {
    "diamond": "Diamond",
    "fanout": "Fan-out/fan-in, 200 wide",
    "chain": "Chain of 200 nodes",
}
DAG_BASELINES = {
    "diamond": "direct awaits + gather",
    "fanout": "direct awaits + gather",
    "chain": "direct awaits",
}
VERIFIED_FLOWS = {
    "diamond.diamond",
    "fanout.fanout",
    "chain.chain",
    "settings.literal",
    "settings.from_params",
    "skewed.skew_n",
    "skewed.skew_w",
    "maps.map_sleep",
    "maps.map_big",
}


def engines_installed() -> bool:
    """Whether any engine of `bench/engines.py` is installed (asked in a subprocess: the bench
    modules' names, such as `steps`, must not enter this process)."""
    probe = "import engines, sys; sys.stdout.write(str(len(engines.available_engines())))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=BENCH, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return int(done.stdout) > 0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, str]:
    """One quick harness run: results checked, the DAG and observer parts timed, and the
    engine part too when no engine is installed (it must then say so and skip)."""
    out = tmp_path_factory.mktemp("bench") / "results.json"
    command = [
        sys.executable,
        str(BENCH / "run.py"),
        "--quick",
        "--verify",
        "--only",
        "dag",
        "--only",
        "observer",
        "--json",
        str(out),
    ]
    if not engines_installed():
        command += ["--only", "engines"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), done.stdout, done.stderr


def section(report: dict[str, Any], title_start: str) -> dict[str, Any]:
    found = [s for s in report["sections"] if s["title"].split(". ", 1)[-1].startswith(title_start)]
    assert len(found) == 1, [s["title"] for s in report["sections"]]
    return found[0]


def test_every_generated_flow_returns_the_baselines_result(quick_run: tuple[dict[str, Any], str, str]) -> None:
    report, _, _ = quick_run
    verified = section(report, "Results")
    assert verified["columns"] == ["flow", "baseline", "result", "equal"]
    assert {row[0] for row in verified["rows"]} == VERIFIED_FLOWS
    assert [row for row in verified["rows"] if row[3] != "yes"] == []


@pytest.mark.parametrize("module", sorted(DAG_SECTIONS))
def test_dag_table_has_every_variant_measured(quick_run: tuple[dict[str, Any], str, str], module: str) -> None:
    report, _, _ = quick_run
    table = section(report, DAG_SECTIONS[module])
    names = [row[0] for row in table["rows"]]
    assert names == [
        "generated",
        "generated, --runtime shared",
        "one task per node",
        DAG_BASELINES[module],
        "plain sync calls (floor)",
    ]
    assert table["columns"][:3] == ["variant", "per call (median)", "vs one task per node"]
    for row in table["rows"]:
        assert row[1].endswith(("µs", "ms", " s")), row  # a time, whatever its value
        assert "×" in row[2] and "×" in row[3], row
    # Measured, not skipped: a wrong result would have been reported and left out.
    assert not any("not timed" in note or "not measured" in note for note in table["notes"]), table["notes"]


def test_summary_has_a_measured_figure_for_every_target(quick_run: tuple[dict[str, Any], str, str]) -> None:
    report, stdout, _ = quick_run
    checks = {check["figure"]: check for check in report["checks"]}
    expected = {
        "diamond: generated / one task per node",
        "fanout: generated / one task per node",
        "chain: generated / direct awaits",
        "chain: unused hook (no observer / hook compiled away)",
        "fanout: unused hook (no observer / hook compiled away)",
        "chain: no-op observer / no observer",
        "fanout: no-op observer / no observer",
        "diamond: shared runtime / inline",
        "fanout: shared runtime / inline",
        "chain: shared runtime / inline",
    }
    assert expected <= set(checks)
    for figure in expected:
        assert checks[figure]["measured"].endswith("×"), checks[figure]
    assert "## Summary: figures against their targets" in stdout


def test_observer_table_compares_hookless_and_observed(quick_run: tuple[dict[str, Any], str, str]) -> None:
    report, _, _ = quick_run
    table = section(report, "The observer hook")
    assert [row[0] for row in table["rows"]] == ["chain", "fanout"]
    assert all("not measured" not in cell for row in table["rows"] for cell in row), table["rows"]


def test_missing_engines_are_named_and_skipped(quick_run: tuple[dict[str, Any], str, str]) -> None:
    report, _, stderr = quick_run
    if engines_installed():
        pytest.skip("workflow engines are installed here: the engine part is not in the quick run")
    assert "engines: none installed (" in stderr
    assert "pip install .[bench-engines]" in stderr
    assert not any(s["title"].endswith("Workflow engines") for s in report["sections"])


def test_generated_bench_flows_are_fresh() -> None:
    """`bench/flows/fanout.flow` and `chain.flow` are what `python bench/flowgen.py` writes."""
    assert (BENCH / "flows" / "fanout.flow").read_text(encoding="utf-8") == flowgen.fanout_flow()
    assert (BENCH / "flows" / "chain.flow").read_text(encoding="utf-8") == flowgen.chain_flow()


def test_the_language_server_bench_writes_its_section(tmp_path: Path) -> None:
    """`bench/lsp.py` types into `flowc lsp` and writes its table into a results file,
    replacing its own section on a second run and keeping what else the file holds."""
    out = tmp_path / "RESULTS.md"
    out.write_text("# results\n\nthe harness's tables\n", encoding="utf-8")
    command = [sys.executable, str(BENCH / "lsp.py"), "--nodes", "30", "--rounds", "2", "--out", str(out)]
    for _ in range(2):
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# results\n\nthe harness's tables\n")
    assert text.count("<!-- lsp:begin -->") == 1 and text.count("<!-- lsp:end -->") == 1
    rows = [line for line in text.splitlines() if line.startswith("| keystroke → diagnostics")]
    assert len(rows) == 2 and all(line.count(" ms |") == 4 for line in rows)


def test_the_executor_bench_measures_every_executor_and_writes_its_section(tmp_path: Path) -> None:
    """`bench/executors.py` at a tiny size: each variant timed (the script checks every
    result against the plain loop's), its section written in place of an older one, the rest
    of the results file kept."""
    out = tmp_path / "RESULTS.md"
    old = "<!-- executors:begin -->\nan older run\n<!-- executors:end -->"
    out.write_text(f"# results\n\nthe harness's tables\n\n{old}\n\nafter\n", encoding="utf-8")
    command = [sys.executable, str(BENCH / "executors.py"), "--items", "24", "--work", "200", "--rounds", "1"]
    done = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# results\n\nthe harness's tables\n") and text.endswith("\n\nafter\n")
    assert text.count("<!-- executors:begin -->") == 1 and "an older run" not in text
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "×" in line]
    expected = ["one process (a loop)", "the flow, unbound (default thread pool)", "the flow, process pool"]
    if importlib.util.find_spec("distributed") is not None:
        expected.append("the flow, Dask cluster")
    else:
        assert "Dask `distributed` is not installed" in text
    assert [row[0].removeprefix("| ") for row in rows] == expected
    assert all(row[2].endswith("×") and row[3].endswith(("ns", "µs")) for row in rows), rows
    assert all(row[4].endswith(("µs |", "ms |")) for row in rows[1:]) and rows[0][4] == "– |", rows
