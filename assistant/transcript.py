"""A conversation as a Markdown file the student can keep: questions, answers, sources.

The chat page exports it; anything that holds ``Answer``s and ``Comparison``s can.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from assistant.compare import Comparison
from assistant.explain import Answer

Exchange = tuple[str, Answer | Comparison]


def transcript_markdown(exchanges: Sequence[Exchange], when: datetime | None = None) -> str:
    """``# Study session`` then, per exchange, the question, the answer and its sources.

    >>> from assistant.retrieval import Citation
    >>> c = Citation(1, 7, "/notes/a.md", "ML > L2", 3, 9)
    >>> a = Answer("什么是L2？", "zh", "L2 惩罚权重平方[1]。", (c,), True, True)
    >>> print(transcript_markdown([("什么是L2？", a)], datetime(2026, 1, 2, 3, 4)))
    # Study session — 2026-01-02 03:04
    <BLANKLINE>
    ## 什么是L2？
    <BLANKLINE>
    L2 惩罚权重平方[1]。
    <BLANKLINE>
    Sources:
    <BLANKLINE>
    - [1] a.md:3-9 — ML > L2
    <BLANKLINE>
    """
    when = when or datetime.now()
    lines = [f"# Study session — {when:%Y-%m-%d %H:%M}", ""]
    for question, reply in exchanges:
        lines += [f"## {question.strip()}", ""]
        if isinstance(reply, Comparison):
            lines += [reply.markdown(), ""]
            continue
        lines += [reply.text.strip(), ""]
        if reply.notice:
            lines += [f"_{reply.notice}_", ""]
        for mention in reply.mentions:  # a refusal's: where the notes name it in passing
            lines += [f"Mentioned in passing, {mention.location()}:", ""]
            lines += [f"> {q.line}: {q.text}  " for q in mention.lines] + [""]
        if reply.unsupported:
            lines += ["Not supported by the notes:", ""]
            lines += [f"- {sentence}" for sentence in reply.unsupported] + [""]
        sources = reply.citations or reply.nearest_topics
        if sources:
            lines += ["Sources:" if reply.citations else "Nearest topics:", ""]
            lines += [f"- {citation.label()}" for citation in sources] + [""]
    return "\n".join(lines)
