"""Proof of correctness: generated code does what LANGUAGE.md says, for flows nobody wrote.

- `interp.py`: the reference interpreter of the resolved IR (the *complete run*: every node
  in topological order, each call to completion) and `expect.py`, what it expects of a run.
- `steplib.py`: the instrumented steps (scripted delays, failures and slowness, a trace of
  every call with its start and end, an observer that tells steps their attempt).
- `vloop.py`: an asyncio loop on a virtual clock: exact timing, no waiting.
- `flowgen.py`: the hypothesis strategy for random valid flows with typed steps.
- `checks.py`: what a run must satisfy against the expectation and its trace.
- `harness.py`: compile, import, run, check one example; `bare.py` and `batch.py`: the same
  in interpreters that have nothing installed (tests/test_pythons.py, test_standalone.py).
- `test_differential.py`, `test_regressions.py`, `regressions/*.json`: the tests.
- `stress.py`, `stress.flow`, `stress_steps.py`, `test_stress.py`: concurrent runs with
  random failures and every kind of caller cancellation, on Python 3.11, 3.12 and 3.13
  under `-X dev -W error`, checking the outcome of each run and the invariants of each
  round (no task left, limits and rates held, the right exception surfaced).

    python -m pytest tests/proof                 # 120 random flows, about a minute
    FLOWC_LONG=1 python -m pytest tests/proof    # 1,200 flows of up to 60 nodes (or --long)

The stress harness runs one round of 200 concurrent runs per interpreter by default, ten
rounds of 1,000 with `FLOWC_LONG=1` or `--long` (`-s` prints the counts).
"""
