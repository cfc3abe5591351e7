"""The question bank out of the app: an Anki package (genanki) or a CSV file.

Anki: one deck per document, one note per active item. A note's GUID is the item's key (a hash
of its passage, slot and content), so exporting again after more study -- or after the bank grew
-- updates the cards already imported instead of adding copies; deck and note-type ids are
hashes of fixed names, stable the same way. Fields hold the source file, heading and lines, so
a card always says where in the notes it is answered. Field text is HTML-escaped: a note can
never inject markup or fetch anything when Anki shows it.
"""

from __future__ import annotations

import csv
import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.bank_records import BankItem

NOTE_TYPE_NAME = "Study assistant card"
DECK_PREFIX = "Study notes"
FIELDS = ("Front", "Back", "Source", "Heading", "Lines", "Kind")
CSV_COLUMNS = ("item_key", "kind", "question", "options", "answer", "explanation", "source",
               "heading", "start_line", "end_line", "made_by")
_CARD_CSS = ".card { font-family: sans-serif; font-size: 20px; text-align: left; }\n" \
            ".where { color: #777; font-size: 14px; }"


@dataclass(frozen=True)
class Exported:
    path: Path
    items: int
    decks: int


def export_anki(items: Sequence[BankItem], path: str | Path) -> Exported:
    import genanki

    model = genanki.Model(
        _stable_id(NOTE_TYPE_NAME),
        NOTE_TYPE_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{
            "name": "Card",
            "qfmt": "{{Front}}",
            "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"
                    "<div class=where>{{Source}} {{Lines}}<br>{{Heading}}</div>",
        }],
        css=_CARD_CSS,
    )
    decks: dict[str, genanki.Deck] = {}
    for item in items:
        name = f"{DECK_PREFIX}::{Path(item.source).stem}"
        deck = decks.setdefault(name, genanki.Deck(_stable_id(name), name))
        deck.add_note(genanki.Note(model=model, fields=_fields(item), guid=item.item_key))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(list(decks.values())).write_to_file(str(target))
    return Exported(target, len(items), len(decks))


def export_csv(items: Sequence[BankItem], path: str | Path) -> Exported:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8-sig", newline="") as out:  # BOM: Excel reads UTF-8
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for item in items:
            quiz = item.item
            writer.writerow((item.item_key, quiz.kind, quiz.question, " | ".join(quiz.options),
                             quiz.answer, quiz.explanation, item.source,
                             " > ".join(item.heading_path), quiz.citation.start_line,
                             quiz.citation.end_line, item.made_by))
    return Exported(target, len(items), len({item.source for item in items}))


def _fields(item: BankItem) -> list[str]:
    quiz = item.item
    front = _html(quiz.question)
    if quiz.options:
        front += "<br>" + "<br>".join(f"{letter}. {_html(option)}" for letter, option
                                      in zip("ABCD", quiz.options, strict=False))
    back = _html(quiz.answer)
    if quiz.kind == "mcq" and quiz.answer_index is not None:
        back = f"{'ABCD'[quiz.answer_index]}. {back}"
    if quiz.explanation and quiz.explanation != quiz.answer:
        back += "<br><br>" + _html(quiz.explanation)
    lines = f"{quiz.citation.start_line}-{quiz.citation.end_line}"
    return [front, back, _html(Path(item.source).name), _html(" > ".join(item.heading_path)),
            lines, quiz.kind]


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _stable_id(name: str) -> int:
    """A positive 31-bit id from a name (Anki wants ids that never change for a deck/model)."""
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16) >> 1
