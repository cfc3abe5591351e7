"""Where the notes name something they never explain: the lines a refusal shows.

A question is refused for a name the notes mention only in passing (``coverage.name_status``
"passing": named, but in no heading, no definition and fewer than ``MIN_MENTIONS`` times in
any one passage). "Not explained in your notes: 卷积核" was all the student read, though the
sample notes write "通过将卷积核（filter）在输入图像上滑动，计算卷积和" in their 卷积操作
section -- what the question asked. The refusal stands (the rules that make it were measured on
seven libraries); the student now also sees those lines, quoted exactly with their line
numbers, and judges them. A name the notes never write gets no lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.coverage import NAME_SEARCH_HITS, Coverage, mentions_in
from assistant.extractive import ExtractiveAnswer, QuotedLine
from assistant.han_words import as_words
from assistant.language import is_han
from assistant.retrieval import Citation, Retriever
from ground.sentences import split_sentences

MAX_PASSAGES = 2  # passages quoted for the names, the lexical search's best first
MAX_LINES = 4  # lines quoted from one passage
LONG_LINE_CHARS = 160  # a longer line is cut to its sentences naming the thing
MIN_HAN_NAME = 3  # a two-character Chinese "name" is too often an ordinary word (普通, 比例)
_STEP = re.compile(r"^(\s*)\d{1,2}[.、)）]\s")
_LABEL = re.compile(r"\*\*[^*]{1,30}?[：:]\s*\*\*|\*\*[^*]{1,30}\*\*\s*[：:]")


def passing_mentions(coverage: Coverage, retriever: Retriever) -> tuple[ExtractiveAnswer, ...]:
    """The lines naming the names ``coverage`` refused for that the notes mention in passing:
    one quote per passage, at most ``MAX_PASSAGES``."""
    quotes: list[ExtractiveAnswer] = []
    seen: set[int] = set()
    for name in mentioned_names(coverage):
        for hit in retriever.search(name, k=NAME_SEARCH_HITS, mode="lexical"):
            if len(quotes) == MAX_PASSAGES:
                return tuple(quotes)
            if hit.chunk.id in seen:
                continue
            lines = mention_lines(name, hit.chunk.text, hit.chunk.start_line)
            if lines:
                seen.add(hit.chunk.id)
                quotes.append(ExtractiveAnswer(Citation.of(len(quotes) + 1, hit), lines,
                                               "passage"))
    return tuple(quotes)


def mention_lines(name: str, text: str, start_line: int) -> tuple[QuotedLine, ...]:
    """The first ``MAX_LINES`` lines of ``text`` (its first line is ``start_line``) that name
    ``name``, a long one cut to its sentences that do; a numbered step naming it goes on with
    the steps after it (the sample notes' "1. 将卷积核与输入图像对应区域进行点积。" is followed by
    "2. 将结果求和得到单个卷积特征图。", the step the question was about).

    >>> mention_lines("卷积核", "卷积操作\\n- 定义：将卷积核在图像上滑动。\\n无关", 10)
    (QuotedLine(line=11, text='- 定义：将卷积核在图像上滑动。', partial=False),)
    >>> steps = "步骤：\\n  1. 卷积核点积。\\n  2. 求和。\\n无关"
    >>> [q.line for q in mention_lines("卷积核", steps, 1)]
    [2, 3]
    """
    found: list[QuotedLine] = []
    step = None  # the indent of the numbered steps being followed (``_is_step``)
    for index, line in enumerate(text.split("\n")):
        if len(found) == MAX_LINES:
            break
        item = _STEP.match(line)
        if step is not None and item and item.group(1) == step:
            found.append(QuotedLine(start_line + index, line.rstrip()))
            continue
        step = None
        if not mentions_in(name, line) or (is_han(name[0]) and not as_words(name, line)):
            continue
        step = item.group(1) if item and _is_step(line) else None
        shown, partial = line.rstrip(), False
        if len(shown) > LONG_LINE_CHARS:
            sentences = [s for s in split_sentences(shown) if mentions_in(name, s)]
            if sentences:
                shown, partial = " ".join(s.strip() for s in sentences), True
        found.append(QuotedLine(start_line + index, shown, partial))
    return tuple(found)


def _is_step(line: str) -> bool:
    """A numbered item that is a sentence of its own, not a labelled entry of a list of
    things ("1. **聚类：** …", "4. 早停法 (Early Stop)"), whose next items are its siblings.

    >>> _is_step("  1. 将卷积核与输入图像对应区域进行点积。")
    True
    >>> _is_step("1. **聚类：** 通过聚类算法。")
    False
    """
    return line.rstrip().endswith(("。", ".", "；", ";")) and not _LABEL.search(line)


def mentioned_names(coverage: Coverage) -> Sequence[str]:
    """The refused names the notes do write, in the refusal's order (not a two-character
    Chinese word: "Soft-NMS 和普通的 NMS" gave 普通, and the notes' 普通参数 lines)."""
    return [n for n in coverage.untreated if coverage.names.get(n) == "passing"
            and not (is_han(n[0]) and len(n) < MIN_HAN_NAME)]
