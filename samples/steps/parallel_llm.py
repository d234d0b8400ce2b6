"""Steps of `parallel_llm.flow`: prompt building and a deterministic stand-in for an LLM API.

`complete` answers from the prompt alone: a keyword prompt gets the long words of the text, any
other prompt gets its first sentence. The larger model is slower, as it would be for real.
"""

import asyncio
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LATENCY = {"gpt-4o": 0.03, "gpt-4o-mini": 0.01}


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class Completion:
    model: str
    content: str
    tokens: int


@dataclass(frozen=True)
class Analysis:
    summary: str
    keywords: list[str]


def prompt(prompt: Mapping[str, str], text: str) -> list[Message]:
    """hush's PromptNode: a system message and the user template filled with the text."""
    return [
        Message(role="system", content=prompt["system"]),
        Message(role="user", content=prompt["user"].format(text=text)),
    ]


async def complete(messages: Sequence[Message], model: str, temperature: float = 0.0) -> Completion:
    """hush's LLMNode: one chat completion (`temperature` is accepted and, here, ignored)."""
    if model not in LATENCY:
        raise LookupError(f"unknown model {model!r}")
    await asyncio.sleep(LATENCY[model])
    system = " ".join(m.content for m in messages if m.role == "system")
    user = " ".join(m.content for m in messages if m.role == "user")
    if "keywords" in system.lower():
        words = [w.strip(string.punctuation).lower() for w in user.split()]
        content = ", ".join(list(dict.fromkeys(w for w in words if len(w) >= 8))[:5])
    else:
        content = user.split(". ")[0].rstrip(".") + "."
    tokens = sum(len(m.content.split()) for m in messages) + len(content.split())
    return Completion(model=model, content=content, tokens=tokens)


async def merge(summary: str, keywords: str) -> Analysis:
    """The merge node: the summary and the keyword list."""
    await asyncio.sleep(0.001)
    return Analysis(summary=summary, keywords=[k for k in keywords.split(", ") if k])
