"""Practice-question data: the JSON schemas the model's output is constrained by, and checks.

The schema becomes a llama.cpp grammar, so the model can only write JSON of this shape; what a
grammar cannot say (options distinct, not a repeat of an earlier question) ``problems`` checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieval import Citation

KINDS = ("mcq", "short", "truefalse")
CARD_KINDS = ("flashcard", "cloze")  # extracted from the notes without a model
ALL_KINDS = KINDS + CARD_KINDS
BLANK = "＿＿＿＿"  # where a cloze card's hidden term stood
OPTION_COUNT = 4

TEXT_CHARS = 120
OPTION_CHARS = 60
_TEXT = {"type": "string", "minLength": 2, "maxLength": TEXT_CHARS}
_SHORT_TEXT = {"type": "string", "minLength": 1, "maxLength": OPTION_CHARS}
SCHEMAS = {
    "mcq": {
        "type": "object",
        "properties": {
            "question": _TEXT,
            "options": {"type": "array", "items": _SHORT_TEXT,
                        "minItems": OPTION_COUNT, "maxItems": OPTION_COUNT},
            "answer_index": {"enum": [0, 1, 2, 3]},
            "explanation": _TEXT,
        },
        "required": ["question", "options", "answer_index", "explanation"],
        "additionalProperties": False,
    },
    "short": {
        "type": "object",
        "properties": {"question": _TEXT, "reference_answer": _TEXT},
        "required": ["question", "reference_answer"],
        "additionalProperties": False,
    },
    "truefalse": {
        "type": "object",
        "properties": {"statement": _TEXT, "answer": {"type": "boolean"},
                       "explanation": _TEXT},
        "required": ["statement", "answer", "explanation"],
        "additionalProperties": False,
    },
}
GRADE_SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"enum": ["correct", "partial", "incorrect"]},
        "missing": {"type": "string", "maxLength": 120},
    },
    "required": ["verdict", "missing"],
    "additionalProperties": False,
}
TRUE_FALSE_OPTIONS = {"zh": ("对", "错"), "en": ("True", "False")}


@dataclass(frozen=True)
class QuizItem:
    """One practice question and where in the notes it came from.

    ``answer_index`` points into ``options`` (MCQ: 4 options; true/false: true, false); a
    short-answer item or a flashcard has no options and ``answer`` is its reference answer (the
    card's back); a cloze card's ``question`` holds a blank and ``answer`` the hidden term.
    """

    kind: str
    question: str
    options: tuple[str, ...]
    answer_index: int | None
    answer: str  # the correct option's text, or the reference answer
    explanation: str
    citation: Citation
    passage: str  # the excerpt of the cited chunk the item was written from
    generated: bool  # False: built extractively (no model)
    bank_key: str = ""  # the question bank's key for this item, when it came from the bank

    def as_json(self) -> dict:
        data = {"kind": self.kind, "question": self.question, "options": list(self.options),
                "answer_index": self.answer_index, "answer": self.answer,
                "explanation": self.explanation, "citation": self.citation.as_json(),
                "passage": self.passage, "generated": self.generated}
        if self.bank_key:
            data["bank_key"] = self.bank_key
        return data


def normalized(text: str) -> str:
    """Text for comparisons: case, spaces, punctuation and option letters ignored.

    >>> normalized(" A. L2 正则化！"), normalized("l2正则化")
    ('l2正则化', 'l2正则化')
    """
    text = re.sub(r"^\s*[A-Da-d][.、:：)]\s*", "", text)
    return re.sub(r"[\W_]+", "", text.lower())


def similar(a: str, b: str, threshold: float = 0.8) -> bool:
    """Character-bigram Jaccard overlap of the normalized texts reaches ``threshold``.

    >>> similar("什么是梯度裁剪？", "什么是梯度裁剪"), similar("什么是梯度裁剪？", "什么是正则化？")
    (True, False)
    """
    x, y = normalized(a), normalized(b)
    if x == y:
        return True
    grams_x = {x[i : i + 2] for i in range(len(x) - 1)}
    grams_y = {y[i : i + 2] for i in range(len(y) - 1)}
    union = grams_x | grams_y
    return bool(union) and len(grams_x & grams_y) / len(union) >= threshold


def problems(kind: str, data: dict, earlier: list[str]) -> list[str]:
    """What is wrong with a generated item (empty when it is valid).

    >>> problems("mcq", {"question": "Q?", "options": ["a", "b", "B", "c"], "answer_index": 1,
    ...                  "explanation": "b is right"}, [])
    ['options are not 4 distinct answers']
    """
    if not isinstance(data, dict):
        return ["not a JSON object"]
    schema = SCHEMAS[kind]
    found = [f"missing {key}" for key in schema["required"] if key not in data]
    if found:
        return found
    text_keys = [k for k, v in schema["properties"].items() if v.get("type") == "string"]
    found += [f"{key} is empty" for key in text_keys
              if not isinstance(data[key], str) or not normalized(data[key])]
    question = data.get("question") or data.get("statement") or ""
    if kind == "mcq":
        options = data["options"]
        if (not isinstance(options, list) or len(options) != OPTION_COUNT
                or len({normalized(str(o)) for o in options}) != OPTION_COUNT
                or not all(normalized(str(o)) for o in options)):
            found.append("options are not 4 distinct answers")
        if data["answer_index"] not in range(OPTION_COUNT):
            found.append("answer_index is not 0-3")
    if kind == "truefalse" and not isinstance(data["answer"], bool):
        found.append("answer is not true or false")
    if any(similar(question, old) for old in earlier):
        found.append("repeats an earlier question")
    return found
