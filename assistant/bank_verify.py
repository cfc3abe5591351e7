"""Verification of a model-made item before it enters the bank. Cheap checks first, the model
last; every reason an item fails is kept.

1. **Not a yes/no question dressed as an MCQ** -- options like 是/否/不一定/无法确定.
2. **The question does not give the answer away** -- the key (or the reference answer) is not
   written in the question.
3. **The key is stated by the passage** -- of what the key says beyond the question (its
   character bigrams and words not already in the question), at least ``KEY_STATED_FROM`` must
   stand in the passage. "正则化和 L2 正则化是相同的…" asked about an over-fitting passage adds
   "相同" that no passage line says: rejected. A false true/false statement must *not* be
   stated verbatim by the passage.
4. **No distractor is stated** -- an option whose own new content the passage states as fully
   as the key's (``DISTRACTOR_STATED_FROM``) makes two right answers.
5. **Not a near-duplicate** of an item already banked on the passage: the same question in
   other words (character-bigram Jaccard, ``quiz_schema.similar``) or an e5 cosine of question
   + answer at or above ``grading.CLOSE_FROM`` (0.97: above every different answer on the
   same topic in the grading calibration).
6. **The model, answering blind, picks the key** -- it reads the passage and the question with
   the options in another order (or, for true/false, the bare statement; for a short answer,
   the bare question) and must arrive at the key without seeing it.

The figures are lexical shares, not fitted to the sample notes: half of what a key adds must be
in the passage (a paraphrase keeps its technical terms; an invention does not).
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field

import numpy as np

from assistant.generator import Generator, Message, Prompt
from assistant.grading import CLOSE_FROM
from assistant.key_points import covered_points, key_points
from assistant.language import detect_language
from assistant.prompts import SYSTEM, answer_language, defuse
from assistant.quiz_schema import QuizItem, normalized, similar

KEY_STATED_FROM = 0.5
DISTRACTOR_STATED_FROM = 0.9
GIVEAWAY_MIN_CHARS = 4
BLIND_MAX_TOKENS = 60
_YES_NO = {
    "是", "否", "是的", "否的", "不是", "不一定", "无法确定", "不确定", "对", "错", "正确", "错误",
    "可能", "不可能", "有", "没有", "会", "不会", "能", "不能", "yes", "no", "maybe", "true",
    "false", "notsure", "cannotbedetermined", "itdepends",
}
_BLIND_SCHEMAS = {
    "mcq": {"type": "object", "properties": {"answer_index": {"enum": [0, 1, 2, 3]}},
            "required": ["answer_index"], "additionalProperties": False},
    "truefalse": {"type": "object", "properties": {"answer": {"type": "boolean"}},
                  "required": ["answer"], "additionalProperties": False},
    "short": {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 160}},
              "required": ["answer"], "additionalProperties": False},
}


@dataclass(frozen=True)
class Verdict:
    reasons: tuple[str, ...]  # empty: accepted
    evidence: dict = field(default_factory=dict)  # figures behind the decision

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def evidence_json(self) -> str:
        return json.dumps({"accepted": self.accepted, "reasons": list(self.reasons),
                           **self.evidence}, ensure_ascii=False, sort_keys=True)


def verify(item: QuizItem, passage: str, generator: Generator | None = None,
           banked: list[QuizItem] = (), embedder=None,
           cancel: threading.Event | None = None) -> Verdict:
    """Why ``item`` must not enter the bank (none: it may). ``passage`` is the text it was
    written from; ``banked`` the items already banked on that passage."""
    reasons, evidence = lexical_problems(item, passage)
    duplicate = duplicate_of(item, banked, embedder)
    if duplicate:
        reasons.append(f"near-duplicate of a banked item: {duplicate}")
    if not reasons and generator is not None and generator.available:
        picked = blind_answer(item, passage, generator, cancel)
        evidence["blind"] = picked
        if picked != "key":
            reasons.append(f"answering blind from the passage, the model {picked}")
    return Verdict(tuple(reasons), evidence)


def lexical_problems(item: QuizItem, passage: str) -> tuple[list[str], dict]:
    reasons: list[str] = []
    evidence: dict = {}
    question_units = units(item.question)
    passage_units = units(passage)
    if item.kind == "mcq":
        if sum(normalized(option) in _YES_NO for option in item.options) >= 2:
            reasons.append("a yes/no question dressed as an MCQ")
        key = item.options[item.answer_index]
        key_support = support(key, question_units, passage_units)
        evidence["key_support"] = round(key_support, 3)
        if key_support < KEY_STATED_FROM:
            reasons.append(f"the key is not stated by the passage ({key_support:.0%} of it)")
        for index, option in enumerate(item.options):
            if index == item.answer_index or similar(option, key, 0.6):
                continue
            stated = support(option, question_units, passage_units)
            if stated >= DISTRACTOR_STATED_FROM and stated >= key_support:
                reasons.append(f"the distractor {option!r} is stated by the passage too")
        if _gives_away(item.question, key):
            reasons.append("the question gives the answer away")
    elif item.kind == "truefalse":
        stated = support(item.question, set(), passage_units)
        evidence["statement_support"] = round(stated, 3)
        if item.answer_index == 0 and stated < KEY_STATED_FROM:
            reasons.append(f"the true statement is not stated by the passage ({stated:.0%})")
        if item.answer_index == 1 and normalized(item.question) in normalized(passage):
            reasons.append("the 'false' statement stands in the passage word for word")
    else:
        stated = support(item.answer, question_units, passage_units)
        evidence["key_support"] = round(stated, 3)
        if stated < KEY_STATED_FROM:
            reasons.append(f"the reference answer is not stated by the passage ({stated:.0%})")
        if _gives_away(item.question, item.answer):
            reasons.append("the question gives the answer away")
    return reasons, evidence


def duplicate_of(item: QuizItem, banked: list[QuizItem], embedder=None) -> str:
    """The banked question ``item`` repeats, or ""."""
    for other in banked:
        if similar(item.question, other.question):
            return other.question
    if embedder is None or not banked:
        return ""
    texts = [f"{item.question}\n{item.answer}"] + [f"{o.question}\n{o.answer}" for o in banked]
    vectors = np.asarray(embedder.embed_passages(texts))
    scores = vectors[1:] @ vectors[0]
    best = int(np.argmax(scores))
    return banked[best].question if scores[best] >= CLOSE_FROM else ""


def blind_answer(item: QuizItem, passage: str, generator: Generator,
                 cancel: threading.Event | None = None) -> str:
    """What the model, without the key, makes of the item: "key" when it arrives at it."""
    language = detect_language(passage + item.question)
    block = f'<passage id=1>\n{defuse(passage)}\n</passage>\n'
    if item.kind == "mcq":
        order = list(range(len(item.options)))
        random.Random(item.question).shuffle(order)
        shown = "\n".join(f"{n}. {defuse(item.options[i])}" for n, i in enumerate(order))
        task = ("Task: answer the multiple-choice question from the passage alone. Reply with "
                "JSON: the 0-based index of the one correct option.\n"
                f"Question: {defuse(item.question)}\nOptions:\n{shown}")
    elif item.kind == "truefalse":
        task = ("Task: is the statement true according to the passage? Reply with JSON.\n"
                f"Statement: {defuse(item.question)}")
    else:
        task = (f"Task: answer the question from the passage alone, in "
                f"{answer_language(language)}, in one or two sentences. Reply with JSON.\n"
                f"Question: {defuse(item.question)}")
    prompt = Prompt((SYSTEM, Message("user", block + task)), BLIND_MAX_TOKENS).with_schema(
        _BLIND_SCHEMAS[item.kind])
    try:
        data = json.loads(generator.complete(prompt, cancel))
    except ValueError:
        return "gave no answer"
    if item.kind == "mcq":
        picked = order[data["answer_index"]]
        return "key" if picked == item.answer_index else (
            f"picked {item.options[picked]!r}, not the key")
    if item.kind == "truefalse":
        truth = item.answer_index == 0
        return "key" if data["answer"] == truth else f"judged it {data['answer']}, not {truth}"
    points = key_points(item.answer)
    said = covered_points(points, str(data.get("answer", "")))
    return "key" if sum(said) * 2 >= len(points) else (
        f"answered {str(data.get('answer', ''))[:60]!r}, missing the reference's points")


def support(text: str, known: set[str], passage_units: set[str]) -> float:
    """Share of what ``text`` adds beyond ``known`` that the passage states."""
    new = units(text) - known
    if not new:
        return 0.0
    return len(new & passage_units) / len(new)


def units(text: str) -> set[str]:
    """Character bigrams of Chinese runs and lower-case words of the rest (``key_points``'s
    measure, shared so the two agree)."""
    text = text.lower()
    found = set(re.findall(r"[a-z0-9]+", text))
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        found |= {run[i:i + 2] for i in range(len(run) - 1)} or {run}
    return found


def _gives_away(question: str, answer: str) -> bool:
    key = normalized(answer)
    return len(key) >= GIVEAWAY_MIN_CHARS and key in normalized(question)
