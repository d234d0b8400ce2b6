#!/usr/bin/env python
"""Where the time goes: `python bench/hotspots.py fanout|diamond|chain|map_sleep [--calls N]`.

Compiles the bench flow, then runs the generated flow and its one-task-per-node baseline
(for `map_sleep`: the worker-task baseline) N times each under cProfile, inside one event
loop, and prints the functions that took the most time of their own. The README's
explanations of missed targets quote this output.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import baselines  # noqa: E402
import run as harness  # noqa: E402
import steps  # noqa: E402

ITEMS = list(range(2000))

CASES: dict[str, tuple[str, str, Callable[[], Any], Callable[[Any], Awaitable[Any]]]] = {
    # name: (module, flow, argument, baseline)
    "diamond": ("diamond", "diamond", lambda: 1, baselines.diamond_tasks),
    "fanout": ("fanout", "fanout", lambda: 1, baselines.fanout_tasks),
    "chain": ("chain", "chain", lambda: 1, baselines.chain_gather),
    "map_sleep": ("maps", "map_sleep", lambda: ITEMS, lambda items: baselines.map_workers(steps.item_5ms, items, 50)),
}


def profile(label: str, fn: Callable[[], Awaitable[Any]], calls: int, top: int) -> None:
    async def repeat() -> None:
        await fn()  # warm-up
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            await fn()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(top)
        print(f"### {label}: {calls} calls, {stats.total_tt / calls * 1e6:.1f} µs a call under the profiler\n")  # type: ignore[attr-defined]
        body = out.getvalue()
        print(body[body.index("   ncalls") :].rstrip() if "   ncalls" in body else body)
        print()

    asyncio.run(repeat())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--calls", type=int, default=0, help="calls per variant (default: 300, map_sleep 5)")
    parser.add_argument("--top", type=int, default=14, help="functions listed per variant")
    args = parser.parse_args()
    module, flow, argument, baseline = CASES[args.case]
    calls = args.calls or (5 if args.case == "map_sleep" else 300)
    compiler, status = harness.load_compiler()
    if compiler is None:
        print(f"no compiler: {status}", file=sys.stderr)
        return 1
    print(f"Python {sys.version.split()[0]}\n")
    with tempfile.TemporaryDirectory(prefix="flowprof-") as tmp:
        generated = harness.Generated(compiler, Path(tmp))
        gen, why = generated.flow(module, flow)
        if gen is None:
            print(f"generated `{flow}` not available: {why}", file=sys.stderr)
            return 1
        profile(f"generated `{flow}`", lambda: gen(argument()), calls, args.top)
        profile(
            f"baseline `{getattr(baseline, '__name__', 'baseline')}`", lambda: baseline(argument()), calls, args.top
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
