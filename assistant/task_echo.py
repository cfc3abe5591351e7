"""What a small model copied of its own task into its reply.

A 1.5B model sometimes writes its instructions out: an explanation opened with
"第一句直接回答：", and a quote's translation came back as the task's own words,
"保留其中每个要点和例子，不添加任何内容，术语用该领域的标准中文译名。", shown citing the notes
(r55 dev7:c17).
"""

from __future__ import annotations

import re

_CLAUSE = re.compile(r"[^，。；：:,;！？\n（）()]{6,}")
_SENTENCE_LABEL = re.compile(r"^[ \t]*(?:第[一二三四五]句|first sentence)[：:][ \t]*",
                             re.MULTILINE | re.IGNORECASE)  # the task's "第一句" as a label


def without_echo(text: str, task: str) -> str:
    """``text`` without the clauses of the task it copied ("第一句直接回答："): a small model
    sometimes writes its instructions into the answer. An echo that opens the answer is
    dropped; one after an answer ends it: what follows is the model writing out its prompt
    again ("…不遗漏，如[1]。问题：如何进行多任务微调？"), not an answer.

    >>> without_echo("第一句直接回答：它会变慢[1]。", "第一句直接回答，然后写要点。")
    '它会变慢[1]。'
    >>> task = "资料[1]是最相关的笔记。请回答：不遗漏，如[1]。\\n问题："
    >>> without_echo("第一句：它会变慢[1]。\\n资料[1]是最相关的笔记。问题：为什么？", task)
    '它会变慢[1]。'
    """
    text = _SENTENCE_LABEL.sub("", text)
    clauses = task_clauses(task)
    while True:
        found = [(text.find(c), c) for c in clauses if c in text]
        if not found:
            return text
        start, clause = min(found)
        if text[:start].strip():
            return text[:start].rstrip()
        text = re.sub(re.escape(clause) + r"[，。；：:,;]?\s*", "", text, count=1)


def task_clauses(task: str) -> list[str]:
    """The task's clauses of six characters or more, longest first."""
    return sorted({c.strip() for c in _CLAUSE.findall(task) if len(c.strip()) >= 6},
                  key=len, reverse=True)


def echoes(line: str, task: str) -> bool:
    """``line`` is the task's clauses and little else (fewer than four word characters).

    >>> task = "逐行翻译成简体中文。只翻译：保留其中每个要点和例子，不添加任何内容。"
    >>> echoes("保留其中每个要点和例子，不添加任何内容[1]。", task)
    True
    >>> echoes("保留每个要点：dropout 会把一些神经元置零。", task)
    False
    """
    rest = line
    for clause in task_clauses(task):
        rest = rest.replace(clause, "")
    return rest != line and len(re.findall(r"[^\W\d]", re.sub(r"\[\d+\]", "", rest))) < 4
