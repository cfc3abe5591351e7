"""The section holding a part titled with what the question names is read and quoted first.

"Leaky ReLU 是什么？" over the sample notes: the search ranks first the CNN section whose layers
use ReLU, and second the section on activation functions, whose answer has a part of its own
titled "**4. Leaky ReLU函数**". The quote comes from the first section and the 1.5B model
answers from the passage it reads first, so the student got the CNN's layers. A title naming a
subject of the question (``subjects.subject_terms``) in full is the notes saying where the
answer is: that section goes first, its order otherwise kept.
"""

from __future__ import annotations

from assistant.extractive import named_parts, part_title, title_rank, titled_parts
from assistant.passage_extra import same_section
from ground.records import Hit


def titled_for(text: str, question: str) -> str | None:
    """The title of the first part of ``text`` titled with a subject of the question ("4. Leaky
    ReLU函数" for "Leaky ReLU 是什么？"); else None."""
    lines = text.split("\n")
    named = named_parts(titled_parts(lines), lines, question)
    return part_title(lines[named[0]]) if named else None


def named_first(chosen: list[Hit], question: str) -> list[Hit]:
    """``chosen`` (``explain.choose_passages``: each section's chunks together) with the
    section a part title names moved to the front (of several, the one whose title names
    least besides: ``extractive.title_rank``); unchanged when none is.

    >>> from ground.records import Chunk
    >>> def hit(i, heading, text):
    ...     return Hit(Chunk(i, 1, "/n/a.md", "a", ("a", heading), 1, 9, 0, len(text), text,
    ...                      "h"), 1.0)
    >>> cnn = hit(1, "CNN", "卷积层，激活函数为 ReLU。")
    >>> act = hit(2, "激活函数",
    ...           "包括：\\n**1. Sigmoid 函数**\\n- S 形。\\n**4. Leaky ReLU函数**\\n- 小斜率。")
    >>> [h.chunk.id for h in named_first([cnn, act], "Leaky ReLU 是什么？")]
    [2, 1]
    """
    titles = [titled_for(hit.chunk.text, question) for hit in chosen]
    named = [i for i, title in enumerate(titles) if title is not None]
    if not named:
        return chosen
    best = chosen[min(named, key=lambda i: title_rank(titles[i]))]
    section = [h for h in chosen if same_section(h, best)]
    return section + [h for h in chosen if h not in section]
