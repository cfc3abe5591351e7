"""Study history as plain data: practised items, answers, and their JSON form.

A practised item is one passage of the notes the student has been asked about, with the fsrs
card that schedules it. It keeps everything needed without the library (the last question asked,
source path, heading path, and the chunk's ``content_hash`` as its key), because chunk ids change
when a file is re-ingested and vanish when it is removed; ``chunk_id`` is only a link, re-made
by hash or location when it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.quiz_schema import KINDS, QuizItem
from assistant.retrieval import Citation
from assistant.scheduler import CardState, utc
from assistant.topics import Topic


def stamp(moment: datetime) -> str:
    """A UTC timestamp that sorts as text (fixed width, microseconds always written).

    >>> from datetime import UTC, datetime
    >>> stamp(datetime(2025, 3, 1, 9, tzinfo=UTC))
    '2025-03-01T09:00:00.000000+00:00'
    """
    return utc(moment).isoformat(timespec="microseconds")


EARLIEST_STAMP = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_STAMP = datetime(2200, 1, 1, tzinfo=UTC)


def parse_stamp(text: str) -> datetime:
    """The datetime of a stored timestamp; ``ValueError`` unless it has a time zone and falls
    in 1970-2199 (``0001-01-01T00:00+05:00`` cannot even be converted to UTC; year 9999 is no
    study date either).

    >>> parse_stamp("9999-01-01T00:00+00:00")
    Traceback (most recent call last):
    ValueError: timestamp '9999-01-01T00:00+00:00' is not between 1970 and 2199
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    try:
        moment = utc(moment)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST_STAMP <= moment < LATEST_STAMP:
        raise ValueError(f"timestamp {text!r} is not between 1970 and 2199")
    return moment


@dataclass(frozen=True)
class StudyItem:
    id: int
    item_key: str  # content_hash of the chunk when first practised: the same on every machine
    source: str
    heading_path: tuple[str, ...]
    chunk_id: int | None  # the chunk now holding the passage, None while it is not in the library
    topic: Topic
    question: str  # the last question asked
    item: QuizItem  # the last item asked (reused for review when no model can write a new one)
    created_at: datetime
    card: CardState

    @property
    def linked(self) -> bool:
        return self.chunk_id is not None


@dataclass(frozen=True)
class Answer:
    uid: str  # random, so merging two histories never counts an answer twice
    answered_at: datetime
    question: str
    item: QuizItem
    response: str
    verdict: str  # "correct", "partial" or "incorrect"
    missing: str
    rating: int  # the fsrs Rating the verdict became


@dataclass(frozen=True)
class ItemHistory:
    """One practised item with all its answers, independent of any library (export/import)."""

    item_key: str
    source: str
    heading_path: tuple[str, ...]
    topic: Topic
    question: str
    item: QuizItem
    created_at: datetime
    card: CardState
    answers: tuple[Answer, ...]  # oldest first


def item_from_json(data: dict) -> QuizItem:
    """The ``QuizItem`` that ``QuizItem.as_json`` wrote; ``ValueError`` naming a bad field."""
    if not isinstance(data, dict):
        raise ValueError("item is not an object")
    kind = _field(data, "kind", str)
    if kind not in KINDS:
        raise ValueError(f"item kind {kind!r} is not one of {', '.join(KINDS)}")
    options = _field(data, "options", list)
    if not all(isinstance(option, str) for option in options):
        raise ValueError("item options are not all text")
    answer_index = data.get("answer_index")
    if answer_index is not None and (
        not isinstance(answer_index, int) or not 0 <= answer_index < len(options)
    ):
        raise ValueError("item answer_index does not point at an option")
    cited = _field(data, "citation", dict)
    page = cited.get("page")
    if page is not None and not isinstance(page, int):
        raise ValueError("item citation page is not a number")
    citation = Citation(
        _field(cited, "number", int),
        _field(cited, "chunk_id", int),
        _field(cited, "source", str),
        _field(cited, "heading", str),
        _field(cited, "start_line", int),
        _field(cited, "end_line", int),
        page,
    )
    return QuizItem(
        kind,
        _field(data, "question", str),
        tuple(options),
        answer_index,
        _field(data, "answer", str),
        _field(data, "explanation", str),
        citation,
        _field(data, "passage", str),
        _field(data, "generated", bool),
    )


def _field(data: dict, name: str, kind: type):
    value = data.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"field '{name}' is missing or not {kind.__name__}")
    return value
