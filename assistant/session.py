"""Chat history for follow-up questions, cut to a token budget before each prompt.

A turn keeps the question and the answer without its markers: the passages a marker pointed at
belonged to that turn's prompt, and a follow-up gets passages of its own. History is plain
data owned by the caller (the UI keeps it in ``st.session_state``), never by the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.budget import Count, fit_recent
from assistant.citations import clean_markers
from assistant.generator import Message

HISTORY_TOKENS = 384  # earlier turns beyond this are dropped, oldest first


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str

    def messages(self) -> tuple[Message, Message]:
        return Message("user", self.question), Message("assistant", self.answer)


def turn_of(question: str, answer_text: str) -> Turn:
    """A turn for the history, markers stripped.

    >>> turn_of("什么是L2？", "L2 惩罚权重平方[1]。").answer
    'L2 惩罚权重平方。'
    """
    return Turn(question, clean_markers(answer_text, set())[0])


def history_messages(turns: list[Turn], budget: int, count: Count) -> list[Message]:
    """The most recent turns that fit in ``budget`` tokens, as chat messages, oldest first."""
    costs = [count(t.question) + count(t.answer) + 10 for t in turns]
    kept = fit_recent(costs, budget)
    recent = turns[len(turns) - kept:] if kept else []
    return [message for turn in recent for message in turn.messages()]
