"""The chat as state the student owns: exchanges, and the reply being written, per session.

A reply is written by a worker thread into a ``PendingReply`` held in ``st.session_state``,
never by the page script. So a rerun — a click on Stop, a switch of mode, a visit to another
page — cannot cut it off: the page only draws what the reply holds so far and, once the worker
is done, the finished exchange. Stop asks the worker to end at the next token; the question
and the partial answer stay, marked stopped. No ``st.*`` call happens in the worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.compare import Comparison
from assistant.explain import Answer, Explanation, search_query
from assistant.facade import Assistant
from assistant.retrieval import Passage
from assistant.session import Turn, turn_of
from ground.records import Hit


@dataclass(frozen=True)
class Exchange:
    """A question and its finished reply."""

    question: str
    reply: Answer | Comparison | None  # None: failed (``error`` says why)
    passages: Sequence[Passage] = ()  # what the reply's markers point at
    more: Sequence[Hit] = ()  # further passages retrieved (top-k), not given to the model
    stopped: bool = False
    error: str = ""


@dataclass
class PendingReply:
    """A reply in progress: the worker appends, the page reads."""

    question: str
    mode: str  # "explain" or "compare"
    passages: list[Passage] = field(default_factory=list)
    more: list[Hit] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    phase: str = "retrieving"  # retrieving, queued, prompt, generating, checking, done
    stop_requested: threading.Event = field(default_factory=threading.Event)
    explanation: Explanation | None = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def stop(self) -> None:
        self.stop_requested.set()
        if self.explanation is not None:
            self.explanation.cancel()


@dataclass
class Conversation:
    exchanges: list[Exchange] = field(default_factory=list)
    pending: PendingReply | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def busy(self) -> bool:
        return self.pending is not None

    def history(self) -> list[Turn]:
        return [turn_of(e.question, e.reply.text) for e in self.exchanges
                if isinstance(e.reply, Answer) and e.reply.text.strip()]

    def clear(self) -> None:
        with self.lock:
            if self.pending is not None:
                self.pending.stop()
            self.pending = None
            self.exchanges = []

    def ask(self, assistant: Assistant, question: str, top_k: int) -> PendingReply:
        """Explain ``question`` in a worker thread; returns the reply being written."""
        pending = PendingReply(question, "explain")
        history = self.history()
        return self._start(pending, lambda: _explain(assistant, pending, question, history,
                                                     top_k))

    def compare(self, assistant: Assistant, question: str, concepts: list[str]) -> PendingReply:
        pending = PendingReply(question, "compare")
        return self._start(pending, lambda: _compare(assistant, pending, question, concepts))

    def _start(self, pending: PendingReply, work: Callable[[], Exchange]) -> PendingReply:
        with self.lock:
            self.pending = pending

        def run() -> None:
            try:
                exchange = work()
            except Exception as error:  # shown to the student as one line, the question kept
                exchange = Exchange(pending.question, None, tuple(pending.passages),
                                    tuple(pending.more), pending.stop_requested.is_set(),
                                    error=" ".join(str(error).split())[:300] or
                                    type(error).__name__)
            with self.lock:
                if self.pending is pending:  # not cleared by New chat meanwhile
                    self.exchanges.append(exchange)
                    self.pending = None
            pending.phase = "done"

        threading.Thread(target=run, name="study-reply", daemon=True).start()
        return pending


def _explain(assistant: Assistant, pending: PendingReply, question: str,
             history: list[Turn], top_k: int) -> Exchange:
    explanation = assistant.explain(question, history)
    pending.explanation = explanation
    if pending.stop_requested.is_set():
        explanation.cancel()
    pending.passages = list(explanation.passages)
    pending.more = more_passages(assistant, search_query(question, history),
                                 explanation.passages, top_k)
    pending.phase = "queued" if explanation.will_generate else "generating"
    for piece in explanation.stream():
        pending.pieces.append(piece)
        pending.phase = explanation.phase
    pending.phase = "checking"  # each sentence against its passage (a translation, maybe: 1-5 s)
    answer = explanation.finish()
    return Exchange(question, answer, tuple(explanation.passages), tuple(pending.more),
                    pending.stop_requested.is_set())


def more_passages(assistant: Assistant, query: str, given: Sequence[Passage],
                  top_k: int) -> list[Hit]:
    """The passages the search ranked within ``top_k`` beyond those the model was given."""
    if top_k <= len(given):
        return []
    shown = {p.hit.chunk.id for p in given}
    hits = assistant.library.search(query, k=top_k, mode=assistant.settings.search_mode)
    return [h for h in hits if h.chunk.id not in shown][:top_k - len(given)]


def _compare(assistant: Assistant, pending: PendingReply, question: str,
             concepts: list[str]) -> Exchange:
    pending.phase = "generating"
    comparison = assistant.compare(concepts, pending.stop_requested)
    return Exchange(question, comparison, tuple(comparison.passages), (),
                    pending.stop_requested.is_set())
