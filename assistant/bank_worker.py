"""The background worker: model-made items for every passage, verified, while the model is idle.

    worker = BankWorker(library, generator)
    worker.fill_one()                        # one passage's slots; False when none is pending
    threading.Thread(target=worker.run, args=(stop,), daemon=True).start()   # in the app

Per passage it fills the slots ``MODEL_SLOTS`` (an MCQ and a true/false statement; the verifier
still handles short answers, which the model no longer writes, see below): each slot is written
by the model (``quiz.item_on_chunk``), checked by ``bank_verify``
and stored as an item or a rejection in one transaction (``BankStore.add_outcome``). Passages
the student asked about come first (``BankStore.prioritize``). The worker waits until no
interactive completion has run for ``IDLE_SECONDS`` and gives the model back the moment one is
wanted (``model_demand``): the slot it was on is dropped unrecorded and made again later. A
kill at any moment therefore loses at most the slot in progress, never a stored one, and
restarting redoes exactly the slots without an outcome -- nothing is lost or doubled.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.bank_records import BankPassage, Draft, Rejection
from assistant.bank_store import BankStore
from assistant.bank_verify import verify
from assistant.generator import Generator
from assistant.model_demand import DEMAND, ModelDemand, yielding_event
from assistant.prompts import compact
from assistant.quiz import MIN_SECTION_CHARS, QuizLog, item_on_chunk

MODEL_SLOTS = ("m:mcq", "m:truefalse")
"""Short answers are not made by the model: in the audit (benchmarks/results/quiz_audit.md)
three of four the verifier let through had a reference that the passage states but that does
not answer the question ("the main benefit" -> a secondary one). Free recall comes from the
notes' own questions (flashcards) instead."""
FAMILIES = {"mcq": "choice", "truefalse": "statement", "short": "free", "flashcard": "free",
            "cloze": "blank"}
"""A new item must not repeat a banked one of its family: an MCQ may ask what a flashcard
asks (another way to practise it), a short answer may not (it *is* the flashcard)."""
IDLE_SECONDS = 3.0  # quiet time after an interactive completion before the worker resumes
POLL_SECONDS = 1.0
NOTHING_TO_DO_SECONDS = 10.0


@dataclass(frozen=True)
class SlotOutcome:
    slot: str
    draft: Draft | None
    rejection: Rejection | None


