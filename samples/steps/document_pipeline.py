"""Steps of `document_pipeline.flow`: fetch a batch of documents, parse each one (the heavy
step, sent to executor `cpu`), index them.

The steps an executor runs (`extract`, `build_index`) are plain module-level functions whose
arguments and results are frozen dataclasses, lists and strings: a process pool or a Dask
worker unpickles them by reference, importing this module (so `samples/` must be on the
workers' import path). They never read module state and are deterministic across processes
(no `hash()` of strings, whose seed differs per process).
"""

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CORPUS = {
    "intro.txt": "A flow names its steps and the order they run in; steps run in parallel when the graph allows.",
    "limits.txt": "A map runs one call per element; its limit bounds the calls in flight, whatever the executor.",
    "pools.txt": "A pool limits the calls of many flows at once; a pool's limit counts the calls in flight.",
    "timeouts.txt": "A timeout stops the wait for a call; the fallback gives the node its value when a call fails.",
    "workers.txt": "An executor runs the calls on its workers: processes of this machine, or a cluster's.",
}
STOPWORDS = frozenset("a an and at gives in is it its of on one or per the their they this to when whatever".split())


@dataclass(frozen=True)
class Document:
    name: str
    text: str


@dataclass(frozen=True)
class Extract:
    """What parsing one document gives."""

    name: str
    words: int
    top_terms: list[str]
    terms: list[str]
    fingerprint: str


@dataclass(frozen=True)
class Index:
    """Each term, with the documents it occurs in (sorted)."""

    terms: dict[str, list[str]]
    complete: bool


@dataclass(frozen=True)
class Catalog:
    documents: int
    parsed: int
    skipped: list[str]
    words: int
    top_terms: dict[str, list[str]]
    fingerprints: dict[str, str]
    shared_terms: list[str]
    complete_index: bool


async def fetch_documents(names: Sequence[str]) -> list[Document]:
    """The batch, in the order asked for; a name that is not in the store has no text."""
    await asyncio.sleep(0.005)
    return [Document(name=name, text=CORPUS.get(name, "")) for name in names]


def _words(text: str) -> list[str]:
    return ["".join(c for c in word if c.isalnum()).lower() for word in text.split()]


def _fingerprint(words: Sequence[str], passes: int) -> str:
    """A 32-bit FNV-1a hash of the words, `passes` times over: the CPU-heavy part of parsing
    (a few milliseconds of pure Python, which holds the GIL)."""
    value = 2166136261
    for _ in range(passes):
        for word in words:
            for char in word:
                value = ((value ^ ord(char)) * 16777619) & 0xFFFFFFFF
    return f"{value:08x}"


def extract(document: Document, top: int) -> Extract:
    """Parse one document: its words, its `top` most frequent terms (ties alphabetical), its
    distinct terms and a fingerprint. Raises `ValueError` for a document without text."""
    if not document.text.strip():
        raise ValueError(f"{document.name}: no text")
    words = [w for w in _words(document.text) if w]
    counts = Counter(w for w in words if w not in STOPWORDS)
    ranked = sorted(counts, key=lambda term: (-counts[term], term))
    return Extract(
        name=document.name,
        words=len(words),
        top_terms=ranked[:top],
        terms=sorted(counts),
        fingerprint=_fingerprint(words, 400),
    )


def build_index(extracts: Sequence[Extract | None]) -> Index:
    """The inverted index of every parsed document."""
    return _index(extracts, lambda found: found.terms, complete=True)


def skim_index(extracts: Sequence[Extract | None]) -> Index:
    """The fallback: an index of the top terms alone, cheap enough to make anywhere."""
    return _index(extracts, lambda found: found.top_terms, complete=False)


def _index(extracts: Sequence[Extract | None], terms_of: Callable[[Extract], list[str]], complete: bool) -> Index:
    terms: dict[str, list[str]] = {}
    for found in extracts:
        if found is not None:
            for term in terms_of(found):
                terms.setdefault(term, []).append(found.name)
    return Index(terms={term: sorted(names) for term, names in sorted(terms.items())}, complete=complete)


def catalog(documents: Sequence[Document], extracts: Sequence[Extract | None], index: Index) -> Catalog:
    """The batch's summary: what was parsed, what was skipped, the terms two documents or more share."""
    parsed = [found for found in extracts if found is not None]
    return Catalog(
        documents=len(documents),
        parsed=len(parsed),
        skipped=[doc.name for doc, found in zip(documents, extracts) if found is None],
        words=sum(found.words for found in parsed),
        top_terms={found.name: found.top_terms for found in parsed},
        fingerprints={found.name: found.fingerprint for found in parsed},
        shared_terms=[term for term, names in index.terms.items() if len(names) >= 2],
        complete_index=index.complete,
    )
