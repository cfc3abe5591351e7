"""The key points of a reference answer, and which of them a student's answer states.

A reference's points are its lines (list items, numbering dropped) or, in a one-line reference,
its sentences; lead-in lines ("包括以下几种：") are not points. A point is stated when the answer
names its head term ("数据预处理" of "数据预处理：确保数据质量…") or shares enough of its content
(character bigrams for Chinese, words for other scripts). The measure is lexical on purpose: it
only ever lowers a verdict (a point nowhere in the answer is missing), never raises one; whether
what the answer says is *right* stays the model's call.

>>> points = key_points("L1 正则化使权重稀疏；L2 正则化使权重变小。")
>>> points
['L1 正则化使权重稀疏', 'L2 正则化使权重变小。']
>>> covered_points(points, "L1 会让权重稀疏")
[True, False]
"""

from __future__ import annotations

import re

from ground.sentences import split_sentences

STATED_FROM = 0.3  # share of a point's bigrams/words the answer must contain
HEAD_STATED_FROM = 0.6
MIN_POINT_CHARS = 4
_NUMBERING = re.compile(r"^\s*(?:\d+[.、)）]|[-*+•])\s*")
_HEAD = re.compile(r"^([^：:，,。]{2,16})[：:]\s*\S")


def key_points(reference: str) -> list[str]:
    lines = [_NUMBERING.sub("", line).replace("**", "").strip()
             for line in reference.splitlines()]
    lines = [line for line in lines if line and not re.search(r"[：:]$", line)]
    if len(lines) == 1:
        lines = [part.strip() for sentence in split_sentences(lines[0])
                 for part in re.split(r"[；;]", sentence)]
    points = [line for line in lines if len(re.sub(r"\W", "", line)) >= MIN_POINT_CHARS]
    return points or [reference.strip()]


def covered_points(points: list[str], answer: str) -> list[bool]:
    """Per point, whether ``answer`` states it. Points are told apart by what only they say:
    in "L1 惩罚绝对值；L2 惩罚平方" the shared "惩罚" counts for neither."""
    said = _units(answer)
    every = [_units(point) for point in points]
    covered = []
    for index, point in enumerate(points):
        others = set().union(*(units for i, units in enumerate(every) if i != index))
        own = every[index] - others or every[index]
        covered.append(_stated(point, own, said))
    return covered


def _stated(point: str, own: set[str], said: set[str]) -> bool:
    head = _HEAD.match(point)
    if head and _recall(_units(head.group(1)), said) >= HEAD_STATED_FROM:
        return True
    return _recall(own, said) >= STATED_FROM


def _recall(wanted: set[str], said: set[str]) -> float:
    return len(wanted & said) / len(wanted) if wanted else 1.0


def _units(text: str) -> set[str]:
    """Character bigrams of each Chinese run, and lower-case words of everything else."""
    text = text.lower()
    units = {word for word in re.findall(r"[a-z0-9]+", text)}
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        units |= {run[i:i + 2] for i in range(len(run) - 1)} or {run}
    return units
