"""Steps of `conditional_routing.flow`: a content classifier and per-modality analyzers.

The analyzers are deterministic stand-ins: they derive their findings from the content string.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

POSITIVE = {"great", "good", "love", "excellent"}
NEGATIVE = {"bad", "poor", "hate", "broken"}


@dataclass(frozen=True)
class Classification:
    route: str
    label: str
    words: int


@dataclass(frozen=True)
class Analysis:
    type: str
    result: str | int | list[str]


@dataclass(frozen=True)
class FinalAnalysis:
    content_type: str
    lead: str
    analyses_performed: int
    results: dict[str, str | int | list[str]]


def classify(content: str, kind: str) -> Classification:
    """Route by the declared kind; anything unknown goes to the generic processor."""
    route = kind if kind in ("text", "image", "audio") else "generic"
    label = f"{route}_content" if route != "generic" else "unknown_content"
    return Classification(route=route, label=label, words=len(content.split()))


def _words(text: str) -> list[str]:
    return [w.strip(".,!?") for w in text.split()]


async def text_sentiment(text: str) -> Analysis:
    await asyncio.sleep(0.01)
    words = {w.lower() for w in _words(text)}
    score = len(words & POSITIVE) - len(words & NEGATIVE)
    return Analysis(type="sentiment", result="positive" if score > 0 else "negative" if score < 0 else "neutral")


async def text_entities(text: str) -> Analysis:
    await asyncio.sleep(0.015)
    return Analysis(type="entities", result=[w for w in _words(text)[1:] if w[:1].isupper()])


async def text_keywords(text: str) -> Analysis:
    await asyncio.sleep(0.005)
    return Analysis(type="keywords", result=sorted({w.lower() for w in _words(text) if len(w) >= 6}))


async def image_objects(image: str) -> Analysis:
    await asyncio.sleep(0.02)
    return Analysis(type="objects", result=["car", "tree", "person"])


async def image_faces(image: str) -> Analysis:
    await asyncio.sleep(0.01)
    return Analysis(type="faces", result=2)


async def image_text(image: str) -> Analysis:
    await asyncio.sleep(0.015)
    return Analysis(type="ocr", result="Street Sign")


async def audio_transcribe(audio: str) -> Analysis:
    await asyncio.sleep(0.02)
    return Analysis(type="transcript", result="Hello world")


async def audio_sentiment(audio: str) -> Analysis:
    await asyncio.sleep(0.01)
    return Analysis(type="audio_sentiment", result="neutral")


async def generic_processor(content: str) -> Analysis:
    await asyncio.sleep(0.005)
    return Analysis(type="generic", result="processed")


async def aggregate(classification: str, lead: Analysis | None, analyses: Sequence[Analysis | None]) -> FinalAnalysis:
    """Combine the analyses of whichever path was taken (the skipped ones are `None`)."""
    await asyncio.sleep(0.001)
    performed = [a for a in analyses if a is not None]
    return FinalAnalysis(
        content_type=classification,
        lead=lead.type if lead is not None else "none",
        analyses_performed=len(performed),
        results={a.type: a.result for a in performed},
    )
