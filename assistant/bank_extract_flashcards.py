"""Flashcards of ``bank_extract``: a section's question (heading, 题目 line) with its whole answer
as the back, and ``Q:``/``A:`` pairs."""

from __future__ import annotations

import re

from assistant.bank_extract_text import (
    _ANSWER_LABELS,
    _ASIDE,
    _BOLD_ITEM,
    _BOLD_TITLE,
    _GENERIC,
    _HEADING,
    _LIST_ITEM,
    _NEEDS_FIGURE,
    _QUESTION_LABELS,
    _SECTION_NUMBER,
    _STOP_LABELS,
    LINE_CHARS,
    _draft,
    _first_sentences,
    _giveaway,
    _is_outline,
    _is_question,
    _label,
    _Line,
    _plain,
)
from assistant.bank_records import Draft
from assistant.quiz import question_of
from ingest.records import Chunk
from ingest.sentences import split_sentences

BACK_CHARS = 420  # a flashcard's back: longer answers keep their key lines
MAX_BACK_LINES = 8
MIN_BACK_CHARS = 8


def question_card(chunk: Chunk, lines: list[_Line], continued: bool = False) -> Draft | None:
    """The section's question (heading or 题目 line) and its answer body -- only a whole one:
    not when the answer runs on into the next passage, ends on a lead-in ("包括：", "；"),
    or a formula in it had to be cut."""
    if not lines:
        return None
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    heading_question = _plain(question_of(_SECTION_NUMBER.sub("", heading)))
    starts_with_heading = bool(_HEADING.match(chunk.text.split("\n", 1)[0]))
    question = heading_question if _is_question(heading_question) else ""
    first = lines[0].number
    answer_from = None
    stop_at = None
    for index, line in enumerate(lines):
        label = _label(line.text)
        if label is None:
            if index > 0 and _HEADING.match(line.text) and answer_from is not None:
                stop_at = index
                break
            continue
        name, rest = label
        if name in _QUESTION_LABELS and answer_from is None and len(rest) >= 4:
            if _is_question(rest) or question:
                question = rest
        elif name in _ANSWER_LABELS and answer_from is None:
            answer_from = index
        elif name in _STOP_LABELS and answer_from is not None:
            stop_at = index
            break
    if not question or (not starts_with_heading and answer_from is None):
        return None
    if answer_from is None:  # a question heading with a bare answer under it
        answer_from = 1 if starts_with_heading else 0
        while answer_from < len(lines) and _label(lines[answer_from].text):
            name = _label(lines[answer_from].text)[0]
            if name not in _QUESTION_LABELS:
                break
            answer_from += 1
        stop_at = next((i for i in range(answer_from, len(lines))
                        if (_label(lines[i].text) or ("",))[0] in _STOP_LABELS), None)
    answer_lines = _answer_lines(lines[answer_from:stop_at])
    if not answer_lines or (continued and stop_at is None) or _cut_short(answer_lines):
        return None
    back, used = _condensed(answer_lines)
    if (len(back) < MIN_BACK_CHARS or _giveaway(question, back) or _incomplete(used)
            or _cut_formula(back) or _cut_short(used) or _cut_mid_list(answer_lines, used)
            or _drops_asked_part(question, answer_lines, used)
            or _drops_definition(question, answer_lines, back)):
        return None
    if len(back) * 2 < sum(len(line.text) for line in answer_lines) and not _outline(
            answer_lines):
        return None  # an answer too long for a card's back: a preview of it would mislead
    question = _SECTION_NUMBER.sub("", question)
    items = sum(1 for line in used if _LIST_ITEM.match(line.text) and not line.text.startswith(
        ("-", "*", "+", "•")))
    front = question if items < 3 or not re.search(r"哪些|几种|有哪|which|what are", question,
                                                   re.IGNORECASE) else f"{question}（{items} 点）"
    return _draft(chunk, "qa", front, back, first, used[-1].number, "qa-heading"
                  if question == heading_question else "qa-block")


def pair_cards(chunk: Chunk, lines: list[_Line]) -> list[Draft]:
    """``Q:``/``A:`` and ``问：``/``答：`` pairs (题目/答案 blocks are ``question_card``'s)."""
    cards = []
    for index, line in enumerate(lines[:-1]):
        label = _label(line.text)
        following = _label(lines[index + 1].text)
        if (label and following and label[0] in {"q", "question", "问"}
                and following[0] in {"a", "answer", "答"} and len(label[1]) >= 4
                and len(following[1]) >= MIN_BACK_CHARS and not _giveaway(label[1], following[1])):
            cards.append(_draft(chunk, "pair", label[1], following[1], line.number,
                                lines[index + 1].number, "qa-pair"))
    return cards


def _answer_lines(lines: list[_Line]) -> list[_Line]:
    """The answer's content lines: labels' own text kept, blank lines, images and asides
    ("（贡献者：…）") dropped."""
    kept = []
    for line in lines:
        label = _label(line.text)
        text = label[1] if label and label[0] in _ANSWER_LABELS else line.text
        text = text.strip()
        if (not text or text.startswith(("![", "<img", "|")) or _HEADING.match(text)
                or _ASIDE.match(_plain(text))):
            continue
        kept.append(_Line(line.number, text))
    return kept


def _incomplete(lines: list[_Line]) -> bool:
    """The back leans on what a card cannot show (a figure, a table, a formula block) or has
    an empty item where such a thing stood."""
    if any(_NEEDS_FIGURE.search(line.text)
           or len(re.sub(r"[\W\d_]", "", _LIST_ITEM.sub("", line.text))) < 2
           for line in lines):
        return True
    return any(re.search(r"[：:]$", line.text) and not _LIST_ITEM.match(after.text)
               for line, after in zip(lines, lines[1:], strict=False))  # "如下两个函数：" + formula


