"""Multiple-choice questions without a model: a definition, and which term it defines.

Each definition cloze ("＿＿＿＿是一种限制梯度大小的方法。" -> 梯度裁剪) becomes an MCQ whose
options are its term and three terms other passages of the library define. A distractor must be
unambiguous: its own definition shares little with this one (character-bigram Jaccard below
``MAX_DEFINITION_OVERLAP``, so "防止过拟合的方法" never offers Dropout beside 正则化), it does
not stand in this passage at all, and it shares no word with the key (no 正则化 beside L2
正则化). Distractors are drawn with a seed from the item, so rebuilding gives the same question.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from assistant.bank_records import Draft
from assistant.bank_verify import units
from assistant.quiz_schema import OPTION_COUNT, QuizItem

MAX_DEFINITION_OVERLAP = 0.15
SLOT_PREFIX = "x:defmcq"


def definition_mcqs(definitions: list[Draft], pool: list[tuple[str, str]],
                    passage_texts: dict[str, str]) -> list[Draft]:
    """MCQs for ``definitions`` (definition cloze drafts) with distractors from ``pool``
    (term, definition sentence) pairs across the library."""
    made = []
    for draft in definitions:
        options = _options(draft, pool, passage_texts.get(draft.passage_hash, ""))
        if options is None:
            continue
        cloze = draft.item
        rng = random.Random(draft.item_key)
        rng.shuffle(options)
        question = f"{cloze.question}（空白处是哪个术语？）" if _chinese(cloze.question) else (
            f"{cloze.question} (Which term fills the blank?)")
        item = replace(cloze, kind="mcq", question=question, options=tuple(options),
                       answer_index=options.index(cloze.answer))
        number = draft.slot.rsplit(":", 1)[-1]
        made.append(Draft(draft.passage_hash, f"{SLOT_PREFIX}:{number}", item,
                          "extracted:definition-mcq"))
    return made


def _options(draft: Draft, pool: list[tuple[str, str]], passage: str) -> list[str] | None:
    key = draft.item.answer
    definition = units(draft.item.explanation)
    key_words = _words(key)
    seen = {_norm(key)}
    eligible = []
    for term, sentence in pool:
        norm = _norm(term)
        if norm in seen or _bare(term) in passage or key_words & _words(term):
            continue
        other = units(sentence)
        overlap = len(definition & other) / max(len(definition | other), 1)
        if overlap < MAX_DEFINITION_OVERLAP:
            seen.add(norm)
            eligible.append(term)
    if len(eligible) < OPTION_COUNT - 1:
        return None
    picked = random.Random(draft.item_key).sample(sorted(eligible), OPTION_COUNT - 1)
    return [key, *picked]


def _bare(term: str) -> str:
    return re.sub(r"\s*[（(].*$", "", term).strip()


def _words(term: str) -> set[str]:
    """The bigrams/words of a term without its gloss ("L2 正则化" -> {l2, 正则, 则化})."""
    return units(_bare(term))


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", _bare(text).lower())


def _chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def is_definition(item: QuizItem, made_by: str) -> bool:
    return item.kind == "cloze" and made_by == "extracted:definition"
