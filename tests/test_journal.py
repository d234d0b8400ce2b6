"""Durable runs with real crashes: a flow run in a subprocess with `SqliteJournal` is killed
with SIGKILL in the middle of its work (by one of its own steps, at a chosen call), then run
again with the same run id. Every step appends a line to a side-effect file when it is
called, so the tests count exactly which calls each run made; the journal's file says which
keys were recorded when the process died."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flowc import compile_source
from flowc.compiler import compile_timed
from flowc.project import Project
from flowc.semantics.imports import Loader

FLOW = """\
from crash_steps import prepare, work, enter, finish, total

flow item(x: int) -> int {
    node opened = enter(x=x)
    node closed = finish(x=opened)

    START >> opened >> closed >> END
    return closed
}

flow big(n: int) -> int {
    node items  = prepare(n=n)
    node worked = map work(x=each items) limit 8
    node summed = total(xs=worked)

    START >> items >> worked >> summed >> END
    return summed
}

flow nested(n: int) -> int {
    node items  = prepare(n=n)
    node done   = map item(x=each items) limit 2
    node summed = total(xs=done)

    START >> items >> done >> summed >> END
    return summed
}
"""

STEPS = """\
import asyncio
import os
import signal


def called(what: str) -> None:
    # One line per call, written before the step does anything: the side-effect file.
    with open(os.environ["CRASH_LOG"], "a", encoding="utf-8") as log:
        log.write(what + "\\n")
    if os.environ.get("CRASH_AT") == what:
        os.kill(os.getpid(), signal.SIGKILL)


async def prepare(n: int) -> list[int]:
    called("prepare")
    return list(range(n))


async def work(x: int) -> int:
    called(f"work {x}")
    await asyncio.sleep(0.001 * (x % 3))
    return x * x


async def enter(x: int) -> int:
    called(f"enter {x}")
    await asyncio.sleep(0.001)
    return x + 1


async def finish(x: int) -> int:
    called(f"finish {x}")
    await asyncio.sleep(0.001)
    return 3 * x


async def total(xs: list[int]) -> int:
    called("total")
    return sum(xs)
"""

RUNNER = """\
import asyncio
import json
import sys

import crash_flow