def _cut_short(lines: list[_Line]) -> bool:
    """The answer stops on a lead-in or mid-list: "…的应用，包括：" with nothing after it, a
    clause ending in "；" or "，", or a sentence announcing what the next sections hold
    ("因此，就有许多学者提出了GAN的客观评价方法。", "… as follows.")."""
    return bool(re.search(r"[；;，,、]\W*$|(包括|如下|以下|分别是|有)\W*[：:]\W*$", lines[-1].text)
                or re.search(r"(如下|以下|下面|提出了[^。；]{0,30}方法|the following|as follows)"
                             r"\W*$", lines[-1].text, re.IGNORECASE))


def _cut_mid_list(answer: list[_Line], kept: list[_Line]) -> bool:
    """The back, shortened to fit, stops inside a list: steps 1-2 of 4 read as the whole."""
    if not kept:
        return False
    outline = {line.number for line in _outline(answer)}
    if len(outline) >= 2 and kept[-1].number in outline:  # an outline: every item kept?
        return any(number > kept[-1].number for number in outline)
    if not _LIST_ITEM.match(kept[-1].text):
        return False
    after = [line for line in answer if line.number > kept[-1].number]
    return bool(after) and bool(_LIST_ITEM.match(after[0].text))


def _drops_definition(question: str, answer: list[_Line], back: str) -> bool:
    """"什么是X？" whose answer defines X ("X，即…", "X是…") in a sentence the shortened back
    left out ("什么是TOP5错误率？" kept the lines around the definition, not the definition)."""
    asked = re.match(r"^\s*(?:什么是|何为|what is|what are)\s*(.+?)\s*[？?]", question,
                     re.IGNORECASE)
    if asked is None or len(asked.group(1)) < 2:
        return False
    term = re.escape(asked.group(1))
    for line in answer:
        for sentence in split_sentences(_plain(line.text)):
            if re.search(term + r"\s*[，,]?\s*(?:即|是指|是|指|就是|is|are|refers)", sentence,
                         re.IGNORECASE):
                return _plain(sentence).strip()[:20] not in back
    return False


def _drops_asked_part(question: str, answer: list[_Line], kept: list[_Line]) -> bool:
    """The question asks for a part the answer labels ("…并说明其应用" and "**应用：** …") but
    the back, shortened to fit, left that part out."""
    kept_numbers = {line.number for line in kept}
    heads = [(line.number, head.group(1)) for line in answer if (head := re.match(
        r"^\s*(?:[-*+•]|\d+[.、)）])?\s*\*\*([^*：:]{2,8})[：:]", line.text))]
    labels = [label for _, label in heads]
    return any(label in question and labels.count(label) == 1 and number not in kept_numbers
               for number, label in heads)  # a label on every item is a sub-point, not a part


def _cut_formula(back: str) -> bool:
    """A formula cut by the back's length limit ("\\( \\text{normalized\\_fe…")."""
    return back.count("\\(") != back.count("\\)") or back.count("$") % 2 == 1


def _condensed(lines: list[_Line]) -> tuple[str, list[_Line]]:
    """The back of a card within ``BACK_CHARS``, in whole lines. An answer too long for that is
    outlined: its opening sentence and the key terms of its items, in order."""
    while lines and re.search(r"[：:]$", lines[-1].text):  # "如下：" before a code block
        lines = lines[:-1]
    if not lines:
        return "", []
    if sum(len(line.text) + 1 for line in lines) > BACK_CHARS:
        outline = _outline(lines)
        if len(outline) >= 2:
            intro = next((line for line in lines[: 3]
                          if not _is_outline(line.text) and not _LIST_ITEM.match(line.text)
                          and not re.search(r"[：:]\W*$", line.text)), None)
            lines = outline if intro is None else [
                _Line(intro.number, _first_sentences(intro.text, LINE_CHARS)), *outline]
    kept: list[_Line] = []
    total = 0
    for line in lines[:MAX_BACK_LINES]:
        text = _first_sentences(line.text, LINE_CHARS)
        if total + len(text) > BACK_CHARS and kept:
            break
        kept.append(_Line(line.number, text))
        total += len(text) + 1
    return "\n".join(_plain(line.text) for line in kept), kept


def _outline(lines: list[_Line]) -> list[_Line]:
    """Item titles ("**1. 准确率（Accuracy）**") or numbered bold items, as "1. term: …"."""
    titles = [_Line(line.number, _plain(m.group("term"))) for line in lines
              if (m := _BOLD_TITLE.match(line.text)) and _plain(m.group("term")) not in _GENERIC
              and not _is_label_line(line.text)]
    if len(titles) >= 2:
        return [_Line(t.number, f"{i}. {t.text}") for i, t in enumerate(titles, start=1)]
    items = []
    for line in lines:
        m = _BOLD_ITEM.match(line.text)
        if m and m.group("num") is not None:
            desc = _first_sentences(_plain(m.group("desc")), 40)
            items.append(_Line(line.number, f"{m.group('num')}. {_plain(m.group('term'))}：{desc}"))
    return items


def _is_label_line(text: str) -> bool:
    """ "**常见的正则化方法：**" introduces a list; "**1. L1 正则化：**" is an item of it."""
    return bool(re.search(r"[：:]\s*(\*\*)?\s*$", text)) and not re.match(
        r"^\s*(\*\*)?\s*\d+[.、)）]", text)
