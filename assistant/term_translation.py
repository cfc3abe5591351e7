"""A subject name translated on its own, as a term, so notes that write it in their other
language are found to treat it.

"门控循环单元里的更新门和重置门分别决定什么？" over notes that say "GRU (Gated Recurrent Unit)" was
refused: 门控循环单元 is never written, and the model's translation of the whole question said
"gate control loop unit". Asked for the one term, with three examples of the reply's form (not
topics of any library), the same model gives "GRU (Gated Recurrent Unit)"; 梯度裁剪 gives
"gradient clipping", 自适应矩估计 "adaptive moment estimation (Adam)". Asked with the question as
context, it named the broader thing around the term (门控循环单元 -> "recurrent neural network"),
so the term goes alone.

A name the notes never treat stays refused whatever the model calls it: only a translation the
notes *treat* (``coverage.name_status``: in a heading, a definition, three times in a passage)
covers the name, so a wrong translation ("bundle search" for 束搜索) costs a wrong refusal, not
a wrong answer. A heading that merely stands out for the translation (``heading_lead``, which
keeps a phrase the student wrote) is not enough: "dot-product attention" and "conditional
generative adversarial network" are close to any attention or GAN heading, and 2 held-out
near-domain questions were answered that way (benchmarks/results/answers.md, session 30).

>>> term_forms("GRU (Gated Recurrent Unit)", "en", "门控循环单元")
['Gated Recurrent Unit']
>>> term_forms("梯度裁剪（gradient clipping）", "zh", "gradient clipping")
['梯度裁剪']
>>> term_forms("门控循环单元", "en", "门控循环单元")
[]
"""

from __future__ import annotations

import re

from assistant.coverage import name_status
from assistant.generator import Generator, Message, Prompt
from assistant.language import is_han
from assistant.prompts import SYSTEM
from assistant.retrieval import Retriever

TASK = {
    "en": ("Below is a technical term from a student's question about their study notes. Give "
           "its standard English name in the field, with its usual abbreviation in brackets if "
           "it has one. Reply with the name only."),
    "zh": ("下面是学生就学习笔记提问时用到的一个技术术语。给出它在该领域标准的中文译名，"
           "如有常用缩写，放在括号里。只输出译名。"),
}
EXAMPLES = {
    "en": (("卷积神经网络", "convolutional neural network (CNN)"),
           ("随机梯度下降", "stochastic gradient descent (SGD)"), ("交叉熵", "cross-entropy")),
    "zh": (("convolutional neural network", "卷积神经网络（CNN）"),
           ("stochastic gradient descent", "随机梯度下降（SGD）"), ("cross-entropy", "交叉熵")),
}
"""The reply's form shown by example: the model alone answered 束搜索 with "束搜索 (Bunseki)"
and 门控循环单元 with the characters again."""
MAX_TERM_TOKENS = 24
_FORM_SEPARATOR = re.compile(r"[()（）/,，;；、\[\]]")
_ABBREVIATION = re.compile(r"[A-Z0-9][A-Z0-9\-+]*s?")


def term_prompt(name: str, target: str) -> Prompt:
    (first, first_translated), *rest = EXAMPLES[target]
    messages = [SYSTEM, Message("user", f"{TASK[target]}\n\n{first}"),
                Message("assistant", first_translated)]
    for term, translated in rest:
        messages += [Message("user", term), Message("assistant", translated)]
    messages.append(Message("user", name))
    return Prompt(tuple(messages), max_tokens=MAX_TERM_TOKENS)


def term_forms(reply: str, target: str, name: str) -> list[str]:
    """The names in the reply's first line written in ``target``'s script, the student's own
    ``name`` left out, and so is an abbreviation: the model makes them up ("decision tree (DT)"
    for 决策树选划分特征, and dev6's notes use "DT" for something else)."""
    first = next((line.strip() for line in reply.splitlines() if line.strip()), "")
    forms = [part.strip(" .。\"'“”*`") for part in _FORM_SEPARATOR.split(first)]
    in_script = (lambda text: any(is_han(c) for c in text)) if target == "zh" else \
        (lambda text: text.isascii() and any(c.isalpha() for c in text))
    return list(dict.fromkeys(f for f in forms if f and f != name and in_script(f)
                              and not _ABBREVIATION.fullmatch(f)))


def treated_translation(generator: Generator, retriever: Retriever, name: str,
                        target: str) -> str | None:
    """A form of ``name`` in ``target`` that the notes treat as written, or None: not by the
    library's initials of capitalized words (``LibraryProfile.acronyms``), which spell names
    the notes never use ("Deep Convolutional Generative Adversarial Network" gives CGAN, so
    "conditional generative adversarial network" was treated)."""
    reply = generator.complete(term_prompt(name, target))
    return next((form for form in term_forms(reply, target, name)
                 if name_status(form, retriever) == "treated"), None)