class BankWorker:
    def __init__(self, library, generator: Generator, store: BankStore | None = None,
                 slots: Sequence[str] = MODEL_SLOTS, embedder=None,
                 demand: ModelDemand = DEMAND,
                 on_slot: Callable[[BankPassage, str], None] | None = None):
        self.library = library
        self.generator = generator
        self.store = store or BankStore.open(library.settings.home)
        self.slots = tuple(slots)
        self.embedder = embedder
        self.demand = demand
        self.on_slot = on_slot  # called as each slot starts (progress, tests)
        self.made_by = "model:" + model_name(generator)
        self.last_error = ""  # what stopped the last fill, shown by the UI

    def retire_outdated(self) -> int:
        """Retire model items this worker would no longer make: slots it does not fill, and
        passages with no prose to ask about (a code cell). Their history is kept."""
        passages = self.store.passages()
        retired = []
        for item in self.store.items("active"):
            if item.extracted:
                continue
            chunk = self._chunk(item.passage_hash) if item.passage_hash in passages else None
            if item.slot not in self.slots or (
                    chunk is not None and len(prose_of(chunk.text)) < MIN_SECTION_CHARS):
                retired.append(item.item_key)
        return self.store.retire_items(retired)

    def fill_one(self, cancel: threading.Event | None = None) -> bool:
        """Fill the most wanted pending passage's open slots; False when nothing is pending.
        Returns True early, leaving the passage pending, when ``cancel`` is set."""
        passage = self.store.next_pending()
        if passage is None:
            return False
        chunk = self._chunk(passage.passage_hash)
        now = datetime.now(UTC)
        if chunk is None or len(prose_of(chunk.text)) < MIN_SECTION_CHARS:
            self.store.skip_model(passage.passage_hash, now)  # too little to ask about
            return True
        done = self.store.done_slots(passage.passage_hash)
        if set(self.slots) <= done:  # filled before, under a policy with more slots
            self.store.mark_done(passage.passage_hash, now)
            return True
        for slot in self.slots:
            if slot in done:
                continue
            if self.on_slot is not None:
                self.on_slot(passage, slot)
            slot_cancel = cancel or yielding_event(self.demand)
            outcome = self.make(passage, chunk, slot, slot_cancel)
            if outcome is None:  # interrupted: nothing recorded, the slot is made again later
                return True
            self.store.add_outcome(passage, slot, outcome.draft, outcome.rejection,
                                   datetime.now(UTC), self.slots)
        return True

    def make(self, passage: BankPassage, chunk, slot: str,
             cancel: threading.Event) -> SlotOutcome | None:
        """One slot's item or rejection; None if the work was cancelled part-way."""
        kind = slot.split(":", 1)[1]
        banked = [item.item for item in self.store.items("active", [passage.passage_hash])
                  if FAMILIES.get(item.item.kind) == FAMILIES[kind]]
        log = QuizLog()
        item = item_on_chunk(None, self.generator, chunk, kind, 0,
                             earlier=[i.question for i in banked], log=log, cancel=cancel,
                             checked=False)
        if cancel.is_set():
            return None
        if item is None:
            reasons = tuple(log.reasons) or ("the model wrote no valid item",)
            return SlotOutcome(slot, None, Rejection(passage.passage_hash, slot, kind, "{}",
                                                     reasons, self.made_by))
        verdict = verify(item, item.passage, self.generator, banked, self.embedder, cancel)
        if cancel.is_set():
            return None
        if verdict.accepted:
            return SlotOutcome(slot, Draft(passage.passage_hash, slot, item, self.made_by,
                                           verdict.evidence_json()), None)
        draft = json.dumps(item.as_json(), ensure_ascii=False)
        return SlotOutcome(slot, None, Rejection(passage.passage_hash, slot, kind, draft,
                                                 verdict.reasons, self.made_by))

    def run(self, stop: threading.Event, idle_seconds: float = IDLE_SECONDS) -> None:
        """Fill the bank until ``stop``: only while not paused and the model is idle."""
        self.retire_outdated()
        while not stop.is_set():
            if (self.store.paused() or self.demand.busy()
                    or self.demand.idle_for() < idle_seconds):
                stop.wait(POLL_SECONDS)
                continue
            try:
                more = self.fill_one()
            except Exception as error:  # the thread's edge: a failure must not end the worker
                self.last_error = f"{type(error).__name__}: {error}"
                more = False
            if not more:
                stop.wait(NOTHING_TO_DO_SECONDS)

    def _chunk(self, passage_hash: str):
        place = self.store.chunk_places([passage_hash]).get(passage_hash)
        if place is None:
            return None
        found = self.library.store.chunks_by_id([place[0]])
        return found[0] if found else None


def prose_of(text: str) -> str:
    """A passage's text without fenced code and display formulas: a code cell alone (a
    notebook's setup cell, say) has nothing a question should be asked about."""
    without_code = re.sub(r"(?ms)^\s*(```|~~~).*?^\s*\1[^\n]*$", "", text)
    without_code = re.sub(r"(?s)\$\$.*?\$\$", "", without_code)
    return compact(without_code)


def model_name(generator: Generator) -> str:
    """The model file's name (``qwen2.5-coder-1.5b-instruct-q4_k_m``) or the backend's."""
    path = getattr(getattr(generator, "config", None), "path", None)
    if path:
        return Path(str(path)).stem
    return str(getattr(generator, "label", "") or type(generator).__name__)
