"""Study history as a JSON file, to move it to another machine without loss.

The file holds every practised item with its fsrs card and all its answers, but no chunk ids
(they mean nothing in another library): items are matched by ``item_key`` (the passage's
content hash) and re-linked on arrival. Writing goes through a temporary file and
``os.replace``, so a crash leaves the old file or the new one. Reading checks everything first
and fails with one line naming the file and the first problem, so an import never starts on a
bad file.

Layout (``FORMAT_VERSION`` 1)::

    {"format": "study-history", "version": 1, "exported_at": "...",
     "items": [{"item_key", "source", "heading_path": [...], "topic": {"key", "label"},
                "question", "item": {QuizItem}, "created_at",
                "card": {"state", "step", "stability", "difficulty", "due", "last_review"},
                "answers": [{"uid", "answered_at", "question", "item", "response",
                             "verdict", "missing", "rating"}]}]}
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from assistant.scheduler import VERDICTS, CardState
from assistant.study_records import (
    Answer,
    ItemHistory,
    item_from_json,
    parse_stamp,
    stamp,
)
from assistant.topics import Topic
from ground.errors import StudyError

FORMAT = "study-history"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 200 * 1024 * 1024


class HistoryFileError(StudyError):
    """A study-history file cannot be read or written (the message names it and why)."""


def history_json(histories: Sequence[ItemHistory], exported_at: datetime) -> dict:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": stamp(exported_at),
        "items": [_item_json(history) for history in histories],
    }


def write_history(
    path: str | Path, histories: Sequence[ItemHistory], exported_at: datetime
) -> None:
    """Write ``histories`` to ``path`` atomically."""
    path = Path(path).expanduser()
    text = json.dumps(history_json(histories, exported_at), ensure_ascii=False, indent=1)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    except OSError as error:
        raise HistoryFileError(f"{path}: cannot write ({error.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise HistoryFileError(f"{path}: cannot write ({error.strerror})") from None


def read_history(path: str | Path) -> list[ItemHistory]:
    """Every item in the file at ``path``, fully checked."""
    path = Path(path).expanduser()
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise HistoryFileError(
                f"{path}: larger than {MAX_FILE_BYTES >> 20} MB; not a study history file"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise HistoryFileError(f"{path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise HistoryFileError(f"{path}: not a study history file (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise HistoryFileError(f"{path}: not a study history file (JSON nested too deep)") from None
    except ValueError as error:
        raise HistoryFileError(
            f"{path}: not a study history file (invalid JSON: {error})"
        ) from None
    return parse_history(data, str(path))


def parse_history(data: object, name: str) -> list[ItemHistory]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise HistoryFileError(f'{name}: not a study history file (no "format": "{FORMAT}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise HistoryFileError(f"{name}: the history file has no format version")
    if version > FORMAT_VERSION:
        raise HistoryFileError(
            f"{name}: written by a newer study assistant (format {version}, "
            f"this one reads {FORMAT_VERSION}); upgrade to import it"
        )
    if version != FORMAT_VERSION:
        raise HistoryFileError(f"{name}: unknown history format version {version}")
    items = data.get("items")
    if not isinstance(items, list):
        raise HistoryFileError(f"{name}: the history file has no list of items")
    histories, keys, uids = [], set(), set()
    for number, raw in enumerate(items, start=1):
        try:
            history = _item_of(raw)
        except (ValueError, TypeError, KeyError) as error:
            raise HistoryFileError(f"{name}: item {number}: {error}") from None
        if history.item_key in keys:
            raise HistoryFileError(f"{name}: item {number}: item_key appears twice")
        repeated = next((a.uid for a in history.answers if a.uid in uids), None)
        if repeated:
            raise HistoryFileError(f"{name}: item {number}: answer {repeated} appears twice")
        keys.add(history.item_key)
        uids.update(a.uid for a in history.answers)
        histories.append(history)
    return histories


def _item_json(history: ItemHistory) -> dict:
    card = history.card
    return {
        "item_key": history.item_key,
        "source": history.source,
        "heading_path": list(history.heading_path),
        "topic": {"key": history.topic.key, "label": history.topic.label},
        "question": history.question,
        "item": history.item.as_json(),
        "created_at": stamp(history.created_at),
        "card": {
            "state": card.state,
            "step": card.step,
            "stability": card.stability,
            "difficulty": card.difficulty,
            "due": stamp(card.due),
            "last_review": stamp(card.last_review) if card.last_review else None,
        },
        "answers": [_answer_json(answer) for answer in history.answers],
    }


def _answer_json(answer: Answer) -> dict:
    return {
        "uid": answer.uid,
        "answered_at": stamp(answer.answered_at),
        "question": answer.question,
        "item": answer.item.as_json(),
        "response": answer.response,
        "verdict": answer.verdict,
        "missing": answer.missing,
        "rating": answer.rating,
    }


def _item_of(raw: object) -> ItemHistory:
    raw = _object(raw, "item")
    path = _value(raw, "heading_path", list)
    if not all(isinstance(part, str) for part in path):
        raise ValueError("heading_path is not a list of headings")
    topic = _object(raw.get("topic"), "topic")
    answers = tuple(_answer_of(a, n) for n, a in enumerate(_value(raw, "answers", list), 1))
    if not answers:
        raise ValueError("has no answers")
    return ItemHistory(
        item_key=_text(raw, "item_key"),
        source=_value(raw, "source", str),
        heading_path=tuple(path),
        topic=Topic(_text(topic, "key"), _value(topic, "label", str)),
        question=_value(raw, "question", str),
        item=item_from_json(raw.get("item")),
        created_at=_time(raw, "created_at"),
        card=_card_of(_object(raw.get("card"), "card")),
        answers=tuple(sorted(answers, key=lambda a: (a.answered_at, a.uid))),
    )


def _card_of(raw: dict) -> CardState:
    state = _value(raw, "state", int)
    if state not in (1, 2, 3):
        raise ValueError(f"card state {state} is not 1, 2 or 3")
    step = raw.get("step")
    if step is not None and (not isinstance(step, int) or isinstance(step, bool) or step < 0):
        raise ValueError("card step is not a non-negative number")
    numbers = []
    for name in ("stability", "difficulty"):
        value = raw.get(name)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 < value < math.inf
        ):
            raise ValueError(f"card {name} is not a positive number")
        numbers.append(None if value is None else float(value))
    last_review = raw.get("last_review")
    return CardState(
        state,
        step,
        numbers[0],
        numbers[1],
        _time(raw, "due"),
        None if last_review is None else _time(raw, "last_review"),
    )


def _answer_of(raw: object, number: int) -> Answer:
    raw = _object(raw, f"answer {number}")
    verdict = _value(raw, "verdict", str)
    if verdict not in VERDICTS:
        raise ValueError(
            f"answer {number}: verdict {verdict!r} is not one of {', '.join(VERDICTS)}"
        )
    rating = _value(raw, "rating", int)
    if rating not in (1, 2, 3, 4):
        raise ValueError(f"answer {number}: rating {rating} is not 1-4")
    try:
        return Answer(
            _text(raw, "uid"),
            _time(raw, "answered_at"),
            _value(raw, "question", str),
            item_from_json(raw.get("item")),
            _value(raw, "response", str),
            verdict,
            _value(raw, "missing", str),
            rating,
        )
    except ValueError as error:
        raise ValueError(f"answer {number}: {error}") from None


def _object(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return value


def _value(raw: dict, name: str, kind: type):
    value = raw.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"'{name}' is missing or not {kind.__name__}")
    return value


def _text(raw: dict, name: str) -> str:
    value = _value(raw, name, str)
    if not value.strip():
        raise ValueError(f"'{name}' is empty")
    return value


def _time(raw: dict, name: str) -> datetime:
    try:
        return parse_stamp(_value(raw, name, str))
    except ValueError as error:
        raise ValueError(f"'{name}': {error}") from None
