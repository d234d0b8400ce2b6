"""Steps of `durable_batch.flow`, and a command that shows a run stopped half-way, then
resumed from its journal:

    cd samples
    python -m steps.durable_batch runs.db --stop-after 5   # stops at the sixth summary
    python -m steps.durable_batch runs.db                  # resumes: the other summaries only
    python -m steps.durable_batch runs.db                  # finished: calls nothing

`calls` counts the calls of each step since the last `reset()`; with `stop_after` set,
`summarize` raises `Interrupted` (standing for the process dying) once that many summaries
were made.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from dataclasses import dataclass

calls: dict[str, int] = {}
stop_after: int | None = None


class Interrupted(Exception):
    """The run stopped, as if its process had died."""


@dataclass(frozen=True)
class Summary:
    text: str
    words: int


@dataclass(frozen=True)
class Digest:
    documents: int
    words: int
    longest: str


def reset(stop: int | None = None) -> None:
    """Forget the calls counted; stop the next run after `stop` summaries (None: never)."""
    global stop_after
    calls.clear()
    stop_after = stop


def counted(step: str) -> None:
    calls[step] = calls.get(step, 0) + 1


async def clean(docs: list[str]) -> list[str]:
    counted("clean")
    return [" ".join(doc.split()) for doc in docs]


async def summarize(text: str) -> Summary:
    """The expensive step (a model call in a real service)."""
    if stop_after is not None and calls.get("summarize", 0) >= stop_after:
        raise Interrupted(f"stopped before summarising {text!r}")
    counted("summarize")
    await asyncio.sleep(0.002)
    return Summary(text=text[:24], words=len(text.split()))


async def digest(summaries: list[Summary]) -> Digest:
    counted("digest")
    longest = max(summaries, key=lambda s: s.words).text if summaries else ""
    return Digest(documents=len(summaries), words=sum(s.words for s in summaries), longest=longest)


DOCS = [f"Document {i}: " + " ".join(["word"] * (i + 3)) for i in range(12)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m steps.durable_batch")
    parser.add_argument("journal", help="the journal's SQLite file")
    parser.add_argument("--stop-after", type=int, help="stop the run after this many summaries")
    parser.add_argument("--run-id", default="batch-1")
    args = parser.parse_args(argv)
    flow = importlib.import_module("durable_batch")  # the module compiled from durable_batch.flow
    # The steps as the flow imports them (run as `-m`, this file is also `__main__`).
    steps = importlib.import_module("steps.durable_batch")
    steps.reset(args.stop_after)
    journal = flow.SqliteJournal(args.journal)
    try:
        result = asyncio.run(flow.durable_batch(DOCS, run_id=args.run_id, journal=journal))
    except steps.Interrupted as error:
        print(f"interrupted ({error}): run again to resume")
        return
    finally:
        journal.close()
    print(f"{result}; calls this time: {steps.calls or 'none'}")


if __name__ == "__main__":
    main()
