"""Cloze cards of ``bank_extract``: a definition sentence with its term blanked, and bold key
terms heading list items, asked from their description."""

from __future__ import annotations

import re

from assistant.bank_extract_text import (
    _BOLD_ITEM,
    _BOLD_TITLE,
    _LIST_ITEM,
    _NEEDS_FIGURE,
    _QUESTION_LABELS,
    LINE_CHARS,
    _bare,
    _blanked,
    _draft,
    _echoed,
    _first_sentences,
    _gloss,
    _good_term,
    _key,
    _label,
    _Line,
    _plain,
)
from assistant.bank_records import Draft
from assistant.quiz import question_of
from assistant.quiz_schema import BLANK
from ground.records import Chunk
from ground.sentences import split_sentences

_ZH_DEFINITION = re.compile(
    r"^(?P<term>[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff \-+/·]{0,23}?)\s*"
    r"(?P<gloss>（[^（）]{1,40}）|\([^()]{1,40}\))?\s*"
    r"(?P<verb>是指|指的是|是一种|是一类|是一个|是一项|被定义为|定义为|是)\s*(?P<rest>.+)$"
)
_EN_DEFINITION = re.compile(
    r"^(?:An?\s+|The\s+)?(?P<term>[A-Z][A-Za-z0-9\-]*(?:\s+[A-Za-z0-9\-]+){0,3}?)"
    r"(?P<gloss>\s*\([^()]{1,40}\))?\s+(?P<verb>is|are|refers to)\s+(?P<rest>(?:a|an|the|used|"
    r"defined|one)\b.+)$"
)
_WEAK_VERB = {"是"}  # a bare 是 only defines a term that carries a gloss: "CNN（卷积…）是…"
_DESCRIBING_LABELS = ("定义", "作用", "含义", "描述", "原理")


def definition_cards(chunk: Chunk, lines: list[_Line], used: set[str]) -> list[Draft]:
    cards = []
    for line in lines:
        label = _label(line.text)
        if label and label[0] in _QUESTION_LABELS:
            continue
        text = label[1] if label else line.text
        text = _LIST_ITEM.sub("", text)
        text = re.sub(r"^[^：:]{1,8}[：:]\s*", "", text) if _BOLD_ITEM.match(line.text) else text
        for sentence in split_sentences(text):
            card = _definition_card(chunk, sentence.strip(), line.number, used)
            if card is not None:
                cards.append(card)
    return cards


def _definition_card(chunk: Chunk, sentence: str, number: int, used: set[str]) -> Draft | None:
    if re.search(r"[：:]$", sentence):  # "…模型，其基本原理包括以下几个部分：": first clause
        head, comma, _ = sentence.rpartition("，")
        sentence = head + "。" if comma else ""
    if (not re.search(r"[。.!?！？]$", sentence) or re.search(r"\$|\\[a-zA-Z(\[]", sentence)
            or _NEEDS_FIGURE.search(sentence)):
        return None  # a sentence cut by a line break, or one that needs a formula or figure
    match = _ZH_DEFINITION.match(sentence) or _EN_DEFINITION.match(sentence)
    if match is None:
        return None
    term = match.group("term").strip()
    gloss = (match.group("gloss") or "").strip()
    verb, rest = match.group("verb"), match.group("rest").strip()
    if verb in _WEAK_VERB and not gloss:
        return None
    if (not _good_term(term) or len(rest) < 10 or _key(term) in used
            or re.match(r"^(否|不|为了|因为|由于|通过|在于|an? example|an? instance)", rest)):
        return None
    answer = term + gloss
    question = BLANK + sentence[match.start("verb"):].strip()
    if any(len(part) >= 2 and _key(part) in _key(rest) for part in (term, gloss.strip("（）()"))):
        return None  # the definition names the term again: no recall left to test
    used.add(_key(term))
    return _draft(chunk, "def", question, answer, number, number, "definition",
                  explanation=sentence)


