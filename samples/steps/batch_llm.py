"""Steps of `batch_llm.flow`: a deterministic stand-in for a chat API that refuses bursts.

The fake provider accepts at most `MAX_CONCURRENT` requests at once and answers any request
beyond that with `RateLimitError`, as a real API answers 429; the flow's pool keeps under it,
so `refused` stays 0 (the flow's retry would hide a refusal from the result, not from here).
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

MAX_CONCURRENT = 4

ANSWERS = {
    "capital of france": "Paris.",
    "largest planet": "Jupiter.",
    "boiling point of water": "100 °C at sea level.",
    "author of hamlet": "William Shakespeare.",
    "speed of light": "About 299,792 km/s.",
    "smallest prime": "2.",
}

in_flight = 0
peak_in_flight = 0
refused = 0


class RateLimitError(Exception):
    """The provider refused the request: too many requests in flight."""


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class Completion:
    model: str
    content: str


def reset() -> None:
    """Forget the concurrency and refusals seen so far."""
    global in_flight, peak_in_flight, refused
    in_flight = 0
    peak_in_flight = 0
    refused = 0


def build_prompt(system: str, user: str) -> list[Message]:
    """hush's PromptNode: the system instruction and the query."""
    return [Message(role="system", content=system), Message(role="user", content=user)]


async def chat(messages: Sequence[Message], model: str) -> Completion:
    """hush's LLMNode: one completion, answered from a small fixed table."""
    global in_flight, peak_in_flight, refused
    if in_flight >= MAX_CONCURRENT:
        refused += 1
        raise RateLimitError(f"429: more than {MAX_CONCURRENT} concurrent requests")
    in_flight += 1
    peak_in_flight = max(peak_in_flight, in_flight)
    try:
        await asyncio.sleep(0.02 if model == "gpt-4o" else 0.01)
        question = " ".join(m.content for m in messages if m.role == "user").lower()
        answer = next((a for key, a in ANSWERS.items() if key in question), "I don't know.")
        return Completion(model=model, content=answer)
    finally:
        in_flight -= 1
