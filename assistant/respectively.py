"""Does a "分别" claim pair its things with the wrong roles? "遗忘门、输入门和输出门分别负责
控制当前LSTM单元的待输入信息、当前LSTM单元的待输出信息和当前LSTM单元的更新状态" (r56 dev7:c31)
names the three gates and three roles the passage names, so every term is found, but the
passage gives the input to the input gate, the output to the output gate and the state to the
forget gate: the sentence teaches the wrong mapping with a citation.

Judged only where it can be: a claim "X1、X2和X3分别…Y1、Y2和Y3" with as many Ys as Xs, each X
named alone on some line of the passage (its own bullet or sentence). A role's own words are its
Han bigrams that no other role has; the claim is struck when another pairing of roles and lines
shares more of them than the claim's own pairing does (ties keep the claim).
"""

from __future__ import annotations

import re
from itertools import permutations

_RESPECTIVELY = re.compile(r"(?P<things>[^，,。；;：:！？]*?)分别(?P<roles>[^，,。；;！？]*)")
_SEPARATOR = re.compile(r"、|和|与|及|以及|或")
_HAN_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")
_NOISE = re.compile(r"[*`$]")
_MAX_ITEMS = 5


def _items(text: str) -> list[str]:
    return [item.strip() for item in _SEPARATOR.split(text) if item.strip()]


def _respectively_parts(claim: str) -> list[tuple[list[str], list[str]]]:
    """(things, roles) of each "…分别…" in ``claim``, as written (markup left out)."""
    return [(_items(match.group("things")), _items(match.group("roles")))
            for match in _RESPECTIVELY.finditer(_NOISE.sub("", claim))]


def _bigrams(text: str) -> set[str]:
    return set(_HAN_PAIR.findall(text))


def _own_line(thing: str, others: list[str], lines: list[str]) -> str | None:
    """The passage's lines naming ``thing`` and none of ``others``, joined (None when none)."""
    own = [line for line in lines if thing in line and not any(o in line for o in others)]
    return "\n".join(own) or None


def mismatched_respectively(claim: str, passage: str) -> bool:
    """The claim's "分别" pairs roles with things differently from the passage's own lines.

    >>> passage = ("* 输入门：控制当前时刻的输入信息需要向状态向量中注入哪些信息。\\n"
    ...            "* 遗忘门：控制前一时刻的状态向量需要被遗忘哪些信息。\\n"
    ...            "* 输出门：控制当前时刻的状态向量需要对外输出哪些信息。")
    >>> mismatched_respectively("遗忘门、输入门和输出门分别负责控制待输入信息、"
    ...                         "待输出信息和更新状态。", passage)
    True
    >>> mismatched_respectively("输入门、遗忘门和输出门分别控制注入的输入信息、"
    ...                         "遗忘的信息和对外输出的信息。", passage)
    False
    >>> mismatched_respectively("三个门分别控制信息。", passage)
    False
    """
    lines = _NOISE.sub("", passage).split("\n")
    for things, roles in _respectively_parts(claim):
        if not 2 <= len(roles) <= _MAX_ITEMS or len(things) < len(roles):
            continue
        things = things[-len(roles):]
        if len(things) > 1:  # "LSTM的遗忘门" names 遗忘门: its longest tail in the notes
            things = [_tail_in(thing, passage) for thing in things]
        if any(t is None for t in things) or len(set(things)) < len(things):
            continue
        contexts = [_own_line(t, [o for o in things if o != t], lines) for t in things]
        if any(c is None for c in contexts):
            continue
        role_words = [_bigrams(role) for role in roles]
        own = [words - set().union(*(w for j, w in enumerate(role_words) if j != i))
               for i, words in enumerate(role_words)]
        scores = [[len(own[r] & _bigrams(contexts[t])) for t in range(len(things))]
                  for r in range(len(roles))]
        claimed = sum(scores[r][r] for r in range(len(roles)))
        best = max(sum(scores[r][p[r]] for r in range(len(roles)))
                   for p in permutations(range(len(things))))
        if best > claimed:
            return True
    return False


def mismatched_in(claim: str, passages: list[str]) -> list[bool]:
    """Per passage: it pairs the claim's things with other roles (``mismatched_respectively``),
    or another passage does and this one does not name all the things, so it cannot stand behind
    the pairing either (r57b dev7:c31: struck against the gates' bullets, the claim was moved to
    the next chunk, the formulas of 待输入信息 and 更新状态, which names no gate, then to the one
    after, which names the output gate only).

    >>> gates = ("* 输入门：控制注入哪些输入信息。\\n* 遗忘门：控制遗忘哪些信息。\\n"
    ...          "* 输出门：控制输出哪些信息。")
    >>> claim = "遗忘门、输入门和输出门分别控制待输入信息、待输出信息和遗忘的信息。"
    >>> mismatched_in(claim, [gates, "待输入信息经 tanh 得到，再更新状态。", "输出门控制输出。",
    ...                       "遗忘门、输入门和输出门的公式。"])
    [True, True, True, False]
    """
    turned = [mismatched_respectively(claim, passage) for passage in passages]
    if not any(turned):
        return turned
    things = [thing for written, _ in _respectively_parts(claim) for thing in written]
    return [turn or not all(_tail_in(thing, passage) for thing in things)
            for turn, passage in zip(turned, passages, strict=True)]


def _tail_in(thing: str, passage: str) -> str | None:
    for start in range(len(thing) - 1):
        if thing[start:] in passage:
            return thing[start:]
    return None


_CLAUSE = re.compile(r"[，,；;。！？!?\n]")


def unnamed_subject_in(claim: str, question: str, passages: list[str]) -> list[bool]:
    """Per passage: a clause of the claim is about one of the things the question asks about
    "分别" (the clause opens with it: "输出门负责…"), and the passage never names that thing
    while another of the prompt's passages does: the clause's words may all be this passage's,
    but not about that thing. r63 dev7:c31 wrote "遗忘门负责…，输入门负责…，输出门负责将两者的
    结果进行相加" citing lstm.md:70-76, which says "最后将两者的结果进行相加" of the state update
    and names no gate; the gates' own bullets (lines 52-56) say the output gate controls what
    the state puts out. A thing no passage names (the question's own word for it) is not judged.

    >>> update = "对遗忘的状态和待输入信息有选择地保留，最后将两者的结果进行相加。"
    >>> question, gates = "LSTM里，遗忘门、输入门和输出门分别负责什么？", "* 输出门：控制输出"
    >>> unnamed_subject_in("输出门负责将两者的结果进行相加。", question, [update, gates])
    [True, False]
    >>> unnamed_subject_in("最后将两者的结果相加。", question, [update, gates])
    [False, False]
    """
    things = [thing for written, _ in _respectively_parts(question) for thing in written
              if len(thing) >= 2]
    if len(things) < 2:
        return [False] * len(passages)
    plain = [_NOISE.sub("", passage) for passage in passages]
    about = {thing for clause in _CLAUSE.split(_NOISE.sub("", claim)) for thing in things
             if clause.strip().startswith(thing)}
    named = {thing for thing in about if any(thing in passage for passage in plain)}
    return [any(thing not in passage for thing in named) for passage in plain]
