"""Cards made without a model: the notes' own questions, definitions and key terms.

Notes are full of questions already. From one passage (a chunk) this takes, with the exact lines
each card is answered from:

* ``qa`` -- a question heading (or a ``题目：`` line) and its answer body (after ``答案：``, up to
  ``解析：``) as a flashcard, the whole answer or none (front says how many items a list has).
* ``pair`` -- ``Q:``/``A:`` (``问：``/``答：``) pairs as flashcards.
* ``def`` -- a definition sentence ("X（gloss）是指 …", "X is a …") as a cloze card: the term
  is blanked wherever it stands in the sentence, and the student recalls it.
* ``term`` -- a bold key term at the head of a list item ("1. **数据预处理：** 确保…") as a
  cloze card: its description, under the section's question, with the term blanked; and an item
  introduced by a bold title whose sub-point says what it is ("- **作用：** 衡量…").

Everything is conservative on purpose: a card that is wrong, trivial or ambiguous costs the
student more than a missing one. Generic labels (作用, 定义, 优点 …), pronoun subjects (这, 它
…) and terms the rest of the sentence gives away are skipped.

>>> from ground.records import Chunk
>>> q = "题目 4：什么是梯度裁剪？"
>>> text = f"#### {q}\\n\\n**答案：** 梯度裁剪（Clipping）是一种限制梯度大小的方法。"
>>> chunk = Chunk(1, 1, "/n/a.md", "T", ("T", q), 7, 9, 0, len(text), text, "h")
>>> cards = extract_cards(chunk)
>>> [(d.slot, d.item.question, d.item.answer, d.item.citation.start_line) for d in cards]
... # doctest: +NORMALIZE_WHITESPACE
[('x:qa:0', '什么是梯度裁剪？', '梯度裁剪（Clipping）是一种限制梯度大小的方法。', 7),
 ('x:def:0', '＿＿＿＿是一种限制梯度大小的方法。', '梯度裁剪（Clipping）', 9)]
"""

from __future__ import annotations

from assistant.bank_extract_cloze import definition_cards, term_cards
from assistant.bank_extract_flashcards import pair_cards, question_card
from assistant.bank_extract_text import (
    _STOP_LABELS,
    _label,
    _Line,
    _numbered,
    _outside_fences,
)
from assistant.bank_extract_truefalse import swapped_statements
from assistant.bank_records import Draft
from ground.records import Chunk


def extract_cards(chunk: Chunk, continued: bool = False, section: str = "") -> list[Draft]:
    """Every card one passage yields, each citing the lines it is answered from.
    ``continued``: the section goes on in the next passage (a long section split, or its
    subsections), so an answer running to this passage's end is only the start of one.
    ``section``: the text of every passage of the section, where a list item's siblings in
    the other passages are (default: this passage's)."""
    raw = chunk.text.split("\n")
    lines = [_Line(chunk.start_line + i, text) for i, text in enumerate(raw)]
    body = _outside_fences(lines)
    drafts: list[Draft] = []
    used_terms: set[str] = set()
    for card in (question_card(chunk, body, continued), *pair_cards(chunk, body)):
        if card is not None:
            drafts.append(card)
    whole = [_Line(0, text) for text in section.split("\n")] if section else body
    terms = term_cards(chunk, body, used_terms, whole)
    drafts += terms
    drafts += swapped_statements(chunk.content_hash, terms)
    for card in definition_cards(chunk, body, used_terms):
        drafts.append(card)
    return _numbered(drafts)


def section_texts(chunks: list[Chunk]) -> dict[str, str]:
    """Each passage's whole section text (its passages with the same heading path, in order),
    by content hash."""
    parts: dict[tuple[int, tuple[str, ...]], list[Chunk]] = {}
    for chunk in sorted(chunks, key=lambda chunk: (chunk.doc_id, chunk.start_char)):
        parts.setdefault((chunk.doc_id, chunk.heading_path), []).append(chunk)
    return {chunk.content_hash: "\n".join(part.text for part in group)
            for group in parts.values() for chunk in group}


def opens_with_explanation(text: str) -> bool:
    """The passage starts with a "解析：" / "Explanation:" label: what came before it was a
    whole answer."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    label = _label(first)
    return label is not None and label[0] in _STOP_LABELS