flow, n, run_id, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
journal = crash_flow.SqliteJournal(path)
print(json.dumps(asyncio.run(getattr(crash_flow, flow)(n, run_id=run_id, journal=journal))))
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flows compiled, their steps and a script that runs one flow with a journal."""
    where = tmp_path_factory.mktemp("crash")
    (where / "crash_flow.py").write_text(compile_source(FLOW, "crash.flow"), encoding="utf-8")
    (where / "crash_steps.py").write_text(STEPS, encoding="utf-8")
    (where / "runner.py").write_text(RUNNER, encoding="utf-8")
    return where


def start(
    folder: Path, log: Path, flow: str, n: int, run_id: str, crash_at: str | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, "CRASH_LOG": str(log), "PYTHONPATH": str(folder)}
    env.pop("CRASH_AT", None)
    if crash_at is not None:
        env["CRASH_AT"] = crash_at
    command = [sys.executable, str(folder / "runner.py"), flow, str(n), run_id, str(folder / "journal.db")]
    return subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(folder: Path, log: Path, flow: str, n: int, run_id: str, crash_at: str | None = None) -> tuple[int, object]:
    """Run a flow to its end (or its crash): the exit status and the result printed."""
    process = start(folder, log, flow, n, run_id, crash_at)
    out, err = process.communicate(timeout=120)
    return process.returncode, (json.loads(out) if process.returncode == 0 else err)


def calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def recorded(folder: Path, run_id: str) -> set[str]:
    with sqlite3.connect(folder / "journal.db") as db:
        rows = db.execute("SELECT key FROM flowc_records WHERE run_id = ?", (run_id,)).fetchall()
    return {key for (key,) in rows}


def test_a_run_killed_in_a_map_resumes_with_the_elements_not_recorded(folder: Path, tmp_path: Path) -> None:
    n = 1000
    status, _ = run(folder, tmp_path / "first.log", "big", n, "killed", crash_at="work 500")
    assert status == -signal.SIGKILL
    first = calls(tmp_path / "first.log")
    keys = recorded(folder, "killed")
    done = {int(key[len("big.worked[") : -1]) for key in keys if key.startswith("big.worked[")}
    assert "big.items" in keys and "big.worked" not in keys
    assert 400 <= len(done) < 500  # the map was killed half-way: elements start in order

    status, result = run(folder, tmp_path / "again.log", "big", n, "killed")
    assert status == 0
    again = calls(tmp_path / "again.log")
    assert "prepare" not in again  # the node before the map: recorded, not called again
    worked = [int(line.split()[1]) for line in again if line.startswith("work ")]
    assert len(worked) == len(set(worked))
    assert set(worked) == set(range(n)) - done  # exactly the elements not recorded
    in_flight = set(worked) & {int(line.split()[1]) for line in first if line.startswith("work ")}
    assert 500 in in_flight and len(in_flight) <= 8  # called before the crash, never recorded
    assert again.count("total") == 1

    status, fresh = run(folder, tmp_path / "fresh.log", "big", n, "uninterrupted")
    assert status == 0 and result == fresh


def test_a_run_killed_inside_a_sub_flow_resumes_inside_it(folder: Path, tmp_path: Path) -> None:
    n = 12
    status, _ = run(folder, tmp_path / "first.log", "nested", n, "sub", crash_at="finish 7")
    assert status == -signal.SIGKILL
    keys = recorded(folder, "sub")
    # The sub-flow's nodes are recorded under the key of the element that called it: the
    # crashed element's first node is, its second (in flight) and the element are not.
    assert "nested.done[6]/item.opened" in keys
    assert "nested.done[6]/item.closed" not in keys and "nested.done[6]" not in keys
    # Two workers: when element 6 started, five of elements 0 to 5 had ended, each recorded.
    assert sum(f"nested.done[{i}]" in keys for i in range(6)) >= 5 and "nested.done" not in keys

    def elements(suffix: str) -> set[int]:
        return {int(k[len("nested.done[") : k.index("]")]) for k in keys if k.endswith(suffix)}

    opened, closed = elements("/item.opened"), elements("/item.closed")

    status, result = run(folder, tmp_path / "again.log", "nested", n, "sub")
    assert status == 0
    again = calls(tmp_path / "again.log")
    entered = {int(line.split()[1]) for line in again if line.startswith("enter ")}
    finished = {int(line.split()[1]) - 1 for line in again if line.startswith("finish ")}
    assert "prepare" not in again
    assert entered == set(range(n)) - opened  # a sub-flow's recorded node is not called again
    assert finished == set(range(n)) - closed
    assert 6 not in entered and 6 in finished  # the crashed element: only its second node

    status, fresh = run(folder, tmp_path / "fresh.log", "nested", n, "sub uninterrupted")
    assert status == 0 and result == fresh


def test_a_finished_run_resumed_calls_nothing(folder: Path, tmp_path: Path) -> None:
    status, result = run(folder, tmp_path / "first.log", "nested", 5, "finished")
    assert status == 0 and len(calls(tmp_path / "first.log")) == 1 + 5 + 5 + 1
    status, again = run(folder, tmp_path / "again.log", "nested", 5, "finished")
    assert status == 0 and again == result
    assert calls(tmp_path / "again.log") == []


def test_other_inputs_under_the_same_run_id_are_refused(folder: Path, tmp_path: Path) -> None:
    status, _ = run(folder, tmp_path / "first.log", "big", 10, "inputs")
    assert status == 0
    before = recorded(folder, "inputs")
    status, error = run(folder, tmp_path / "again.log", "big", 11, "inputs")
    assert status == 1 and isinstance(error, str)
    assert "ValueError: flowc: run `inputs` of flow `big` was recorded with other inputs" in error
    assert calls(tmp_path / "again.log") == [] and recorded(folder, "inputs") == before


def test_two_processes_share_one_journal_file(folder: Path, tmp_path: Path) -> None:
    processes = [start(folder, tmp_path / f"{i}.log", "big", 300, f"together {i}") for i in range(2)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    assert results[0] == results[1]
    for i in range(2):
        assert len(recorded(folder, f"together {i}")) == 1 + 1 + 300 + 1 + 1  # flow, nodes, elements
        assert len(calls(tmp_path / f"{i}.log")) == 1 + 300 + 1
        status, again = run(folder, tmp_path / f"again {i}.log", "big", 300, f"together {i}")
        assert status == 0 and again == results[i] and calls(tmp_path / f"again {i}.log") == []


# What depends on the process: its hash seed (a set's order), a fork.

WORDS_FLOW = """\
from words_steps import up

flow ups(xs: set[str]) -> list[str] {
    node out = map up(x=each xs) thread limit 1
    START >> out >> END
    return out
}

flow upl(xs: list[str]) -> list[str] {
    node out = map up(x=each xs) thread
    START >> out >> END
    return out
}
"""

WORDS_STEPS = """\
import os


class Tagged:
    def __init__(self, tags: set[str]) -> None:
        self.tags = tags


def up(x: str) -> str:
    if os.environ.get("FAIL_AT") == x:
        raise RuntimeError("failing at " + x)
    return x.upper()
"""

# argv: flow, run id, journal path, JSON list of inputs; prints the result or the error.
WORDS_RUNNER = """\
import asyncio
import json
import sys

import words_flow

flow, run_id, path, items = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
inputs = set(items) if flow == "ups" else items
journal = words_flow.SqliteJournal(path)
try:
    print(json.dumps(asyncio.run(getattr(words_flow, flow)(inputs, run_id=run_id, journal=journal))))
except Exception as error:
    print(json.dumps({"error": repr(error)}))
