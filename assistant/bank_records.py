"""The question bank as plain data: passages it knows, items about to enter it, items in it.

A bank item belongs to a *passage* (a chunk's ``content_hash``), never to a chunk id: ids change
when a file is re-ingested, hashes change only when the words do. ``slot`` names the item's
place among the passage's items (``x:qa:0`` = the first extracted question card, ``m:mcq`` =
the model's MCQ); ``(passage_hash, slot)`` is unique, which makes every write idempotent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from assistant.quiz_schema import QuizItem
from assistant.scheduler import CardState

EXTRACTED = "extracted"


@dataclass(frozen=True)
class BankPassage:
    passage_hash: str
    source: str
    heading_path: tuple[str, ...]
    start_line: int
    end_line: int
    status: str  # active, changed (edited: see replaced_by), retired (gone from the notes)
    replaced_by: str | None
    model_state: str  # pending, done, skipped (the background worker's to-do list)
    priority: int


@dataclass(frozen=True)
class Draft:
    """An item on its way into the bank, with how it was made and why it was let in."""

    passage_hash: str
    slot: str
    item: QuizItem
    made_by: str  # "extracted:<rule>" or "model:<model name>"
    evidence: str = "{}"  # JSON: the verifier's checks and figures

    @property
    def item_key(self) -> str:
        return item_key_of(self.passage_hash, self.slot, self.item)


@dataclass(frozen=True)
class Rejection:
    """A model draft the verifier turned down."""

    passage_hash: str
    slot: str
    kind: str
    draft: str  # JSON as the model wrote it
    reasons: tuple[str, ...]
    made_by: str


@dataclass(frozen=True)
class BankItem:
    id: int
    item_key: str  # stable: also the Anki GUID, so a re-export updates the card
    passage_hash: str
    slot: str
    item: QuizItem
    source: str
    heading_path: tuple[str, ...]
    start_line: int
    end_line: int
    made_by: str
    evidence: str
    status: str  # active, set_aside (its passage was edited), retired, reported
    note_changed: bool  # its review history came from the passage's previous version
    card: CardState
    reps: int

    @property
    def extracted(self) -> bool:
        return self.made_by.startswith(EXTRACTED)


@dataclass(frozen=True)
class BankProgress:
    """What the bank holds and how far the background worker has come."""

    passages: int  # active passages
    passages_done: int  # of those, with their model items made (or skipped)
    extracted: int  # active extracted cards
    generated: int  # active model-made items
    rejected: int  # model drafts the verifier turned down
    reported: int  # items students reported as wrong

    @property
    def acceptance_rate(self) -> float | None:
        tried = self.generated + self.rejected
        return self.generated / tried if tried else None

    def line(self) -> str:
        """One line for the CLI and the Practice page.

        >>> BankProgress(152, 48, 310, 60, 20, 0).line()
        'question bank: 48 / 152 passages, 310 extracted cards, 60 model items (75% accepted)'
        """
        rate = self.acceptance_rate
        accepted = f" ({rate:.0%} accepted)" if rate is not None else ""
        return (f"question bank: {self.passages_done} / {self.passages} passages, "
                f"{self.extracted} extracted cards, {self.generated} model items{accepted}")


def item_key_of(passage_hash: str, slot: str, item: QuizItem) -> str:
    """A content hash of the item: the same item on the same passage always gets the same key."""
    content = json.dumps([passage_hash, slot, item.kind, item.question, list(item.options),
                          item.answer], ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]
