"""Steps of `tunable_llm.flow`: a deterministic stand-in for a summarising model.

`summarize` keeps the first sentence of a text; a text that mentions "busy" is refused once
with `ProviderError` (a retry gets it through). It records the peak of calls in flight, which
the flow's `concurrency` argument bounds. `configure_from` shows how a service applies its
settings to the module's pool at start-up.
"""

import asyncio
from dataclasses import dataclass
from types import ModuleType

in_flight = 0
peak_in_flight = 0
refused: set[str] = set()


class ProviderError(Exception):
    """The provider refused the request for now."""


@dataclass(frozen=True)
class Digest:
    summaries: list[str]
    words: int


def reset() -> None:
    """Forget the concurrency and refusals seen so far."""
    global in_flight, peak_in_flight
    in_flight = 0
    peak_in_flight = 0
    refused.clear()


async def summarize(text: str) -> str:
    """The text's first sentence; refused once for a text that mentions "busy"."""
    global in_flight, peak_in_flight
    in_flight += 1
    peak_in_flight = max(peak_in_flight, in_flight)
    try:
        await asyncio.sleep(0.01)
        if "busy" in text and text not in refused:
            refused.add(text)
            raise ProviderError("503: try again")
        return text.split(". ")[0].rstrip(".") + "."
    finally:
        in_flight -= 1


def merge(parts: list[str]) -> Digest:
    return Digest(summaries=parts, words=sum(len(part.split()) for part in parts))


def configure_from(module: ModuleType, settings: dict[str, int]) -> None:
    """Apply a service's settings to the provider's pool of the generated module, e.g.
    `configure_from(tunable_llm, {"provider_limit": 8, "provider_rate": 100})`."""
    module.configure_pool("provider", limit=settings["provider_limit"], rate=settings["provider_rate"])
