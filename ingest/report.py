"""What one ``ingest_paths`` call did: per-file outcomes, counts, and the chunk ids that changed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: Status
    reason: str = ""  # why it was skipped
    doc_id: int | None = None
    chunks: int = 0  # chunks the document has now (removed: had)
    notice: str = ""  # what was left out of an ingested file (a giant line, an image, a cap)

    @property
    def line(self) -> str:
        if self.status is Status.SKIPPED:
            return f"SKIPPED {self.path}: {self.reason}"
        line = f"{self.status.value.upper()} {self.path} ({self.chunks} chunks)"
        return f"{line}; note: {self.notice}" if self.notice else line


@dataclass(frozen=True)
class IngestReport:
    outcomes: tuple[FileOutcome, ...]
    added_chunk_ids: tuple[int, ...]  # to embed
    removed_chunk_ids: tuple[int, ...]  # to drop from the index
    kept_chunks: int  # of rewritten documents, whose ids (and embeddings) stayed
    seconds: float
    embedded: int = 0  # passages the embedding model ran on in this call
    from_cache: int = 0  # passages whose vectors came from the embedding cache instead
    windows: int = 0  # of those vectors, windows of long passages (index.passage_windows)

    @property
    def noticed(self) -> tuple[FileOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.notice)

    def with_status(self, status: Status) -> tuple[FileOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.status is status)

    def count(self, status: Status) -> int:
        return len(self.with_status(status))

    @property
    def skipped(self) -> tuple[FileOutcome, ...]:
        return self.with_status(Status.SKIPPED)

    @property
    def changed(self) -> bool:
        return bool(self.added_chunk_ids or self.removed_chunk_ids)

    def summary(self) -> str:
        files = ", ".join(f"{self.count(status)} {status.value}" for status in Status)
        return (
            f"files: {files}; chunks: {len(self.added_chunk_ids)} added, "
            f"{len(self.removed_chunk_ids)} removed, {self.kept_chunks} kept "
            f"({self.seconds:.1f} s)"
        ) + (
            f"; vectors: {self.embedded} embedded, {self.from_cache} from the cache"
            if self.embedded or self.from_cache else ""
        ) + (f" ({self.windows} of them windows of long passages)" if self.windows else "")
