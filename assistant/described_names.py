"""A question that describes a technique without naming it, refused when the notes never name it.

"有一种聚类方法不用事先指定簇的个数，而是看每个点周围有多密集，把密集区域连成簇…这是什么算法？"
names nothing the coverage check can look up, and its words (聚类, 簇, 密集, 噪声) are the words
of any clustering section: over notes that never mention DBSCAN it was answered from the k-means
lines. Words and e5 closeness do not tell such a question from a covered paraphrase (session
45, ``answers_runs/descshare_s45.py.txt``). The model does know the name: asked for it, with
three examples of the reply's form, it says "DBSCAN / 基于密度的聚类"; the library never writes
either, so the question is refused for that name, like a question that names it.

Asked for a question judged covered that names no subject the notes treat (``Coverage.names``;
"梯度裁剪的阈值怎么选？" asks of 梯度裁剪, and was refused for the model's "gradient clipping
threshold" when every covered question was asked), after the quote is out: one model call in the
reply's preparation, median 0.75 s, 90th percentile 1.9 s over the 401 questions measured;
"NONE" for most. A reply that is not a name in both languages ("English / 中文", a few words
each) judges nothing: the model also answers with a phrase of the question, a description ("mean
and variance of the mini-batch") or a list of parts; unchecked, such replies would have refused
12 of the 198 covered held-out questions the product answers, checked 1 (dev5:c23
"reparameterization trick"; and dev2:c9 "dropout rate" on the tuned dev2: both kept by the next
test). A name counts as the notes' when the library mentions either form at all
(``coverage.name_status`` not "absent") or a passage holds each word of its English form in some
form (``mentioned_in_other_words``), so a wrong Chinese rendering or another word order alone
does not refuse. The refusal names the English form, which the model gets right more often
("residual connection", not its "段连接"), and says the name is the model's (``Coverage.reason``
"described name"): the student never wrote it. Replayed on the 401 questions the seven sets'
libraries answer, asking every covered question: 10 more held-out near-domain questions refused,
no covered question of any set lost; skipping those that name a treated subject drops 2 of the
10 (dev6:u24, dev7:u15, whose treated subject was the generic "训练" of "训练时…": a clause that
only says when names no subject now, ``subjects.subject_terms``).

>>> named_forms("DBSCAN / 基于密度的聚类"), named_forms("混合精度训练 / 混合精度训练")
(['DBSCAN', '基于密度的聚类'], ['混合精度训练'])
>>> named_forms("NONE"), named_forms("forget gate / 遗忘门 / 输入门"), named_forms("沿用训练集的")
([], [], [])
>>> named_forms("mean and variance of each mini-batch / 小批量的均值和方差")
[]
>>> named_forms("teacher forcing / 教师强迫法 / 会带来过拟合问题")
['teacher forcing', '教师强迫法']
>>> named_forms("teacher forcing / 教师强迫法，会带来过拟合问题。")
['teacher forcing', '教师强迫法']
>>> named_forms("forget gate / 遗忘门, input gate / 输入门")
[]
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.coverage import Coverage, name_status
from assistant.generator import Generator, Message, Prompt
from assistant.language import is_han
from assistant.prompts import SYSTEM
from assistant.retrieval import Retriever

TASK = ("A student asks the question below about their study notes. If it asks about one "
        "specific technique, method, model, metric or concept, give that thing's standard name "
        "in English and in Chinese, as: English name / 中文名. If it asks about two or more "
        "things, or no specific thing, reply NONE. Reply with the name only.")
EXAMPLES = (
    ("What's the method that keeps a running average of past gradients so descent speeds up "
     "along consistent directions?", "momentum / 动量法"),
    ("卷积网络里那种把特征图缩小、只保留每个区域最大值的层叫什么？", "max pooling / 最大池化"),
    ("决策树和神经网络各有什么优缺点？", "NONE"),
)
"""The reply's form by example; general topics, none of them a question of a dev set."""
MAX_NAME_TOKENS = 24
MAX_ENGLISH_WORDS = 4  # "mean and variance of each mini-batch" is a description, not a name
MAX_CHINESE_CHARS = 10
MIN_STEM_CHARS = 4  # "clip" of clipping; shorter stems ("rat" of rate) match too much
NAME_SEARCH_HITS = 10
_MINOR_WORDS = frozenset("the and for with via from into".split())
_ENGLISH = re.compile(r"[A-Za-z][A-Za-z0-9\- ]*[A-Za-z0-9]")
_CHINESE = re.compile(r"[\u3400-\u9fffA-Za-z0-9\- ]+")


def name_prompt(question: str) -> Prompt:
    (first, first_name), *rest = EXAMPLES
    messages = [SYSTEM, Message("user", f"{TASK}\n\n{first}"), Message("assistant", first_name)]
    for asked, name in rest:
        messages += [Message("user", asked), Message("assistant", name)]
    messages.append(Message("user", question))
    return Prompt(tuple(messages), max_tokens=MAX_NAME_TOKENS)


