"""Steps of `retry_fallbacks.flow`: a primary provider and three backups, failing by payload.

Primary: a payload starting with `flaky` fails its first two attempts (then succeeds and its
count is forgotten); one starting with `down` always fails; any other succeeds at once.
Backups: A always fails on a `down` payload, B answers, C is too slow to answer in time.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

_attempts: dict[str, int] = {}


class ProviderError(Exception):
    """A provider failed to process the request."""


@dataclass(frozen=True)
class Outcome:
    payload: str
    status: str
    method: str
    result: str | None
    attempts: int = 1
    successful_backups: list[str] = field(default_factory=list)


def reset() -> None:
    """Forget the attempts counted so far."""
    _attempts.clear()


async def call_primary(payload: str) -> Outcome:
    """The primary processor."""
    attempt = _attempts[payload] = _attempts.get(payload, 0) + 1
    await asyncio.sleep(0.005)
    if payload.startswith("down") or (payload.startswith("flaky") and attempt <= 2):
        raise ProviderError(f"primary failed on {payload!r} (attempt {attempt})")
    del _attempts[payload]
    return Outcome(
        payload=payload, status="completed", method="primary", result=f"primary: {payload}", attempts=attempt
    )


async def call_backup(provider: str, payload: str) -> str:
    """One backup provider."""
    if provider == "BackupC":
        await asyncio.sleep(1.0)
    await asyncio.sleep(0.01)
    if provider == "BackupA" and payload.startswith("down"):
        raise ProviderError(f"{provider} failed on {payload!r}")
    return f"{provider}: {payload}"


async def backup_combiner(payload: str, candidates: Sequence[str | None]) -> Outcome:
    """Succeed with the first backup that answered, or report that all failed.

    `attempts` are the primary's, which this request has now given up on."""
    attempts = _attempts.pop(payload, 0)
    answered = [c for c in candidates if c is not None]
    if not answered:
        return Outcome(payload=payload, status="failed", method="all_failed", result=None, attempts=attempts)
    return Outcome(
        payload=payload,
        status="completed",
        method="backup",
        result=answered[0],
        attempts=attempts,
        successful_backups=[a.split(":")[0] for a in answered],
    )
