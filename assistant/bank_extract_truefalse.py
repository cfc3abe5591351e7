"""True/false cards of ``bank_extract``, made from a passage's bold-term cards: a list item's
description under the term it belongs to (true), or under a sibling term of the same list
(false). Half of them are false, so the key cannot be guessed from the kind of card.

A false statement is made only when it is plainly false by the notes: the two descriptions
share little wording (character-bigram overlap below ``SIBLING_OVERLAP_BELOW``), and neither
description names either term. The card cites the line that states the right pairing; its
explanation is that line.
"""

from __future__ import annotations

import hashlib
import re

from assistant.bank_extract_text import _key
from assistant.bank_records import EXTRACTED, Draft
from assistant.quiz_schema import BLANK, TRUE_FALSE_OPTIONS, QuizItem

SIBLING_OVERLAP_BELOW = 0.35
_CJK = re.compile(r"[\u4e00-\u9fff]")


def swapped_statements(passage_hash: str, term_cards: list[Draft]) -> list[Draft]:
    """At most one true/false card per passage, from its bold-term cards (two or more)."""
    terms = [(card, card.item.answer, _description(card)) for card in term_cards
             if card.item.kind == "cloze" and " —— " not in card.item.explanation
             and card.item.question.count(BLANK) == 1]
    terms = [(card, term, desc) for card, term, desc in terms if desc]
    if len(terms) < 2:
        return []
    seed = int(hashlib.sha256(passage_hash.encode()).hexdigest()[:8], 16)
    card, term, desc = terms[seed % len(terms)]
    true = (seed >> 4) % 2 == 0
    shown = term
    if not true:
        sibling, sibling_desc = next(((t, d) for c, t, d in terms if t != term), (None, ""))
        if sibling is None or not _plainly_false(term, desc, sibling, sibling_desc):
            return []
        shown = sibling
    statement = card.item.question.replace(BLANK, shown)
    options = TRUE_FALSE_OPTIONS["zh" if _CJK.search(statement) else "en"]
    index = 0 if true else 1
    item = QuizItem("truefalse", statement, options, index, options[index],
                    card.item.explanation, card.item.citation, card.item.passage, False)
    return [Draft(passage_hash, "x:tf", item, f"{EXTRACTED}:swapped-term")]


def _description(card: Draft) -> str:
    head, _, desc = card.item.explanation.partition("：")
    return desc.strip() if head.strip() == card.item.answer else ""


def _plainly_false(term: str, desc: str, sibling: str, sibling_desc: str) -> bool:
    names = [_key(re.sub(r"[（(].*$", "", name)) for name in (term, sibling)]
    if any(name and name in _key(text) for name in names for text in (desc, sibling_desc)):
        return False
    mine, theirs = _bigrams(desc), _bigrams(sibling_desc)
    if not mine or not theirs:
        return False
    return len(mine & theirs) / min(len(mine), len(theirs)) < SIBLING_OVERLAP_BELOW


def _bigrams(text: str) -> set[str]:
    text = _key(text)
    return {text[i:i + 2] for i in range(len(text) - 1)}
