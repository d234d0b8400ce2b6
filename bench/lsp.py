"""The language server's latency: from a keystroke to the diagnostics on screen.

`python bench/lsp.py [--nodes 200] [--rounds 30] [--out bench/RESULTS.md]` starts
`flowc lsp` as an editor does (a subprocess speaking the protocol on stdin and stdout), opens
a generated flow of `--nodes` nodes (`flowgen.py` `big_flow`), and types: each round sends
one one-character change (a reference becomes undefined, then is fixed again) and times the
wall clock from writing the change to reading the `publishDiagnostics` of that version. It
does so with the default debounce (what a user waits) and with `--debounce 0` (the server's
own work and the pipe), then times a completion and a hover request just after a change,
and the compiler's front end alone on the same text in this process. With `--out`, the
figures replace the "Language server" section of that file (`bench/run.py` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
if not (ROOT / "flowc").is_dir():  # pragma: no cover - the bench lives in the checkout
    raise SystemExit("bench/lsp.py runs from a flowc checkout")
sys.path.append(str(ROOT))

import flowgen  # noqa: E402

BEGIN, END = "<!-- lsp:begin -->", "<!-- lsp:end -->"


class Client:
    """A minimal LSP client over a subprocess's pipes: requests, notifications, and the
    server's notifications read as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.notifications: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self.reader = asyncio.get_running_loop().create_task(self.read())

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = future
        self.send({"id": self.next_id, "method": method, "params": params})
        return await future

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    async def read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while (line := await stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(await stdout.readexactly(length))
            arrived = time.perf_counter()
            if "id" in message and "method" not in message:
                self.waiting.pop(message["id"]).set_result(message.get("result"))
            elif "method" in message and "id" not in message:
                await self.notifications.put((arrived, message))
            elif "method" in message:  # a request of the server's: answer it emptily
                self.send({"id": message["id"], "result": None})

    async def diagnostics(self, version: int) -> tuple[float, list[Any]]:
        """When the diagnostics of `version` arrived, and what they are."""
        while True:
            arrived, message = await self.notifications.get()
            params = message["params"]
            if message["method"] == "textDocument/publishDiagnostics" and params.get("version") == version:
                return arrived, params["diagnostics"]


async def session(debounce: int | None, text: str, rounds: int) -> dict[str, list[float]]:
    command = [sys.executable, "-m", "flowc", "lsp"] + (["--debounce", str(debounce)] if debounce is not None else [])
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=BENCH_DIR, env=environment
    )
    client = Client(process)
    uri = (BENCH_DIR / "flows" / "big.flow").as_uri()
    await client.request("initialize", {"processId": os.getpid(), "rootUri": BENCH_DIR.as_uri(), "capabilities": {}})
    client.notify("initialized", {})
    client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "flow", "version": 1, "text": text}}
    )
    await client.diagnostics(1)
    line_number, line = next((i, t) for i, t in enumerate(text.split("\n")) if t.strip().startswith("node c2 = "))
    column = line.index("x=c1") + 4  # just after `c1`
    times: dict[str, list[float]] = {"diagnostics": [], "completion": [], "hover": []}
    version = 1
    for round_ in range(rounds):
        version += 1
        typed = round_ % 2 == 0  # `c1` → `c1z` (undefined), then back
        where = {"line": line_number, "character": column}
        end = {"line": line_number, "character": column + (0 if typed else 1)}
        change = {"range": {"start": where, "end": end}, "text": "z" if typed else ""}
        sent = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        arrived, found = await client.diagnostics(version)
        times["diagnostics"].append(arrived - sent)
        assert (len(found) == 1) == typed, found
        await asyncio.sleep(0.05)
        if typed or round_ < rounds // 2:
            continue
        # A request just after a change (the same text again, as a new version): the
        # server reads the new version's outline before it answers.
        version += 1
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
        )
        position = {"textDocument": {"uri": uri}, "position": {"line": line_number, "character": column - 1}}
        sent = time.perf_counter()
        await client.request("textDocument/completion", position)
        times["completion"].append(time.perf_counter() - sent)
        sent = time.perf_counter()
        await client.request("textDocument/hover", position)
        times["hover"].append(time.perf_counter() - sent)
        await client.diagnostics(version)
    await client.request("shutdown", None)
    client.notify("exit", None)
    await process.wait()
    client.reader.cancel()
    return times


def front_end(text: str, rounds: int) -> list[float]:
    from flowc.lsp.document import check

    check(text, None, None, "big.flow")  # the parser is built at the first check of a process
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        check(text, None, None, "big.flow")
        times.append(time.perf_counter() - started)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def summary(times: list[float]) -> list[str]:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return [ms(statistics.median(times)), ms(p90), ms(ordered[0]), ms(ordered[-1])]


def report(nodes: int, rounds: int) -> str:
    from flowc.lsp import DEBOUNCE_MS

    text = flowgen.big_flow(nodes)
    load_before = os.getloadavg()[0]
    typing = asyncio.run(session(None, text, rounds))
    immediate = asyncio.run(session(0, text, rounds))
    checked = front_end(text, rounds)
    load_after = os.getloadavg()[0]
    rows = [
        (f"keystroke → diagnostics, default debounce ({DEBOUNCE_MS} ms)", typing["diagnostics"]),
        ("keystroke → diagnostics, `--debounce 0`", immediate["diagnostics"]),
        ("completion request just after a change", immediate["completion"] + typing["completion"]),
        ("hover request just after a change", immediate["hover"] + typing["hover"]),
        ("the compiler's check alone, in process (`flowc check`'s work)", checked),
    ]
    lines = [
        BEGIN,
        "## Language server: keystroke to diagnostics",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; CPython {platform.python_version()}; "
        f"{os.cpu_count()} logical cores.",
        f"- Command: `python bench/lsp.py --nodes {nodes} --rounds {rounds}`; the machine's load average "
        f"(1 min) {load_before:.1f} before, {load_after:.1f} after; niceness {os.nice(0)}.",
        f"- A generated flow of {nodes} nodes ({len(text):,} characters, {text.count(chr(10))} lines, "
        "`flowgen.py` `big_flow`) open in `flowc lsp`; each round one one-character change (a reference made "
        "undefined, then fixed), timed from writing the change to reading the diagnostics of that version "
        f"({rounds} rounds; requests: {len(typing['completion']) + len(immediate['completion'])}).",
        "",
        "| figure | median | p90 | min | max |",
        "|---|---|---|---|---|",
        *(f"| {name} | {' | '.join(summary(times))} |" for name, times in rows),
        "",
        END,
    ]
    return "\n".join(lines)


def write(out: Path, section: str, begin: str = BEGIN, end: str = END) -> None:
    """Replace the section between the markers in `out`, or add it at the end (also for
    `bench/executors.py`, with its own markers)."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + ("\n\n" if text.strip() else "") + section + "\n"
    out.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--nodes", type=int, default=200, help="the size of the flow (default: 200)")
    parser.add_argument("--rounds", type=int, default=30, help="changes timed per setting (default: 30)")
    parser.add_argument("--out", type=Path, help="write the section into this Markdown file (bench/RESULTS.md)")
    args = parser.parse_args(argv)
    section = report(args.nodes, args.rounds)
    print(section)
    if args.out is not None:
        write(args.out, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
