"""What kind of passage a chunk is, judged from its shape: an answer, or something that only
looks like one to a search engine.

Real notes hold passages that share a topic's words but answer nothing: a chapter's
``## 参考文献`` list (author names, paper titles full of the topic's English terms), a textbook's
``## Exercises``, a question heading whose answer was never written, a ``[TOC]`` line or a list of
links. Embeddings put such passages close to every query on the topic (and, being mostly Latin
text, close to queries in the other language of a bilingual library), so they crowd real answers
out of the first places. ``shape_of`` recognises them by their form alone; the ranker multiplies
their score by ``PRIOR[shape]`` so they sink below passages that answer (see ``index.fusion``).

>>> shape_of(("第六章 RNN", "参考文献"), "## 参考文献\\n[1] Graves A. Sequences[J]. 2013.")
'references'
>>> shape_of(("Dropout", "Exercises"), "## Exercises\\n1. What happens if you change p?")
'exercises'
>>> shape_of(("第十六章 NLP", "16.8 怎么加注意力？"), "## 16.8 怎么加注意力？")
'no_prose'
>>> shape_of(("Adam", "Summary"), "Adam combines momentum with per-coordinate scaling.")
'summary'
>>> shape_of(("Adam", "The Algorithm"), "Adam uses leaky averages of the gradient.")
'answer'

A textbook's ``## Summary`` (小结, 总结) restates every section of its chapter in a few lines, so
it lies near every question on the chapter and outranks the section that explains the point;
it keeps 0.7 of its score (0.5 and 0.6 measured the same on both dev sets, 0.8 let two
summaries back above their sections).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

ANSWER, REFERENCES, EXERCISES, NO_PROSE, LINKS, SUMMARY = (
    "answer", "references", "exercises", "no_prose", "links", "summary")

PRIOR = {ANSWER: 1.0, REFERENCES: 0.5, EXERCISES: 0.5, NO_PROSE: 0.5, LINKS: 0.5, SUMMARY: 0.7}
"""Score multiplier per shape. 0.5 puts a demoted passage below any answer that scores at least
half as well: the fused scores of real answers in the top 10 lie in 0.55-1.0 and their cosines in
0.80-0.95, so demoted passages fall out of the top places without being removed (a student who
searches for "参考文献" still finds the list). Measured on both dev sets (benchmarks/results/
retrieval_dev2.md): factors 0.3-0.7 give the same Hit@1 on either set."""

_NUMBERING = re.compile(r"^[\s#*_]*(?:第?[\d一二三四五六七八九十]+[章节.、．)]?[\d.]*\s*)?")
_REFERENCE_HEADING = re.compile(
    r"^(?:参考文献|参考资料|参考链接|参考|引用|文献|references?|bibliography|further reading|"
    r"citations?|works cited|sources)\s*[:：]?$", re.IGNORECASE)
_EXERCISE_HEADING = re.compile(
    r"^(?:exercises?|problems?|problem set|练习|习题|练习题|思考题|课后练习|课后习题|作业)"
    r"\s*[:：]?$", re.IGNORECASE)
_SUMMARY_HEADING = re.compile(
    r"^(?:summary|summary and discussion|chapter summary|recap|key takeaways|takeaways|"
    r"小结|总结|本章小结|本节小结|本章总结|本节总结)\s*[:：]?$", re.IGNORECASE)
_HEADING_LINE = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_LINK_OR_IMAGE = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\([^)]*\)")
_CITE_KEY = re.compile(r":cite[pt]?:`[^`]*`")
_MARKUP_LINE = re.compile(r"^\s*(?:\[TOC\]|:\w+:`[^`]*`|<[^>]+>|[-=*_]{3,})\s*$", re.IGNORECASE)
_CITATION_START = re.compile(r"^\s*(?:\[\d+\]|\d+[.)]\s|[-*]\s)")
_CITATION_MARK = re.compile(
    r"(?:\b(?:19|20)\d\d\b|et al\.?|\[[JCMDRSNZ]\]|arxiv|doi|proceedings|journal|conference|"
    r"pp\.|vol\.|https?://)", re.IGNORECASE)
_WORD_CHARS = re.compile(r"[\u3400-\u9fff]|[A-Za-z]{2,}")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\[.*?\\\]", re.DOTALL)

MIN_PROSE = 12
"""A chunk whose prose (outside headings, formulas, links, images and markup lines) is shorter
than this (CJK characters, plus two per Latin word: about one short sentence either way) says
nothing a student could read as an answer: a question heading with no answer under it, a
figure, a run of formulas cut from its section."""


def shape_of(heading_path: Sequence[str], text: str) -> str:
    """``answer`` or the kind of non-answer the chunk is (see ``PRIOR``)."""
    heading = _bare(heading_path[-1]) if heading_path else ""
    if _REFERENCE_HEADING.match(heading):
        return REFERENCES
    if _EXERCISE_HEADING.match(heading):
        return EXERCISES
    if _SUMMARY_HEADING.match(heading):
        return SUMMARY
    lines = [line for line in text.splitlines() if line.strip()]
    body = [line for line in lines if not _HEADING_LINE.match(line)]
    prose = _MATH.sub(" ", "\n".join(line for line in body if not _MARKUP_LINE.match(line)))
    if _prose_size(_LINK_OR_IMAGE.sub(" ", _URL.sub(" ", prose))) < MIN_PROSE:
        return LINKS if any(_URL.search(line) or "[TOC]" in line for line in body) else NO_PROSE
    if len(body) >= 2 and _mostly_citations(body):
        return REFERENCES
    if _mostly_links(body):
        return LINKS
    return ANSWER


def prior_of(heading_path: Sequence[str], text: str) -> float:
    return PRIOR[shape_of(heading_path, text)]


def _prose_size(text: str) -> int:
    return len(_WORD_CHARS.findall(text)) + len(_LATIN_WORD.findall(text))


def _bare(heading: str) -> str:
    """A heading without its numbering ("3.13 ", "第七章 ") and emphasis."""
    return _NUMBERING.sub("", heading).strip().strip("*_：: ").strip()


def _mostly_citations(lines: list[str]) -> bool:
    """Most lines are numbered or bulleted entries with a year, "et al.", a [J]-style type mark,
    a venue or a URL (a citation key of the prose, ``:cite:`Kingma.Ba.2014```, is not one)."""
    cited = sum(1 for line in lines
                if _CITATION_START.match(line) and _CITATION_MARK.search(_CITE_KEY.sub("", line)))
    return cited * 2 >= len(lines)


def _mostly_links(lines: list[str]) -> bool:
    """Most lines are a URL or a link (not an image) with at most a few words around it."""
    linked = 0
    for line in lines:
        rest = _LINK_OR_IMAGE.sub("", _URL.sub("", line))
        if (_URL.search(line) or _LINK.search(line)) and _prose_size(rest) <= 6:
            linked += 1
    return linked * 2 > len(lines)
