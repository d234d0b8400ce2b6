"""Steps of `batch_chunks.flow`: chunking, a CPU-bound per-chunk transform, the aggregation.

`transform_chunk` is a plain (blocking) function, so the flow runs it with `thread`.
"""

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    chunk_id: int
    data: list[dict[str, int]]
    start_index: int
    end_index: int


@dataclass(frozen=True)
class ChunkPlan:
    chunks: list[Chunk]
    total_chunks: int
    chunk_size: int


@dataclass(frozen=True)
class ProcessedRecord:
    original_index: int
    id: int
    value: int
    processed: bool
    score: int
    category: str


@dataclass(frozen=True)
class BatchReport:
    processed_records: list[ProcessedRecord]
    total_processed: int
    total_chunks: int
    processing_complete: bool


def split_chunks(input_data: Sequence[Mapping[str, int]], chunk_size: int) -> ChunkPlan:
    """The data splitter: consecutive chunks of `chunk_size` records."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    count = math.ceil(len(input_data) / chunk_size)
    chunks = [
        Chunk(
            chunk_id=i,
            data=[dict(r) for r in input_data[i * chunk_size : (i + 1) * chunk_size]],
            start_index=i * chunk_size,
            end_index=min((i + 1) * chunk_size, len(input_data)),
        )
        for i in range(count)
    ]
    return ChunkPlan(chunks=chunks, total_chunks=count, chunk_size=chunk_size)


def calculate_score(record: Mapping[str, int]) -> int:
    return record["value"] * 3 + record["id"]


def classify(score: int) -> str:
    return "high" if score >= 100 else "medium" if score >= 50 else "low"


def transform_chunk(chunk: Chunk) -> list[ProcessedRecord]:
    """One chunk processor: score and classify every record (blocking work)."""
    time.sleep(0.002 * len(chunk.data))
    return [
        ProcessedRecord(
            original_index=chunk.start_index + offset,
            id=record["id"],
            value=record["value"],
            processed=True,
            score=calculate_score(record),
            category=classify(calculate_score(record)),
        )
        for offset, record in enumerate(chunk.data)
    ]


def aggregate_results(results: Sequence[Sequence[ProcessedRecord]], total_chunks: int) -> BatchReport:
    """The result aggregator: every record, sorted back into its original order."""
    records = sorted((r for chunk in results for r in chunk), key=lambda r: r.original_index)
    return BatchReport(
        processed_records=records,
        total_processed=len(records),
        total_chunks=total_chunks,
        processing_complete=len(results) == total_chunks,
    )
