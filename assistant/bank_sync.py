"""Cards follow the notes: bring the bank in step with the library's current passages.

Run after every ingest (``QuestionBank.attach`` registers it with the library) and whenever the
bank is opened, so a library ingested by another process is never served stale. It is cheap:
extraction is plain Python over the new passages only.

* A passage new to the bank gets its extracted cards at once; its model items are queued.
* A passage whose words changed (same file, same heading path, new content hash) is *edited*:
  its items are set aside, the new passage's cards are made, and each new card inherits the
  fsrs card of the old item in the same slot (else the old passage's most practised one),
  marked "note changed". Model items are remade by the worker and inherit the same way.
* A passage gone from the notes retires its items; their cards and answers stay for progress.
* A passage that comes back (an edit undone, a file restored) is active again with its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.bank_extract import extract_cards, opens_with_explanation, section_texts
from assistant.bank_mcq import SLOT_PREFIX, definition_mcqs, is_definition
from assistant.bank_records import BankItem, BankPassage, Draft
from assistant.bank_store import BankStore
from assistant.scheduler import CardState
from ground.records import Chunk


@dataclass(frozen=True)
class SyncReport:
    added: int  # passages new to the bank
    edited: int
    retired: int
    restored: int
    cards: int  # extracted cards added

    def line(self) -> str:
        """
        >>> SyncReport(150, 1, 2, 0, 376).line()
        'question bank: 376 cards extracted from 150 new passages (1 edited, 2 retired)'
        """
        extra = [f"{n} {what}" for n, what in ((self.edited, "edited"), (self.retired, "retired"),
                                                (self.restored, "restored")) if n]
        tail = f" ({', '.join(extra)})" if extra else ""
        return (f"question bank: {self.cards} cards extracted from {self.added} new passages"
                f"{tail}")


def sync_bank(bank: BankStore, chunks: list[Chunk], now: datetime) -> SyncReport:
    current: dict[str, Chunk] = {}
    for chunk in chunks:
        current.setdefault(chunk.content_hash, chunk)
    known = bank.passages()
    new_hashes = [h for h in current if h not in known]
    by_place = {(current[h].source, current[h].heading_path): h for h in new_hashes}
    edited = retired = restored = cards = 0
    replaced: dict[str, BankPassage] = {}  # new hash -> the edited passage it replaces
    for passage in known.values():
        if passage.status == "active" and passage.passage_hash not in current:
            successor = by_place.get((passage.source, passage.heading_path))
            bank.mark_changed(passage.passage_hash, successor, now)
            if successor is not None:
                replaced[successor] = passage
                edited += 1
            else:
                retired += 1
        elif passage.status != "active" and passage.passage_hash in current:
            bank.reactivate(passage.passage_hash, now)
            restored += 1
    continued = continued_passages(chunks)
    sections = section_texts(chunks)
    for passage_hash in new_hashes:
        chunk = current[passage_hash]
        old = replaced.get(passage_hash)
        carried = _carried_cards(bank, old) if old is not None else None
        drafts = extract_cards(chunk, passage_hash in continued, sections[passage_hash])
        if carried is not None:
            carried = _spread(carried, [d.slot for d in drafts])
        cards += bank.add_passage(_passage_of(chunk), drafts, now, carried)
    if new_hashes:
        cards += _add_definition_mcqs(bank, current, now)
    return SyncReport(len(new_hashes), edited, retired, restored, cards)


def _add_definition_mcqs(bank: BankStore, current: dict[str, Chunk], now: datetime) -> int:
    """A definition MCQ for every active definition cloze that has none yet."""
    active = bank.items("active")
    have = {(item.passage_hash, item.slot.rsplit(":", 1)[-1]) for item in active
            if item.slot.startswith(SLOT_PREFIX)}
    definitions = [item for item in active if is_definition(item.item, item.made_by)]
    pool = [(item.item.answer, item.item.explanation) for item in definitions]
    wanted = [Draft(item.passage_hash, item.slot, item.item, item.made_by)
              for item in definitions
              if (item.passage_hash, item.slot.rsplit(":", 1)[-1]) not in have]
    texts = {h: chunk.text for h, chunk in current.items()}
    passages = bank.passages()
    added = 0
    for draft in definition_mcqs(wanted, pool, texts):
        added += bank.add_passage(passages[draft.passage_hash], [draft], now)
    return added


def reextract(bank: BankStore, chunks: list[Chunk], now: datetime) -> tuple[int, int]:
    """Every active passage's extracted cards made again by the current rules (after an
    upgrade of the extraction), fsrs cards kept where a card's slot stays. Returns
    (cards added or changed, cards retired)."""
    current = {chunk.content_hash: chunk for chunk in chunks}
    continued = continued_passages(chunks)
    sections = section_texts(chunks)
    changed = retired = 0
    for passage in bank.passages().values():
        chunk = current.get(passage.passage_hash)
        if passage.status != "active" or chunk is None:
            continue
        drafts = extract_cards(chunk, passage.passage_hash in continued,
                               sections[passage.passage_hash])
        done = bank.replace_extracted(passage, drafts, now, keep=(SLOT_PREFIX,))
        changed, retired = changed + done[0], retired + done[1]
    for item in bank.items("active"):  # definition MCQs whose definition card is gone
        if item.slot.startswith(SLOT_PREFIX):
            number = item.slot.rsplit(":", 1)[-1]
            source = bank.items("active", [item.passage_hash])
            if not any(i.slot == f"x:def:{number}" for i in source):
                retired += bank.retire_items([item.item_key])
    changed += _add_definition_mcqs(bank, current, now)
    return changed, retired


def continued_passages(chunks: list[Chunk]) -> set[str]:
    """Hashes of the passages whose section goes on in the next passage of their document: the
    same section split in two (unless the next part opens with the "解析：" after the answer),
    or its subsections.

    >>> from ground.records import Chunk
    >>> def c(i, path): return Chunk(i, 1, "f", "T", path, i, i, i, i + 1, "x", f"h{i}")
    >>> sorted(continued_passages([c(0, ("T", "a")), c(1, ("T", "a")), c(2, ("T", "a", "b")),
    ...                            c(3, ("T", "c"))]))
    ['h0', 'h1']
    """
    ordered = sorted(chunks, key=lambda chunk: (chunk.doc_id, chunk.start_char))
    return {chunk.content_hash for chunk, after in zip(ordered, ordered[1:], strict=False)
            if after.doc_id == chunk.doc_id and len(chunk.heading_path) > 1
            and after.heading_path[: len(chunk.heading_path)] == chunk.heading_path
            and not opens_with_explanation(after.text)}


def _passage_of(chunk: Chunk) -> BankPassage:
    return BankPassage(chunk.content_hash, chunk.source, chunk.heading_path, chunk.start_line,
                       chunk.end_line, "active", None, "pending", 0)


def _carried_cards(bank: BankStore, old: BankPassage) -> dict[str, CardState]:
    """Cards of the edited passage's practised items, by slot; ``""`` holds the most practised
    (for new slots the old passage did not have)."""
    practised: list[BankItem] = [item for item in bank.items("set_aside", [old.passage_hash])
                                 if item.reps > 0]
    cards = {item.slot: item.card for item in practised}
    if practised:
        cards[""] = max(practised, key=lambda item: item.reps).card
    return cards


def _spread(cards: dict[str, CardState], slots: list[str]) -> dict[str, CardState]:
    """Every new slot gets its own old card, else the passage's most practised one."""
    fallback = cards.get("")
    return {slot: cards.get(slot, fallback) for slot in slots
            if cards.get(slot, fallback) is not None}
