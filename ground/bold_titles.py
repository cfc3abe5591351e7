"""A line that is all bold -- a heading in all but its markup.

Notes often title the parts of an answer in bold instead of with ``#``: the sample notes'
metrics ("**4. F1 分数（F1 Score）**" over its 作用 / 计算公式 / 适用场景 bullets), a label
("**解析：**"). Coverage counts a name in such a title as in a heading; the quote takes the part
a question names.

>>> bold_title("**4. Leaky ReLU函数**"), bold_title("  **解析：**"), bold_title("用 **ReLU** 替换")
('4. Leaky ReLU函数', '解析：', None)
>>> bold_titles("**1. 准确率**\\n- 预测对的比例。\\n**2. 召回率**")
['1. 准确率', '2. 召回率']
"""

from __future__ import annotations

import re

from ground.headings import strip_numbering

TITLE_CHARS = 40  # a bold line longer than this is a sentence in bold, not a title

_BOLD_LINE = re.compile(r"^[ \t]*\*\*([^*\n]{1," + str(TITLE_CHARS) +
                        r"}?)[ \t]*\*\*[ \t]*[：:]?[ \t]*$")


def bold_title(line: str) -> str | None:
    """The text of ``line`` when the whole line is bold (a colon after it aside); else None."""
    match = _BOLD_LINE.match(line)
    return match.group(1).strip() if match else None


def bold_titles(text: str) -> list[str]:
    """The bold titles among the lines of ``text``, in order."""
    return [title for title in map(bold_title, text.split("\n")) if title]


_BOLD_HEAD = re.compile(r"^[ \t]*(?:[-*+•][ \t]+|\d{1,2}[.、)][ \t]*)?\*\*([^*\n]{1,60}?)\*\*")
_ASIDE = re.compile(r"[（(]([^（()）\n]{1,40})[)）]")


def after_label(line: str) -> str:
    """What ``line`` says after the bold label it opens with (all of it when it opens with
    none): "" for "- **AlexNet**", "控制遗忘。" for "- **遗忘门：** 控制遗忘。"."""
    match = _BOLD_HEAD.match(line)
    return line[match.end():].strip(" \t:：.。,，") if match else line


def bold_labels(text: str) -> list[str]:
    """The names the lines of ``text`` open with in bold, as a list item or a paragraph
    ("* **Mode Collapse**. By this term…", "- **False Negative (FN):** …", "- **遗忘门（Forget
    Gate）：** …"): the label without its numbering, colon or stop, and what a bracket beside
    it gives as its other name.

    >>> bold_labels("- **遗忘门（Forget Gate）：** 控制遗忘。\\n* **RIGHT (OUTER) JOIN**: all\\n"
    ...             "用 **x** 算")
    ['遗忘门', 'Forget Gate', 'RIGHT JOIN', 'OUTER']
    """
    labels: list[str] = []
    for line in text.split("\n"):
        match = _BOLD_HEAD.match(line)
        if match is None:
            continue
        label = strip_numbering(match.group(1))
        asides = _ASIDE.findall(label)
        name = " ".join(_ASIDE.sub(" ", label).split()).strip(" ：:.。,，")
        labels += [name] * bool(name) + [aside.strip() for aside in asides if aside.strip()]
    return labels
