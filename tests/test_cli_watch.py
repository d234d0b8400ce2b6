"""`flowc compile --watch` as a user runs it: a real process that compiles, then compiles
again after each edit; a broken edit is reported and leaves the last good module; Ctrl-C
ends it cleanly. Waits are for events (a line printed, a file changed), each with a generous
limit that only a hang reaches."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clitools import BROKEN, DIAMOND, TWO, isolate, process_env, write

LIMIT = 60.0
"""Seconds after which a wait fails: far past any real delay, reached only by a hang."""


class Watcher:
    """A `flowc compile --watch` process and the lines it prints on stderr."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flowc", "compile", "--watch", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=process_env(),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self.read, daemon=True).start()

    def read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str) -> list[str]:
        """The lines printed up to and including the first one holding `text`."""
        deadline = time.monotonic() + LIMIT
        got: list[str] = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.process.poll() is None, "".join(self.seen + got)
                continue
            got.append(line)
            if text in line:
                self.seen += got
                return got
        raise AssertionError(f"no line with {text!r} in {''.join(self.seen + got)!r}")

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        _, rest = self.process.communicate(timeout=LIMIT)
        while not self.lines.empty():
            rest = self.lines.get() + rest
        return self.process.returncode, rest


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + LIMIT
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = isolate(monkeypatch, tmp_path)
    write(root / "flows" / "diamond.flow", DIAMOND)
    yield root


def test_watch_recompiles_on_change_and_keeps_the_last_good_module(project: Path) -> None:
    module = project / "flows" / "diamond.py"
    watcher = Watcher(project, "flows")
    try:
        first = watcher.wait_for("flowc: watching `flows` for changes")
        assert any("1 compiled, 0 unchanged, 0 failed" in line for line in first), first
        original = module.read_bytes()

        write(project / "flows" / "diamond.flow", DIAMOND.replace("# The diamond", "# A diamond"))
        wait_until(lambda: module.read_bytes() != original)
        changed = watcher.wait_for("flowc: changed")
        assert changed[-1] == "flowc: changed flows/diamond.flow\n", changed
        edited = module.read_bytes()
        assert b"A diamond" not in original and b"source-sha256" in edited
        watcher.wait_for("1 compiled, 0 unchanged, 0 failed")

        write(project / "flows" / "diamond.flow", BROKEN)
        broken = watcher.wait_for("0 compiled, 0 unchanged, 1 failed")
        assert any("flows/diamond.flow:5:14: error:" in line for line in broken), broken
        assert module.read_bytes() == edited
        assert sorted(p.name for p in (project / "flows").iterdir()) == ["diamond.flow", "diamond.py"]

        write(project / "flows" / "sub" / "two.flow", TWO)
        watcher.wait_for("1 compiled, 0 unchanged, 1 failed")
        assert (project / "flows" / "sub" / "two.py").read_text(encoding="utf-8").startswith("# @generated")

        write(project / "flows" / "diamond.flow", DIAMOND)
        watcher.wait_for("1 compiled, 1 unchanged, 0 failed")
        assert module.read_bytes() == original
    finally:
        code, rest = watcher.stop()
    assert code == 0, rest
    assert rest.rstrip().endswith("flowc: stopped watching")
    assert "Traceback" not in "".join(watcher.seen) + rest


def test_watch_of_a_single_file_survives_a_save_by_rename(project: Path) -> None:
    """Editors save by writing a new file and renaming it over the old one."""
    module = project / "flows" / "diamond.py"
    watcher = Watcher(project / "flows", "diamond.flow")
    try:
        watcher.wait_for("flowc: watching `.` for changes")
        original = module.read_bytes()
        for text in (DIAMOND.replace("# The diamond", "# Once"), DIAMOND.replace("# The diamond", "# Twice")):
            before = module.read_bytes()
            replacement = write(project / "flows" / ".diamond.flow.swp", text)
            replacement.replace(project / "flows" / "diamond.flow")
            wait_until(lambda before=before: module.read_bytes() != before)
        assert module.read_bytes() != original
    finally:
        code, rest = watcher.stop()
    assert code == 0, rest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--check", "flows"], "`--watch` writes the modules; it cannot be combined with `--check`"),
        (["flows", "--output-format", "json"], "`--output-format json` prints one document at the end"),
        (["missing"], "no such file or folder: `missing`"),
    ],
)
def test_watch_usage_errors(project: Path, args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flowc", "compile", "--watch", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=process_env(),
        timeout=LIMIT,
    )
    assert result.returncode == 2 and message in result.stderr, result.stderr