def term_cards(chunk: Chunk, lines: list[_Line], used: set[str],
               section: list[_Line] | None = None) -> list[Draft]:
    """Bold key terms heading list items, asked from their description under the section's
    question. Skipped: items that are only examples ("如 …"), descriptions that name the term,
    steps of a procedure, and items whose description another item shares."""
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    context = _plain(question_of(heading))
    cards = []
    title: _Line | None = None  # the last "**1. 准确率（Accuracy）**" line
    title_used = False
    seen_desc: dict[str, int] = {}
    for line in lines:
        item = _BOLD_ITEM.match(line.text)
        if item:
            key = _key(item.group("desc"))
            seen_desc[key] = seen_desc.get(key, 0) + 1
    siblings: dict[str, list[str]] = {}  # descriptions by label: "作用" -> every item's 作用
    for line in lines if section is None else section:
        item = _BOLD_ITEM.match(line.text)
        if item:
            label = _plain(item.group("term")) if item.group("num") is None else ""
            siblings.setdefault(label, []).append(_plain(item.group("desc")))
    for line in lines:
        titled = _BOLD_TITLE.match(line.text)
        if titled:
            title, title_used = _Line(line.number, _plain(titled.group("term"))), False
            continue
        item = _BOLD_ITEM.match(line.text)
        if not item:
            continue
        term, desc = _plain(item.group("term")), _plain(item.group("desc"))
        if (len(desc) < 8 or seen_desc.get(_key(item.group("desc")), 0) > 1
                or _like_a_sibling(desc, siblings.get(term if item.group("num") is None else "",
                                                      []))):
            continue
        if term in _DESCRIBING_LABELS and title is not None and not title_used:
            name = title.text
            bare = _bare(name)
            if _good_term(bare) and _key(bare) not in used and not re.search(r"\d$", bare):
                shown = f"{BLANK} —— {term}：{_first_sentences(desc, LINE_CHARS)}"
                question = _blanked(f"{context}\n{shown}" if context else shown, bare,
                                    _gloss(name))
                if _key(bare) not in _key(question.replace(BLANK, "")):
                    used.add(_key(bare))
                    title_used = True
                    cards.append(_draft(chunk, "term", question, name, title.number, line.number,
                                        "bold-term", explanation=f"{name} —— {term}：{desc}"))
            continue
        bare = _bare(term)
        if (item.group("num") is None or not _good_term(bare) or _key(bare) in used
                or re.match(r"^(如|例如|比如|包括|e\.g\.|such as)", desc, re.IGNORECASE)
                or re.search(r"\d$", bare) or len(desc) < 12
                or (title is not None and re.search(r"步骤|方法|流程|过程|steps?", title.text))):
            continue
        if any(len(part) >= 2 and _key(part) in _key(desc)
               for part in (bare, _gloss(term).strip("（）()"))) or _echoed(bare, desc):
            continue  # the description names the term, or most of it
        shown = _first_sentences(desc, LINE_CHARS)
        question = f"{context}\n{BLANK}：{shown}" if context else f"{BLANK}：{shown}"
        if _key(bare) in _key(context):
            continue
        used.add(_key(bare))
        cards.append(_draft(chunk, "term", question, term, line.number, line.number, "bold-term",
                            explanation=f"{term}：{desc}"))
    return cards


def _like_a_sibling(desc: str, siblings: list[str]) -> bool:
    """Half the clue or more is the opening clause of another item's description too
    ("提高训练速度，减少过拟合" beside ReLU's "提高训练速度，减少梯度消失问题"): it does not single
    out its term."""
    opening = _opening(desc)
    return len(opening) * 2 >= len(_key(desc)) and any(other != desc and _opening(other) == opening
                                     for other in siblings)


def _opening(text: str) -> str:
    return _key(re.split(r"[，,；;。.]", text, maxsplit=1)[0])
