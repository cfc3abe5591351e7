"""The notes' quoted lines translated, for a question asked in the notes' other language.

An English question over Chinese notes (or the reverse) was answered by a free explanation in
the question's language, and the claim checker cannot check it: across languages it has only
the embedder's cosine, which barely tells a passage's point from a borrowed one (r13, sample:c12:
"In robotics, RL can help robots…", lead 0.033 over the background, was kept as a citation of a
passage that never names robotics, as were the lines that did come from it, leads 0.027-0.036).
Two judges counted every bad citation of that round on such answers.

So the explanation becomes a translation of the quote the student already sees: the 1.5B model
translates a few lines of its notes faithfully (sample:c1, c5, c10, c12 read by hand, 4-14 s on 2
cores), where asked to explain it pads with what it knows. Every line of the translation cites
the quote's passage; a line naming what the quote never names (a Latin name, an acronym, a
number) is dropped, and so are a line equating a thing with itself (``is_tautology``:
"各个导数的和等于各个导数的和" for "the sum of derivatives equals the derivative of the sum") and a
line cut by the token limit; a preface ("Sure, here is the translation"), the section's title
translated ("What is fine-tuning?") and a source line copied back are left out. A Chinese line
that pairs with an English line negating where it says nothing negative is dropped too
(``polarity.loses_negation``).

>>> from assistant.extractive import ExtractiveAnswer, QuotedLine
>>> from assistant.retrieval import Citation
>>> quote = ExtractiveAnswer(Citation(2, 7, "a.md", "RL", 1, 3, None),
...     (QuotedLine(1, "强化学习适用于游戏、自动驾驶等。"), QuotedLine(2, "例如 AlphaGo。")),
...     "answer")
>>> checked_translation("What is RL? It suits games and autonomous driving.\\n"
...                     "For example, AlphaGo and OpenAI Five.\\n</passage>", quote, "en")
('It suits games and autonomous driving[2].', ('For example, AlphaGo and OpenAI Five.',))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from assistant.citations import (
    LATIN_NAME,
    is_claim,
    is_tautology,
    renumber,
    with_marker,
    without_markers,
)
from assistant.extractive import BLOCK_FENCE, ENDS_SENTENCE, ExtractiveAnswer
from assistant.formula_lines import PROMPT_TAG, FormulaLayout, formula_layout, is_formula_line
from assistant.generator import Message
from assistant.language import detect_language
from assistant.loop_guard import unsaid
from assistant.opposite_terms import swaps_opposites
from assistant.polarity import loses_negation
from assistant.prompts import SYSTEM, compact, defuse, tag_section
from assistant.task_echo import echoes
from ground.fences import fenced_blocks
from index.cross_language import passage_language

TASKS = {
    "en": ("Translate passage [{n}], lines from the student's notes, into English, line by line, "
           "in the same order. Translate only: keep every point and example it gives, add "
           "nothing, and use the standard English term for each technical term. Reply with the "
           "translation only."),
    "zh": ("把资料[{n}]（学生笔记中的几行）逐行翻译成简体中文，顺序不变。"
           "只翻译：保留其中每个要点和例子，不添加任何内容，术语用该领域的标准中文译名。只回复译文。"),
}
NUMBERED_TASKS = {
    "en": ("Translate each numbered line of passage [{n}] into English. Keep the numbering: one "
           "numbered line of translation for each numbered line, in the same order. "
           "Translate only: add nothing. Reply with the translation only."),
    "zh": ("把资料[{n}]的每个编号行翻译成简体中文。保留编号：每个编号行译成一个编号行，顺序不变。"
           "只翻译，不添加任何内容。只回复译文。"),
}
"""For a quote of several formulas (``formula_lines``): its prose lines numbered, the formula
lines left out for the code to put back."""
MAX_TOKENS_PER_SOURCE_TOKEN = 2.5  # an English line is longer in tokens than its Chinese source
EXTRA_TOKENS = 40
_NUMBERING = re.compile(r"^\s*(?:[-*•]\s*|\d+[.、)）]\s*|[（(]\d+[)）]\s*)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_QUESTIONS = re.compile(r"^(?:\s*[^.!?。！？\n]*[?？])+\s*")  # the section title, translated
_ASKED = re.compile(r"(?:what (?:is|are) (?:an? |the )?|什么是)"
                    r"(?P<subject>[^?？]{2,60}?)\s*[?？]\s*$", re.IGNORECASE)
_PRONOUN = re.compile(r"^(?:(?:it|they)(?=\s)|它们|它)", re.IGNORECASE)  # not "It's", "Items"
_PREFACE = re.compile(r"\s*(?:[-*]\s*)?(?:sure\b|(?:好的|当然|ok(?:ay)?)\s*[，,。.!！]|here is|"
                      r"here's|below is|(?:the )?(?:english )?translation\b|以下是|下面是|译文)",
                      re.IGNORECASE)
_ANNOUNCES_TRANSLATION = re.compile(r".*(?:翻译|译成|译为|translat).*[：:]\s*$", re.IGNORECASE)
"""A line that introduces the translation ("学生笔记中的几行翻译成简体中文如下：")."""
_RESTATES_TASK = re.compile(r"(?:我将|我会|我来|i will|i'll|let me).{0,40}(?:翻译|译|translat)",
                            re.IGNORECASE)
"""A line that answers the task instead of doing it ("好的，我将逐行翻译资料中的内容，保留其中每个
要点和例子……": the whole reply of one translation, shown citing the notes)."""
_INTRODUCES = re.compile(r"[：:]\s*$")  # a line ending in a colon introduces what follows
_COMPLETE = re.compile(r"[。！？.!?:：；;）)\"”]\s*$")
_SAYS_A_WORD = re.compile(r"[^\W_]")  # a letter, digit or Han character


def needs_translation(quoted: ExtractiveAnswer | None, language: str) -> bool:
    """The quote is prose in another language than the question's (code, formulas and tables
    read the same in any language, and a marker would break them). Its language is its
    prose's (``passage_language``): a Chinese quote of formula images counted as English by
    their addresses and TeX, so an English question over it got no translation (r55 dev7:c7)."""
    return (quoted is not None and not quoted.keeps_its_form
            and passage_language(quoted.text) != language)


def source_text(quoted: ExtractiveAnswer) -> str:
    """The quoted lines as the model reads them: no Markdown marks, no images, no pointers
    back to the textbook's earlier pages, and a sentence written one clause a line as one line
    (the model translated d2l's "On the left,", "the portion within the dotted-line box", …
    line by line, and each fragment got its own marker, r45 dev2:c43), but never across lines
    the quote skips (``_paragraph_runs``).

    >>> from types import SimpleNamespace
    >>> from assistant.extractive import QuotedLine
    >>> lines = (QuotedLine(50, "- W：是相邻隐层h之间的权重矩阵"),
    ...          QuotedLine(52, "请注意参数是共享的。"))
    >>> source_text(SimpleNamespace(lines=lines, text="\\n".join(q.text for q in lines)))
    '- W：是相邻隐层h之间的权重矩阵\\n请注意参数是共享的。'
    """
    lines = (without_back_references(line) for run in _paragraph_runs(quoted)
             for line in joined_clauses(compact(run).split("\n")))
    return "\n".join(line for line in lines if line.strip())


def _paragraph_runs(quoted: ExtractiveAnswer) -> list[str]:
    """The quote's text in runs of adjacent lines: lines the quote skips (a blank line, a
    figure, the paragraphs between two parts of an answer) part paragraphs, and a sentence is
    never joined across them ("- W：是相邻隐层h之间的权重矩阵" and, two lines below, "请注意这三个
    参数…" became one line of the translation, r51 dev6:c43)."""
    runs: list[list[str]] = []
    for index, line in enumerate(quoted.lines):
        if index == 0 or line.line != quoted.lines[index - 1].line + 1:
            runs.append([])
        runs[-1].append(line.text)
    return ["\n".join(run) for run in runs]


def joined_clauses(lines: list[str]) -> list[str]:
    """``lines`` with each line that goes on with the sentence above it joined to it; a list
    item, a heading, a formula, code or a table row starts its own line.

    >>> joined_clauses(["On the left,", "the box", "must learn f.", "- An item", "$$", "x", "$$"])
    ['On the left, the box must learn f.', '- An item', '$$', 'x', '$$']
    >>> joined_clauses(["批归一化", "加快收敛。"]), joined_clauses(["the func-", "tion f."])
    (['批归一化加快收敛。'], ['the func-tion f.'])
    >>> joined_clauses(["$$x$$", "so the", "sum grows."])  # a one-line formula closes itself
    ['$$x$$', 'so the sum grows.']
    >>> joined_clauses(["限制范数：", "$g = c$", "其中阈值为："])  # so does a formula line
    ['限制范数：', '$g = c$', '其中阈值为：']
    >>> joined_clauses(["$$\\\\begin{aligned}", "a &= b", "\\\\end{aligned}$$", "so the", "sum."])
    ['$$\\\\begin{aligned}', 'a &= b', '\\\\end{aligned}$$', 'so the sum.']
    """
    joined: list[str] = []
    block = {index for first, last, _ in _blocks(lines) for index in range(first, last + 1)}
    for index, line in enumerate(lines):
        stands_alone = index in block or not line.strip() or bool(_OWN_LINE.match(line)) or \
            is_formula_line(line)
        if joined and not stands_alone and joined[-1].strip() and index - 1 not in block and \
                not BLOCK_FENCE.match(joined[-1]) and not ENDS_SENTENCE.search(joined[-1]) and \
                not is_formula_line(joined[-1]):
            glued = _HAN_EDGE.search(joined[-1]) and _HAN_START.match(line.lstrip()) or \
                _HYPHEN_EDGE.search(joined[-1])  # "func-" + "tion" (a PDF's line break)
            space = "" if glued else " "
            joined[-1] = joined[-1].rstrip() + space + line.strip()
        else:
            joined.append(line)
    return joined


_OWN_LINE = re.compile(r"^\s*(?:#{1,6}\s|\||[-*+•]\s|\d{1,2}[.)、]\s?|[（(]\d{1,2}[）)])")
_HAN_EDGE = re.compile(r"[\u4e00-\u9fff，、]\s*$")
_HAN_START = re.compile(r"[\u4e00-\u9fff]")
_HYPHEN_EDGE = re.compile(r"[A-Za-z]-$")


_POINTER = re.compile(  # a sentence that only points back: "Recall our MLP for house prices."
    r"(?:^|(?<=[.!?]\s))\s*Recall\b(?!\s+that\b)[^.!?]*[.!?]?\s*")
_BACK_REFERENCE = re.compile(  # a sentence's opening phrase that points back
    r"(?:^|(?<=[.!?]\s)|(?<=[。！？]))\s*(?:(?:As (?:before|(?:we )?(?:saw|discussed|mentioned|"
    r"noted|described)(?: (?:earlier|above|before|previously))?)|Recall that),?\s+"
    r"|(?:如前所述|如上所述|前面提到过?|回顾一下)[，,]\s*)")


def without_back_references(line: str) -> str:
    """``line`` without what points back to earlier pages, which a quote does not hold: the
    model translated "As before we add a small offset" as "在层归一化之前，我们添加一个小偏置"
    and "Recall our application of MLPs to predicting house prices" as the claim
    "我们应用多层感知器来预测房价" (r24 dev2:c6 and c5). A sentence that only points back goes.

    >>> without_back_references("As before we add an offset. As we saw earlier, it helps.")
    'We add an offset. It helps.'
    >>> without_back_references("Recall our application of MLPs to house prices. We scale.")
    'We scale.'
    >>> without_back_references("Recall that the loss is convex.")
    'The loss is convex.'
    >>> without_back_references("如前所述，批归一化加快收敛。")
    '批归一化加快收敛。'
    >>> without_back_references("We recall the items as before, with care.")
    'We recall the items as before, with care.'
    """
    pieces, last = [], 0
    line = _POINTER.sub("", line)
    for match in _BACK_REFERENCE.finditer(line):
        pieces.append(line[last:match.start()])
        last = match.end()
        if last < len(line):  # the sentence it opened starts with a capital
            pieces.append(line[last].upper())
            last += 1
    pieces.append(line[last:])
    return "".join(pieces).strip()


def translation_messages(quoted: ExtractiveAnswer, language: str) -> tuple[Message, ...]:
    """The system prompt (kept first for the KV cache), the quote as data under its section,
    the task last. The question stays out: given for its terms, before or after the task, the
    model translated it instead of the quote."""
    number = quoted.citation.number
    section = tag_section(quoted.citation.heading.split(" > ")[-1]).replace('"', "'")
    source = source_text(quoted)
    layout = formula_layout(source)
    text = source if layout is None else layout.prompt_text()
    return (SYSTEM, Message("user", f'<passage id={number} section="{defuse(section)}">\n'
                                    f"{defuse(text)}\n</passage>\n\n"
                                    f"{_task(quoted, language, layout)}"))


def translated_part(quoted: ExtractiveAnswer, language: str, limit: int,
                    count_prompt: Callable[[Sequence[Message]], int]) -> ExtractiveAnswer:
    """The quote's first lines whose translation prompt (``translation_messages``) is at most
    ``limit`` tokens: at least its first line, and never a part ending inside a formula block
    or a code fence. The student reads the whole quote at once; a long English quote (up to
    2,400 characters, ``extractive.MAX_CHARS`` read in ``reading_length``) would be read for
    some 10 s before the translation's first word.

    >>> from assistant.extractive import QuotedLine
    >>> from assistant.retrieval import Citation
    >>> quote = ExtractiveAnswer(Citation(1, 3, "d.md", "LSTM", 1, 5, None),
    ...     (QuotedLine(1, "Gates decide."), QuotedLine(2, "$$"), QuotedLine(3, "c = f c"),
    ...      QuotedLine(4, "$$"), QuotedLine(5, "The output gate filters it.")), "passage")
    >>> words = lambda messages: sum(len(m.content.split()) for m in messages)
    >>> full = words(translation_messages(quote, "zh"))
    >>> [q.line for q in translated_part(quote, "zh", full, words).lines]
    [1, 2, 3, 4, 5]
    >>> [q.line for q in translated_part(quote, "zh", full - 1, words).lines]
    [1, 2, 3, 4]
    >>> [q.line for q in translated_part(quote, "zh", full - 6, words).lines]
    [1]
    """
    lines = quoted.lines
    while len(lines) > 1 and (not _closed([q.text for q in lines]) or count_prompt(
            translation_messages(replace(quoted, lines=lines), language)) > limit):
        lines = lines[:-1]
    return quoted if lines == quoted.lines else replace(quoted, lines=lines)


def _closed(lines: list[str]) -> bool:
    """No code fence or ``$$`` formula block is left open (``ground.fences``, as ``in_blocks``
    reads them: a block opened by ``$$\\begin{align}`` closes on ``\\end{align}$$``).

    >>> opened = "$$\\\\begin{align}"
    >>> _closed([opened, "x &= 1"]), _closed([opened, "\\\\end{align}$$"])
    (False, True)
    """
    return all(block.closed for block in fenced_blocks(lines, formulas=("$$",), any_indent=True))


def _task(quoted: ExtractiveAnswer, language: str, layout: FormulaLayout | None) -> str:
    tasks = TASKS if layout is None else NUMBERED_TASKS
    return tasks.get(language, tasks["en"]).format(n=quoted.citation.number)


def translation_layout(quoted: ExtractiveAnswer) -> FormulaLayout | None:
    """How a quote holding formulas is translated around them (``formula_lines``), or None."""
    return formula_layout(source_text(quoted))


def translation_max_tokens(quoted: ExtractiveAnswer, count, cap: int) -> int:
    """Room for a translation of the quote, at most ``cap``."""
    return min(cap, int(count(source_text(quoted)) * MAX_TOKENS_PER_SOURCE_TOKEN) + EXTRA_TOKENS)


def names_of(line: str) -> set[str]:
    """What a translation line may only copy: Latin names (lower-cased) and numbers, its list
    numbering aside.

    >>> sorted(names_of("2. Select a model pretrained on ImageNet, such as a CNN (2012)."))
    ['2012', 'cnn', 'imagenet', 'model', 'pretrained', 'select', 'such']
    """
    bare = _NUMBERING.sub("", line)
    return ({m.group(0).lower() for m in LATIN_NAME.finditer(bare)}
            | set(_NUMBER.findall(bare)))


_OPENING_MARKS = re.compile(r"^[^\w$]+")  # "+ ", "**", "> ": markup before a first word
_PROPER = re.compile(  # an acronym, a CamelCase or digit-bearing name, a capitalized word
    # (not one labelling the number after it: "In Chapter 16", whose number is checked itself)
    r"\b[A-Z]{2,}s?\b|\b[A-Za-z]*[a-z][A-Z][A-Za-z0-9]*\b|\b[A-Za-z]+\d[A-Za-z0-9]*\b"
    r"|(?<![.:!?;]\s)(?<!^)\b[A-Z][a-z]+\b(?!\s+\d)")


def adds_a_name(line: str, source: str, language: str) -> bool:
    """A line naming what the source never names: in Chinese, any Latin word or number the
    source lacks; in English, where every word is Latin, a number or a name (an acronym, a
    CamelCase or digit-bearing name, a capitalized word inside a sentence).

    >>> adds_a_name("It is used in robotics, as in AlphaGo.", "强化学习用于游戏。", "en")
    True
    >>> adds_a_name("It helps robots learn, as Waymo showed.", "强化学习用于游戏。", "en")
    True
    >>> adds_a_name("1. Image encoding: Extract CNN features.", "1. 图像编码：用 CNN 提取特征。",
    ...             "en")
    False
    >>> adds_a_name("LSTM solves the vanishing gradients of RNNs.", "LSTM 解决 RNN 的问题", "en")
    False
    >>> adds_a_name("例如 divergence 问题。", "avoids exploding gradients", "zh")
    True

    A line's first word is capitalized whatever markup opens it (dev4:c25: "+ Two methods …"
    and "+ Logistic regression is …", faithful lines of a "+" list, were dropped as naming
    "Two" and "Logistic"):

    >>> adds_a_name("+ Two methods can add L1 terms.", "+ 两个方法都可以加 L1 正则", "en")
    False
    >>> adds_a_name("**1.** Logistic regression is simpler.", "1. 逻辑回归更简单", "en")
    False

    Nor is a capitalized word that labels a number (r40 dev6:c37, "In Chapter 16, we will learn
    about regularization" for "在第16章中，我们将会学习正则化知识"); the number is checked:

    >>> adds_a_name("In Chapter 16, we learn it.", "在第16章中，我们学习它。", "en")
    False
    >>> adds_a_name("In Chapter 17, we learn it.", "在第16章中，我们学习它。", "en")
    True

    A name whose Chinese form the source writes is the source's: "Gaussian" for 高斯.

    >>> adds_a_name("Use the Gaussian kernel.", "选用高斯核。", "en")
    False

    And the other way: a Chinese line writing a name's Chinese form where the English source
    never writes the name (r78 dev5:c31 rendered "beam search" as "贝叶斯解码", Bayes, in four
    lines, each citing the notes):

    >>> adds_a_name("贝叶斯解码树继续到句子结束。", "The beam tree goes on to the end.", "zh")
    True
    >>> adds_a_name("假设服从高斯分布。", "Assume a Gaussian distribution.", "zh")
    False
    """
    lowered = source.lower()
    bare = _OPENING_MARKS.sub("", _NUMBERING.sub("", _OPENING_MARKS.sub("", line)))
    if language == "en":
        names = {re.sub(r"(?<=[A-Z])s$", "", m.group(0)).lower()  # RNNs: the RNN
                 for m in _PROPER.finditer(bare)}
        names |= set(_NUMBER.findall(bare))
    else:
        names = names_of(bare)
    return any(name not in lowered and not (name in _EPONYMS and _EPONYMS[name].search(source))
               for name in names) or (language == "zh" and _writes_an_unnamed_eponym(bare, source))


def _writes_an_unnamed_eponym(line: str, source: str) -> bool:
    """``line`` writes the Chinese form of a name (``_EPONYMS``) that the source writes
    neither in that form ("KL") nor under any of its English names.

    >>> _writes_an_unnamed_eponym("最小化 KL 散度。", "minimize the KL divergence")
    False
    """
    lowered = source.lower()
    return any(form.search(line) and not form.search(source) and
               not any(name in lowered for name in names)
               for form, names in _EPONYM_FORMS.items())


_EPONYMS = {name: re.compile(forms) for name, forms in {
    "gaussian": "高斯", "gauss": "高斯", "bayes": "贝叶斯", "bayesian": "贝叶斯",
    "euclidean": "欧氏|欧几里[得德]", "laplace": "拉普拉斯", "laplacian": "拉普拉斯",
    "markov": "马尔[可科]夫", "bernoulli": "伯努利", "poisson": "泊松", "jacobian": "雅[可克]比",
    "hessian": "海森|黑塞", "fourier": "傅[里立]叶", "newton": "牛顿", "lagrange": "拉格朗日",
    "lagrangian": "拉格朗日", "taylor": "泰勒", "shannon": "香农", "boltzmann": "玻尔兹曼",
    "gibbs": "吉布斯", "pearson": "皮尔逊", "cauchy": "柯西", "dirichlet": "狄利克雷",
    "gaussians": "高斯", "hebbian": "赫布", "hebb": "赫布", "manhattan": "曼哈顿",
    "chebyshev": "切比雪夫", "kullback": "KL|库尔贝克", "leibler": "KL|莱布勒",
    "viterbi": "维特比", "monte": "蒙特卡[洛罗]", "carlo": "蒙特卡[洛罗]", "hamming": "汉明",
    }.items()}
"""An English name for what Chinese notes write in its own script: "Gaussian (RBF) kernel" is
the translation of "高斯核(RBF 核)", not a name the notes lack (r47 dev4:c26 showed two faithful
lines flagged as unsupported for "Gaussian")."""
_EPONYM_FORMS: dict[re.Pattern, list[str]] = {}
for _name, _form in _EPONYMS.items():
    _EPONYM_FORMS.setdefault(_form, []).append(_name)


def checked_translation(text: str, quoted: ExtractiveAnswer,
                        language: str, cut: bool = False) -> tuple[str, tuple[str, ...]]:
    """The translation's lines that name nothing new, each citing the quote's passage, and
    the lines dropped. A line cut by the token limit (``cut``, no closing mark) is dropped.

    >>> from assistant.extractive import ExtractiveAnswer, QuotedLine
    >>> from assistant.retrieval import Citation
    >>> quote = ExtractiveAnswer(Citation(1, 3, "d.md", "Dropout", 9, 9, None),
    ...     (QuotedLine(9, "Dropout zeroes out some neurons during training."),), "passage")
    >>> checked_translation("学生笔记中的几行翻译成简体中文如下：\\n"
    ...                     "在训练时，dropout 会把一些神经元置零。", quote, "zh")
    ('在训练时，dropout 会把一些神经元置零[1]。', ())
    >>> checked_translation("在训练时，dropout 会把一些神经元置零。\\n-\\n**", quote, "zh")
    ('在训练时，dropout 会把一些神经元置零[1]。', ())
    >>> checked_translation("训练时的做法：\\n在训练时，dropout 会把一些神经元置零。", quote, "zh")
    ('训练时的做法：\\n在训练时，dropout 会把一些神经元置零[1]。', ())
    >>> checked_translation("好的，我将逐行翻译资料中的内容，保留其中每个要点。", quote, "zh")
    ('', ())
    >>> checked_translation("这让导数容易计算：\\n导数的和等于导数的和。", quote, "zh")
    ('', ('导数的和等于导数的和。',))
    >>> checked_translation("保留其中每个要点和例子，不添加任何内容，术语用该领域的标准中文译名。",
    ...                     quote, "zh")
    ('', ())
    """
    source = source_text(quoted)
    layout = formula_layout(source)
    if layout is not None:  # the reply's numbered lines, the quote's formulas put back
        filled = layout.filled(text)
        if filled is None:
            return "", (text.strip(),) if text.strip() else ()
        text = filled
    raw = text.strip().split("\n")
    block = in_blocks(raw, source)
    unquoted = [line for line, in_block in zip(raw, block, strict=True) if in_block is None]
    pairs = [(line if in_block else
              without_title(without_markers(line), source, language).rstrip(), bool(in_block))
             for line, in_block in zip(raw, block, strict=True) if in_block is not None]
    pairs = [(line, in_block) for line, in_block in pairs
             if in_block or _SAYS_A_WORD.search(line)]  # not a bare "-" (r56 dev7:c9's last line)
    if cut and pairs and not pairs[-1][1] and not _COMPLETE.search(pairs[-1][0]):
        pairs.pop()
    # left out: "Sure, here is the translation:", the task's words, or a source line copied back
    task = _task(quoted, language, layout)
    pairs = [(line, in_block) for line, in_block in pairs
             if in_block or
             not (_PREFACE.match(line) or _ANNOUNCES_TRANSLATION.match(line) or
                  _RESTATES_TASK.search(line) or PROMPT_TAG.match(line) or
                  echoes(line, task) or detect_language(line) != language)]
    pairs = [(line if in_block else bare_formula(line, source), in_block)
             for line, in_block in pairs]
    lines = [line for line, _ in pairs]
    made_items = new_items(lines, source)
    source_lines = [line for line in source.split("\n") if line.strip()]
    paired = language == "zh" and len(source_lines) == len(lines)  # line i translates line i
    kept: list[str] = []
    dropped = ["\n".join(unquoted)] if unquoted else []
    said: set[str] = set()
    for index, (line, in_block) in enumerate(pairs):
        if in_block:
            kept.append(line)  # a formula or code the quote holds: copied, not a claim
            continue
        line = unsaid(line, said).rstrip()  # a loop's copies (r62 dev7:c2)
        if not line:
            continue
        if adds_a_name(line, source, language) or is_tautology(line) or \
                index in made_items or paired and loses_negation(source_lines[index], line):
            dropped.append(line.strip())
        else:
            formula_next = index + 1 < len(pairs) and pairs[index + 1][1]
            says = is_claim(line) and (formula_next or not _INTRODUCES.search(line))
            # "Basic principles:" is a label; a sentence leading into its formula cites
            kept.append(with_marker(line, quoted.citation.number) if says else line)
    while kept and _INTRODUCES.search(without_markers(kept[-1])):
        kept.pop()  # what it introduced was dropped (or never written)
    if swaps_opposites("\n".join(kept), source, language):  # "underfit" read as 过拟合
        return "", tuple(dropped) + tuple(without_markers(line) for line in kept)
    return renumber("\n".join(kept)), tuple(dropped)


_INLINE_MATH = re.compile(r"\$([^$\n]+)\$")
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def _tex_key(tex: str) -> str:
    return re.sub(r"[\s{}]", "", tex)


def bare_formula(line: str, source: str) -> str:
    """``line`` with a formula of the quote that the translation copied without its ``$``
    delimiters put back between them: the chat showed r59 dev7:c0's "\\frac{dJ(\\theta)}{d\\theta}
    \\approx …" as raw TeX. The same formula: the quote's, up to spaces and braces (the model
    writes ``{{dJ}}`` as ``{dJ}``). Any other line is returned as it is.

    >>> bare_formula("\\\\frac{a}{b} \\\\approx c", "误差： $\\\\frac{{a}}{{b}} \\\\approx c$ ")
    '$\\\\frac{a}{b} \\\\approx c$'
    >>> bare_formula("\\\\frac{a}{2}", "误差： $\\\\frac{{a}}{{b}}$ ")
    '\\\\frac{a}{2}'
    """
    bare = line.strip()
    if "$" in bare or not _TEX_COMMAND.search(bare):
        return line
    held = {_tex_key(match.group(1)) for match in _INLINE_MATH.finditer(source)}
    return f"${bare}$" if _tex_key(bare) in held else line


_TEX_DISPLAY = re.compile(r"^\s*\\\[(.*?)\\\]\s*$|^\s*\\([\[\]])\s*$")
"""LaTeX's display math, which the model writes for the notes' ``$$``: ``\\[ x \\]`` on one
line, or ``\\[`` / ``\\]`` alone."""


def _as_dollars(line: str) -> str:
    tex = _TEX_DISPLAY.match(line)
    if tex is None:
        return line
    return "$$" if tex.group(2) else f"$${tex.group(1)}$$"


def _blocks(lines: list[str]) -> list[tuple[int, int, bool]]:
    """(first, last, closed) of each display formula or code block: a ``$$…$$`` line alone, or
    the lines from a fence to its closer (to the end when none closes it). At any indent: the
    notes and the model put fences inside list items. Formulas are ``$$`` only: ``in_blocks`` has
    turned a translation's ``\\[`` into ``$$``.

    >>> _blocks(["$$\\\\begin{aligned}", "a &= b", "\\\\end{aligned}$$", "so", "  ```", "x"])
    [(0, 2, True), (4, 5, False)]
    """
    return [(block.first, block.last, block.closed)
            for block in fenced_blocks(lines, formulas=("$$",), any_indent=True)]


def _block_text(lines: list[str], first: int, last: int) -> str:
    """A block's content, fences and spacing left out: what a copy of it keeps."""
    return re.sub(r"\s+|^\$\$|\$\$$|^```\w*|```$|^~~~\w*|~~~$", "",
                  "\n".join(lines[first:last + 1]).strip())


def in_blocks(lines: list[str], source: str) -> list[bool | None]:
    r"""Per line of ``lines`` (a translation): True for a line of a display formula or code
    block the quote (``source``) holds, copied, fences included; None for one of a block the
    quote does not hold or that the translation never closes (it goes); False for text.
    LaTeX's ``\[ … \]``, which the model writes for the notes' ``$$``, becomes ``$$`` in
    ``lines`` (what the chat renders).

    The translator copies a quoted formula: no line of it is a sentence to check or cite. Read
    line by line, "t \in [2,4]" lost its interval as a marker and every line of the cases got
    a "[1]" (r48 dev6:c7). A formula of the model's own is not the notes' and is not shown.

    >>> lines = ["i.e.:", "\\[", "y_t = f(y_{t-1}), t \\in [2,4]", "\\]", "$$z = 1$$"]
    >>> in_blocks(lines, "即：\n$$\ny_t = f(y_{t-1}),t \\in [2,4]\n$$"), lines[1]
    ([False, True, True, True, None], '$$')
    """
    source_lines = source.split("\n")
    held = {_block_text(source_lines, first, last) for first, last, _ in _blocks(source_lines)}
    flags: list[bool | None] = [False] * len(lines)
    formula_lines = {line.strip() for line in source_lines if is_formula_line(line)}
    for index, line in enumerate(lines):
        if line.strip() in formula_lines:
            flags[index] = True  # a formula line of the quote copied (``formula_lines``)
    if not held:
        return flags
    lines[:] = [_as_dollars(line) for line in lines]
    for first, last, closed in _blocks(lines):
        copied = closed and _block_text(lines, first, last) in held
        for index in range(first, last + 1):
            flags[index] = True if copied else None
    return flags


def without_title(line: str, source: str, language: str) -> str:
    """``line`` without the section title the model put before it as a question; a pronoun
    that then opens the line ("It is …") becomes the title's subject, so the reply does not
    start with a dangling "It" (r26 sample:c12), unless the subject names what the quoted
    ``source`` never does (the line would then be dropped for it).

    >>> source = "强化学习（Reinforcement Learning，RL）是一种方法。"
    >>> without_title("What is reinforcement learning (RL)? It is a method.", source, "en")
    'Reinforcement learning (RL) is a method.'
    >>> without_title("What is RLHF? It is a method.", source, "en")
    'It is a method.'
    >>> without_title("What is reinforcement learning? It's a method.", source, "en")
    "It's a method."
    >>> without_title("什么是梯度裁剪？它是一种限制梯度的方法。", "Clipping caps them.", "zh")
    '梯度裁剪是一种限制梯度的方法。'
    >>> without_title("Why clip? Clipping keeps gradients small.", source, "en")
    'Clipping keeps gradients small.'
    """
    title = _QUESTIONS.match(line)
    if not title:
        return line
    rest = line[title.end():]
    asked, pronoun = _ASKED.search(title.group(0).strip()), _PRONOUN.match(rest)
    if not (asked and pronoun) or adds_a_name(asked.group("subject"), source, language):
        return rest
    subject = asked.group("subject").strip()
    return subject[:1].upper() + subject[1:] + rest[pronoun.end():]


def new_items(lines: Sequence[str], source: str) -> set[int]:
    """The translated lines (by index) that are list items where their source line is none:
    the model numbered the list's lead-in as its first item and wrote an item of its own in
    its place ("…可以从以下几个方面入手：" became "1. Pre-trained models handle image and text
    data by encoding them", r20 sample:c10). Lines are paired by position when the
    translation has as many lines as the source; otherwise, when the source holds no list
    item at all, every numbered line is the model's own ("标准化输入特征的步骤如下：1. … 3. 将方差
    为1的特征的方差设置为1" for two sentences of prose, r23 dev2:c5).

    >>> sorted(new_items(["1. Models handle it by encoding.", "2. Image encoding."],
    ...                  "答案： 模型处理它可以从以下方面入手：\\n1. 图像编码。"))
    [0]
    >>> sorted(new_items(["We standardize.", "Steps:", "1. Zero mean.", "2. Unit variance."],
    ...                  "我们把特征标准化，\\n使均值为零、方差为一。"))
    [2, 3]
    >>> sorted(new_items(["Models handle it as follows:", "1. Image encoding."],
    ...                  "答案： 模型处理它可以从以下方面入手：\\n1. 图像编码。"))
    []
    """
    sources = [line for line in source.split("\n") if line.strip()]
    if len(sources) != len(lines):
        if any(_NUMBERING.match(line) for line in sources):
            return set()
        return {index for index, line in enumerate(lines) if _NUMBERING.match(line)}
    return {index for index, (line, original) in enumerate(zip(lines, sources, strict=True))
            if _NUMBERING.match(line) and not _NUMBERING.match(original)}