"""


@pytest.fixture(scope="module")
def words(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Flows that map over words, their step and a script that runs one with a journal."""
    where = tmp_path_factory.mktemp("words")
    (where / "words_flow.py").write_text(compile_source(WORDS_FLOW, "words.flow"), encoding="utf-8")
    (where / "words_steps.py").write_text(WORDS_STEPS, encoding="utf-8")
    (where / "runner.py").write_text(WORDS_RUNNER, encoding="utf-8")
    return where


def run_words(folder: Path, flow: str, run_id: str, items: list[str], seed: int, fail_at: str | None = None) -> object:
    env = {**os.environ, "PYTHONPATH": str(folder), "PYTHONHASHSEED": str(seed)}
    env.pop("FAIL_AT", None)
    if fail_at is not None:
        env["FAIL_AT"] = fail_at
    command = [sys.executable, "runner.py", flow, run_id, str(folder / "journal.db"), json.dumps(items)]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def python(folder: Path, code: str, seed: int = 0) -> list[str]:
    """What `code` prints, run in a fresh process with hash seed `seed`."""
    env = {**os.environ, "PYTHONPATH": str(folder), "PYTHONHASHSEED": str(seed)}
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_map_over_a_set_resumed_in_another_process_gives_each_member_its_own_value(words: Path) -> None:
    # A set's order depends on the process's hash seed, and elements are recorded by index:
    # with a journal, a map takes a set's members sorted, the same in every process.
    items = [chr(ord("a") + i) for i in range(12)]
    failed = run_words(words, "ups", "set-run", items, seed=1, fail_at="e")
    assert isinstance(failed, dict) and "failing at e" in str(failed["error"])
    resumed = run_words(words, "ups", "set-run", items, seed=2)
    assert resumed == [x.upper() for x in items]


def test_the_fingerprint_of_an_object_holding_a_set_is_the_same_in_every_process(words: Path) -> None:
    code = (
        "import words_flow as m, words_steps as s\n"
        "print(m._fingerprint('d', (s.Tagged(set('abcdefghijkl')),)))\n"
        "print(m._fingerprint('d', (''.join(['ab', 'c']), ''.join(['a', 'bc']))))\n"
        "same = ''.join(['ab', 'c'])\n"
        "print(m._fingerprint('d', (same, same)))\n"
    )
    first, second = python(words, code, seed=1), python(words, code, seed=2)
    assert first == second and first[1] == first[2]


def test_a_forked_child_can_use_a_journal_after_its_parent_did(words: Path, tmp_path: Path) -> None:
    # The journal's writer thread is module state: a child forked after the parent used it
    # (multiprocessing's default start method on Linux, gunicorn --preload) makes its own.
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    code = f"""\
import asyncio, os
import words_flow as m

async def go(run_id):
    journal = m.SqliteJournal({str(tmp_path / "fork.db")!r})
    return await asyncio.wait_for(m.upl(["a"], run_id=run_id, journal=journal), 5)

print(asyncio.run(go("parent")), flush=True)
pid = os.fork()
if pid == 0:
    try:
        print(asyncio.run(go("child")), flush=True)
    except BaseException as error:
        print("child:", repr(error), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""
    assert python(words, code) == ["['A']", "['A']"]


# The flow's structure digest: which version of a flow recorded a run.


def digest_of(text: str, flow: str, path: str = "digest.flow", loader: Loader | None = None) -> str:
    found = re.search(rf'journal, run_id, "{flow}", "([0-9a-f]+)"', compile_timed(text, path, loader=loader)[0])
    assert found is not None
    return found.group(1)


def test_a_node_calling_a_function_of_another_module_changes_the_digest() -> None:
    # `f` of another module is another step: a run recorded with the old one must not resume.
    body = "\nflow d(x: int) -> int {\n    node a = f(x=x)\n    START >> a >> END\n    return a\n}\n"
    assert digest_of("from app.steps import f\n" + body, "d") != digest_of("from app.other import f\n" + body, "d")
    assert digest_of("from app.steps import f\nimport os\n" + body, "d") == digest_of(
        "from app.steps import f\n" + body, "d"
    )


def test_a_change_in_a_flow_imported_two_levels_down_changes_the_digest(tmp_path: Path) -> None:
    top = "from mid import m\n\nflow t(x: int) -> int {\n    node a = m(x=x)\n    START >> a >> END\n    return a\n}\n"
    mid = "from low import l\n\nflow m(x: int) -> int {\n    node b = l(x=x)\n    START >> b >> END\n    return b\n}\n"
    low = "from app.{} import f\n\nflow l(x: int) -> int {{\n    node c = f(x=x)\n    START >> c >> END\n    return c\n}}\n"
    digests = []
    for steps in ("steps", "other"):
        for name, text in (("top", top), ("mid", mid), ("low", low.format(steps))):
            (tmp_path / f"{name}.flow").write_text(text, encoding="utf-8")
        project = Project([tmp_path], tmp_path)
        with project.analyzing(tmp_path / "top.flow", "top.flow") as loader:
            digests.append(digest_of(top, "t", "top.flow", loader))
    assert digests[0] != digests[1]
