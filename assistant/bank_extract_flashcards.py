"""Flashcards of ``bank_extract``: a section's question (heading, 题目 line) with its whole answer
as the back, and ``Q:``/``A:`` pairs."""

from __future__ import annotations

import re

from assistant.bank_extract_text import (
    _ANSWER_LABELS,
    _ASIDE,
    _FENCE,
    _HEADING,
    _INVISIBLE,
    _LIST_ITEM,
    _NEEDS_FIGURE,
    _QUESTION_LABELS,
    _STOP_LABELS,
    _draft,
    _giveaway,
    _is_question,
    _label,
    _Line,
    _plain,
)
from assistant.bank_records import Draft
from assistant.quiz import question_of
from ground.headings import strip_numbering
from ground.records import Chunk

BACK_CHARS = 450  # whole answers longer (or > 10 lines) make no card: 18 % sample, 17 % dev2
MAX_BACK_LINES = 10
MIN_BACK_CHARS = 8


def question_card(chunk: Chunk, lines: list[_Line], continued: bool = False) -> Draft | None:
    """The section's question (heading or 题目 line) and its answer body -- only a whole one:
    not when the answer runs on into the next passage, ends on a lead-in ("包括：", "；"),
    or a formula in it had to be cut."""
    if not lines:
        return None
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    heading_question = _plain(question_of(heading))
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
        level = _level(lines[0].text) if starts_with_heading else 0
        stop_at = next((i for i in range(answer_from, len(lines))
                        if (_label(lines[i].text) or ("",))[0] in _STOP_LABELS
                        or 0 < _level(lines[i].text) <= level), None)
    answer_lines = _answer_lines(lines[answer_from:stop_at])
    if not answer_lines or (continued and stop_at is None) or _cut_short(answer_lines):
        return None
    back = _whole(answer_lines)
    if (not back or _giveaway(question, back) or _incomplete(answer_lines, chunk)
            or _cut_formula(back) or _mostly_figures(lines[answer_from:stop_at], answer_lines)
            or _has_block(chunk, answer_lines[0].number,
                          lines[stop_at].number if stop_at is not None else chunk.end_line + 1)):
        return None
    used = answer_lines
    question = strip_numbering(question)
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
        if not text or text.startswith(("![", "<img", "|")) or _ASIDE.match(_plain(text)):
            continue
        text = re.sub(r"^#+\s*", "", text) if _HEADING.match(text) else text  # a sub-heading
        kept.append(_Line(line.number, text))
    return kept


def _has_block(chunk: Chunk, start: int, stop: int) -> bool:
    """A code block or display formula in lines ``start``..``stop - 1``: the back, which leaves
    such blocks out, would not be the whole answer."""
    raw = chunk.text.split("\n")[start - chunk.start_line: stop - chunk.start_line]
    return any(_FENCE.match(line.strip()) or line.strip() in ("$$", "\\[", "\\]")
               or line.strip().startswith("$$") for line in raw)


def _level(text: str) -> int:
    """A markdown heading's level (``### x`` -> 3), 0 for any other line."""
    return len(text.strip()) - len(text.strip().lstrip("#")) if _HEADING.match(text) else 0


def _incomplete(lines: list[_Line], chunk: Chunk) -> bool:
    """The back leans on what a card cannot show (a figure, a table, a formula block) or has
    an empty item where such a thing stood, or a lead-in ("…函数：") whose next lines were left
    out (an image, a table); "比如：" followed by its example paragraph is whole."""
    if any(_NEEDS_FIGURE.search(line.text)
           or len(re.sub(r"[\W\d_]", "", _LIST_ITEM.sub("", line.text))) < 2
           for line in lines):
        return True
    raw = chunk.text.split("\n")
    return any(re.search(r"[：:]$", line.text) and not _LIST_ITEM.match(after.text)
               and any(_INVISIBLE.sub("", text).strip()
                       for text in raw[line.number + 1 - chunk.start_line:
                                       after.number - chunk.start_line])
               for line, after in zip(lines, lines[1:], strict=False))


def _cut_short(lines: list[_Line]) -> bool:
    """The answer stops on a lead-in or mid-list: "…的应用，包括：" with nothing after it, a
    clause ending in "；" or "，", or a sentence announcing what the next sections hold
    ("因此，就有许多学者提出了GAN的客观评价方法。", "… as follows.")."""
    return bool(re.search(r"[；;，,、]\W*$|(包括|如下|以下|分别是|有)\W*[：:]\W*$", lines[-1].text)
                or re.search(r"(如下|以下|下面|提出了[^。；]{0,30}方法|the following|as follows)"
                             r"\W*$", lines[-1].text, re.IGNORECASE))


def _cut_formula(back: str) -> bool:
    """A formula cut by the back's length limit ("\\( \\text{normalized\\_fe…")."""
    return back.count("\\(") != back.count("\\)") or back.count("$") % 2 == 1


def _whole(lines: list[_Line]) -> str:
    """The whole answer as a card's back, or "" when it is too short or too long for one."""
    back = "\n".join(_plain(line.text) for line in lines)
    if len(back) < MIN_BACK_CHARS or len(back) > BACK_CHARS or len(lines) > MAX_BACK_LINES:
        return ""
    return back


def _mostly_figures(section: list[_Line], answer: list[_Line]) -> bool:
    """The answer is mainly images (with a caption): the card could not show it."""
    figures = sum(1 for line in section if line.text.strip().startswith(("![", "<img")))
    return figures > 0 and figures >= len(answer)


