"""The steps of `flows/executors.flow` (`bench/executors.py`): plain module-level functions,
so that a process pool or a Dask worker can unpickle them by reference and import this
module (the bench puts `bench/` on `sys.path` before any worker starts)."""

from __future__ import annotations


def churn(seed: int, rounds: int) -> int:
    """CPU-bound work in pure Python: `rounds` rounds of a 32-bit FNV-1a-style hash, about
    3 ms at the bench's default on the machine of bench/RESULTS.md."""
    value = 2166136261 ^ seed
    for i in range(rounds):
        value = ((value ^ (i & 0xFF)) * 16777619) & 0xFFFFFFFF
    return value


def nothing(seed: int, rounds: int) -> int:
    """No work at all: what a call costs on an executor, and nothing else."""
    return seed
