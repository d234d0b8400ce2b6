"""`flowc compile --watch`: compile, then compile again whenever a `.flow` file changes.

Changes are seen through `watchfiles` (the operating system's file events, debounced). Each
round plans the files anew (a new `.flow` file is compiled, a deleted one forgotten) and
compiles them as `flowc compile` does: its diagnostics are printed, a file that fails writes
nothing (its last good module stays), and every write is atomic. Ctrl-C stops it (exit 0).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import watchfiles

from . import batch, files
from .errors import UsageError
from .report import Reporter

DEBOUNCE_MS = 100
"""How long to wait for more changes after one (an editor's save is often several events)."""
IDLE_MS = 200
"""How often the watcher wakes when nothing changes: the first wake starts the first round,
so a change made while the watcher starts is never missed."""


def watch(
    folders: Sequence[Path],
    plan: Callable[[], batch.Plan],
    reporter: Reporter,
    mode: batch.Mode,
    *,
    stop: threading.Event | None = None,
) -> int:
    """Compile the planned files now and after each change under `folders`, until Ctrl-C
    (or `stop`, for tests); the exit status."""
    watched = ", ".join(f"`{files.display(f, Path.cwd())}`" for f in folders)
    started = False
    try:
        for changes in watchfiles.watch(
            *folders,
            watch_filter=is_source,
            debounce=DEBOUNCE_MS,
            rust_timeout=IDLE_MS,
            yield_on_timeout=True,
            stop_event=stop,
        ):
            if started and not changes:
                continue
            shown = sorted({files.display(Path(path), Path.cwd()) for _, path in changes if path.endswith(".flow")})
            if shown:
                reporter.info("flowc: changed " + ", ".join(shown))
            compile_round(plan, reporter, mode)
            if not started:
                reporter.info(f"flowc: watching {watched} for changes to .flow files (Ctrl-C to stop)")
                started = True
    except KeyboardInterrupt:
        pass
    reporter.info("flowc: stopped watching")
    return 0


def compile_round(plan: Callable[[], batch.Plan], reporter: Reporter, mode: batch.Mode) -> None:
    """One compile of everything planned; a plan that fails (a named file deleted) is
    reported, and the watch goes on."""
    try:
        found = plan()
    except UsageError as error:
        reporter.error(error.message, error.help)
        return
    batch.compile_all(found, reporter, mode)


def is_source(change: watchfiles.Change, path: str) -> bool:
    """Whether a change may concern a `.flow` file (the plan decides whether it is compiled):
    a `.flow` file's, or a folder's made or removed, since the files of a folder made at once
    can be written before the watch on it starts, and those of a removed one go with it."""
    if path.endswith(".flow"):
        return True
    if change == watchfiles.Change.added:
        return os.path.isdir(path)
    return change == watchfiles.Change.deleted and not os.path.splitext(path)[1]


def folders_for(paths: Sequence[Path]) -> list[Path]:
    """The folders to watch for PATHs: a folder itself, a file's own folder (editors save
    by writing a new file and renaming it, which a watch on the file alone would lose)."""
    folders = [path if path.is_dir() else path.parent for path in paths]
    return [f for f in dict.fromkeys(folders) if f.is_dir()]