def named_forms(reply: str) -> list[str]:
    """The names of a reply "English / 中文" (the model often writes the Chinese name twice for
    a Chinese question), English first; [] for anything else."""
    first = next((line.strip() for line in reply.splitlines() if line.strip()), "")
    name, rest = _split_rest(first)
    parts = [part.strip(" .。`*\"'") for part in name.split("/")]
    if len(parts) > 2 and all(_SAYS.search(part) for part in parts[2:]):
        parts = parts[:2]  # "teacher forcing / 教师强迫法 / 会带来过拟合问题": the rest answers
    if rest and not _SAYS.search(rest):
        return []  # "forget gate / 遗忘门, input gate / 输入门": names two things
    if len(parts) != 2 or not all(_is_name(part) for part in parts):
        return []
    return sorted(dict.fromkeys(parts), key=lambda part: not part.isascii())


_REST = re.compile(r"[，,；;。]")
_SAYS = re.compile(r"会|是|能|可以|可能|导致|带来|用于|用来|\b(?:is|are|can|causes?|leads?)\b")


def _split_rest(line: str) -> tuple[str, str]:
    """A reply line cut at its first comma or full stop: the name, and what the model went on
    to say ("teacher forcing / 教师强迫法，会带来过拟合问题。")."""
    cut = _REST.search(line)
    return (line, "") if cut is None else (line[:cut.start()], line[cut.end():].strip(" 。."))


def _is_name(part: str) -> bool:
    if part.isascii():
        return bool(_ENGLISH.fullmatch(part)) and len(part.split()) <= MAX_ENGLISH_WORDS
    return bool(_CHINESE.fullmatch(part)) and any(is_han(c) for c in part) and \
        len(part) <= MAX_CHINESE_CHARS


MIN_WRITTEN_CHARS = 3  # a shorter run of Han characters ("网络", "训练") names no one thing


def written_in(form: str, question: str) -> list[str]:
    """The longest runs of the Chinese ``form`` (at least ``MIN_WRITTEN_CHARS``) that the
    question writes itself: the student named the thing, and the model's form only adds to it.
    Asked "…残差网络是怎么解决这个问题的？", the model said "residual network / 段残差网络"; the
    notes' heading is "残差网络ResNet", and the question was refused for a name it never
    described (dev8:c9).

    >>> written_in("段残差网络", "网络变深效果变差了，残差网络是怎么解决的？")
    ['残差网络']
    >>> written_in("知识蒸馏", "用大模型的软概率指导小模型训练，这叫什么？")
    []
    """
    if form.isascii():
        return []
    runs: list[str] = []
    for size in range(len(form), MIN_WRITTEN_CHARS - 1, -1):
        for start in range(len(form) - size + 1):
            part = form[start:start + size]
            if all(is_han(c) for c in part) and part in question and \
                    not any(part in run for run in runs):
                runs.append(part)
    return runs


def mentioned_in_other_words(name: str, retriever: Retriever) -> bool:
    """Some passage holds every word of the English ``name`` in some form (the first letters
    of each, its inflection and word order aside): asked what "把梯度按范数缩放到一个上限以内"
    is called, the model says "clip gradient", and the sample notes write "Gradient
    Clipping"."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", name)
             if w.lower() not in _MINOR_WORDS]
    if not words:
        return False
    stems = [w[: max(MIN_STEM_CHARS, len(w) - 3)] for w in words]
    return any(all(stem in hit.chunk.text.lower() for stem in stems)
               for hit in retriever.search(" ".join(words), k=NAME_SEARCH_HITS, mode="lexical"))


def judged_by_name(question: str, coverage: Coverage, generator: Generator,
                   retriever: Retriever, profile) -> Coverage:
    """``coverage``, or a refusal for the name of what ``question`` describes when the model
    names one and the library mentions neither of its forms. A name the question writes itself
    is judged too: the subject frames miss some ("做聚类的时候，怎么确定应该分成几个簇？肘部法则是
    怎么回事？" names no subject in its first clauses)."""
    if not coverage.covered or not generator.available or \
            "treated" in coverage.names.values():  # it names what the notes treat: asks of it
        return coverage
    forms = named_forms(generator.complete(name_prompt(question)))
    if not forms or any(name_status(form, retriever, profile) != "absent" for form in forms) or \
            any(mentioned_in_other_words(form, retriever) for form in forms if form.isascii()) \
            or any(name_status(part, retriever, profile) != "absent"
                   for form in forms for part in written_in(form, question)):
        return coverage
    return replace(coverage, covered=False, untreated=(forms[0],), reason="described name",
                   names=coverage.names | {forms[0]: "absent"})
