"""Cards made without a model: the notes' own questions, definitions and key terms.

Notes are full of questions already. From one passage (a chunk) this takes, with the exact lines
each card is answered from:

* ``qa`` -- a question heading (or a ``题目：`` line) and its answer body (after ``答案：``, up to
  ``解析：``) as a flashcard. A numbered answer keeps its items' key terms (front says how many).
* ``pair`` -- ``Q:``/``A:`` (``问：``/``答：``) pairs as flashcards.
* ``def`` -- a definition sentence ("X（gloss）是指 …", "X is a …") as a cloze card: the term
  is blanked wherever it stands in the sentence, and the student recalls it.
* ``term`` -- a bold key term at the head of a list item ("1. **数据预处理：** 确保…") as a
  cloze card: its description, under the section's question, with the term blanked; and an item
  introduced by a bold title whose sub-point says what it is ("- **作用：** 衡量…").

Everything is conservative on purpose: a card that is wrong, trivial or ambiguous costs the
student more than a missing one. Generic labels (作用, 定义, 优点 …), pronoun subjects (这, 它
…) and terms the rest of the sentence gives away are skipped.

>>> from ground.records import Chunk
>>> q = "题目 4：什么是梯度裁剪？"
>>> text = f"#### {q}\\n\\n**答案：** 梯度裁剪（Clipping）是一种限制梯度大小的方法。"
>>> chunk = Chunk(1, 1, "/n/a.md", "T", ("T", q), 7, 9, 0, len(text), text, "h")
>>> cards = extract_cards(chunk)
>>> [(d.slot, d.item.question, d.item.answer, d.item.citation.start_line) for d in cards]
... # doctest: +NORMALIZE_WHITESPACE
[('x:qa:0', '什么是梯度裁剪？', '梯度裁剪（Clipping）是一种限制梯度大小的方法。', 7),
 ('x:def:0', '＿＿＿＿是一种限制梯度大小的方法。', '梯度裁剪（Clipping）', 9)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.bank_records import EXTRACTED, Draft
from assistant.quiz import question_of
from assistant.quiz_schema import BLANK, QuizItem
from assistant.retrieval import Citation
from ground.records import Chunk
from ground.sentences import split_sentences

BACK_CHARS = 420  # a flashcard's back: longer answers keep their key lines
LINE_CHARS = 110
MAX_BACK_LINES = 8
MIN_BACK_CHARS = 8

_LABEL = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*|__)?\s*(题目|问题|答案|参考答案|解答|回答|解析|答案解析|分析|代码|代码实现|"
    r"示例代码|问|答|Q|A|Question|Answer|Explanation|Solution)\s*(?:\*\*|__)?\s*[:：]\s*"
    r"(?:\*\*|__)?\s*(.*?)\s*(?:\*\*|__)?\s*$",
    re.IGNORECASE,
)
_ANSWER_LABELS = {"答案", "参考答案", "解答", "回答", "答", "a", "answer"}
_QUESTION_LABELS = {"题目", "问题", "问", "q", "question"}
_STOP_LABELS = {
    "解析", "答案解析", "分析", "代码", "代码实现", "示例代码", "explanation", "solution",
}
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_FENCE = re.compile(r"^\s*(```|~~~)")
_QUESTION_START = re.compile(
    r"^(什么|如何|为什么|为何|怎样|怎么|请|简述|解释|描述|列举|比较|说明|哪些|what|how|why|which|"
    r"explain|describe|compare|list|define)",
    re.IGNORECASE,
)
_QUESTION_END = re.compile(r"[?？]\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.、)）]|[-*+•])\s+")
_BOLD_ITEM = re.compile(
    r"^\s*(?:(?P<num>\d+)[.、)）]|[-*+•])\s*\*\*(?P<term>[^*]{2,40}?)\s*[:：]?\s*\*\*\s*[:：]?\s*"
    r"(?P<desc>.+)$"
)
_BOLD_TITLE = re.compile(
    r"^\s*(?:\d+[.、)）]\s*)?\*\*\s*(?:\d+[.、)）]\s*)?(?P<term>[^*]{2,40}?)\s*[:：]?\s*\*\*\s*[:：]?\s*$"
)
_ZH_DEFINITION = re.compile(
    r"^(?P<term>[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff \-+/·]{0,23}?)\s*"
    r"(?P<gloss>（[^（）]{1,40}）|\([^()]{1,40}\))?\s*"
    r"(?P<verb>是指|指的是|是一种|是一类|是一个|是一项|被定义为|定义为|是)\s*(?P<rest>.+)$"
)
_EN_DEFINITION = re.compile(
    r"^(?:An?\s+|The\s+)?(?P<term>[A-Z][A-Za-z0-9\-]*(?:\s+[A-Za-z0-9\-]+){0,3}?)"
    r"(?P<gloss>\s*\([^()]{1,40}\))?\s+(?P<verb>is|are|refers to)\s+(?P<rest>(?:a|an|the|used|"
    r"defined|one)\b.+)$"
)
_WEAK_VERB = {"是"}  # a bare 是 only defines a term that carries a gloss: "CNN（卷积…）是…"
_PRONOUN_START = re.compile(
    r"^(这|那|它|其|该|此|而|但|在|对|如|通过|由于|因为|如果|当|将|使|一|每|所有|主要|常见|本|其中|"
    r"我们|你|他|她|以下|上述|这些|那些|另外|此外|同时|因此|所以|例如|比如|也|还|即|则|"
    r"it|this|that|these|those|there|here|which|what|one)",
    re.IGNORECASE,
)
_GENERIC = {
    "目的", "作用", "原理", "关键", "优势", "劣势", "区别", "主要区别", "核心", "方法", "过程",
    "结果", "原因", "问题", "答案", "特点", "缺点", "优点", "意义", "本质", "基本思想", "核心思想",
    "思想", "基础", "目标", "步骤", "定义", "公式", "计算公式", "适用场景", "实现方法", "示例",
    "例子", "注意", "应用", "解释", "举例", "局限性", "代码", "说明", "含义", "概念", "功能",
    "影响", "用途", "场景", "优化", "策略", "原则", "要点", "总结", "背景", "前提", "输入", "输出",
    "解析", "实现", "描述", "挑战", "应用场景", "使用场景", "主要作用", "主要目的", "基本原理",
    "工作原理", "作用是", "目的是", "区别是", "关键是", "难点", "重点", "方式", "类型", "种类",
    "任务目标", "数据类型", "数据量", "训练模型", "评估模型", "模型方法", "模型选择", "训练方式",
    "应用领域", "计算方式", "评估与验证", "模型训练", "模型评估", "数据准备",
}
_DESCRIBING_LABELS = ("定义", "作用", "含义", "描述", "原理")
_EN_STARTERS = {
    "the", "a", "an", "this", "that", "these", "it", "its", "since", "often", "even", "also",
    "intuitively", "here", "there", "our", "we", "one", "such", "each", "every", "both", "all",
    "however", "thus", "hence", "then", "so", "in", "on", "for", "as", "if", "when", "while",
}
_MARKUP = re.compile(r"\*\*|__|`")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\ufeff]")
_NEEDS_FIGURE = re.compile(
    r"上图|下图|如图|见图|图\s*\d|表\s*\d|如下所示|如下表|如下[：:]|公式如下|定义如下|计算如下|"
    r"as shown|the figure|the following figure|\bfig\.|\btable \d",
    re.IGNORECASE,
)
_ASIDE = re.compile(r"^[（(]?\s*(贡献者|来源|参考|注)[：:].*[）)]?$")
_SECTION_NUMBER = re.compile(r"^\d+(?:\.\d+)+\s*")


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based line in the source file
    text: str  # markup removed, stripped


def extract_cards(chunk: Chunk) -> list[Draft]:
    """Every card one passage yields, each citing the lines it is answered from."""
    raw = chunk.text.split("\n")
    lines = [_Line(chunk.start_line + i, text) for i, text in enumerate(raw)]
    body = _outside_fences(lines)
    drafts: list[Draft] = []
    used_terms: set[str] = set()
    for card in (_question_card(chunk, body), *_pair_cards(chunk, body)):
        if card is not None:
            drafts.append(card)
    for card in _term_cards(chunk, body, used_terms):
        drafts.append(card)
    for card in _definition_cards(chunk, body, used_terms):
        drafts.append(card)
    return _numbered(drafts)


# -- flashcards -------------------------------------------------------------------------------


def _question_card(chunk: Chunk, lines: list[_Line]) -> Draft | None:
    """The section's question (heading or 题目 line) and its answer body."""
    if not lines:
        return None
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    heading_question = _plain(question_of(_SECTION_NUMBER.sub("", heading)))
    starts_with_heading = bool(_HEADING.match(chunk.text.split("\n", 1)[0]))
    question = heading_question if _is_question(heading_question) else ""
    first = lines[0].number
    answer_from = None
    stop_at = None
    for index, line in enumerate(lines):
        label = _label(line.text)
        if label is None:
            if index > 0 and _HEADING.match(line.text) and answer_from is not None:
                stop_at = index
                break
            continue
        name, rest = label
        if name in _QUESTION_LABELS and answer_from is None and len(rest) >= 4:
            if _is_question(rest) or question:
                question = rest
        elif name in _ANSWER_LABELS and answer_from is None:
            answer_from = index
        elif name in _STOP_LABELS and answer_from is not None:
            stop_at = index
            break
    if not question or (not starts_with_heading and answer_from is None):
        return None
    if answer_from is None:  # a question heading with a bare answer under it
        answer_from = 1 if starts_with_heading else 0
        while answer_from < len(lines) and _label(lines[answer_from].text):
            name = _label(lines[answer_from].text)[0]
            if name not in _QUESTION_LABELS:
                break
            answer_from += 1
        stop_at = next((i for i in range(answer_from, len(lines))
                        if (_label(lines[i].text) or ("",))[0] in _STOP_LABELS), None)
    answer_lines = _answer_lines(lines[answer_from:stop_at])
    if not answer_lines:
        return None
    back, used = _condensed(answer_lines)
    if len(back) < MIN_BACK_CHARS or _giveaway(question, back) or _incomplete(used):
        return None
    if len(back) * 2 < sum(len(line.text) for line in answer_lines) and not _outline(
            answer_lines):
        return None  # an answer too long for a card's back: a preview of it would mislead
    question = _SECTION_NUMBER.sub("", question)
    items = sum(1 for line in used if _LIST_ITEM.match(line.text) and not line.text.startswith(
        ("-", "*", "+", "•")))
    front = question if items < 3 or not re.search(r"哪些|几种|有哪|which|what are", question,
                                                   re.IGNORECASE) else f"{question}（{items} 点）"
    return _draft(chunk, "qa", front, back, first, used[-1].number, "qa-heading"
                  if question == heading_question else "qa-block")


def _pair_cards(chunk: Chunk, lines: list[_Line]) -> list[Draft]:
    """``Q:``/``A:`` and ``问：``/``答：`` pairs (题目/答案 blocks are ``_question_card``'s)."""
    cards = []
    for index, line in enumerate(lines[:-1]):
        label = _label(line.text)
        following = _label(lines[index + 1].text)
        if (label and following and label[0] in {"q", "question", "问"}
                and following[0] in {"a", "answer", "答"} and len(label[1]) >= 4
                and len(following[1]) >= MIN_BACK_CHARS and not _giveaway(label[1], following[1])):
            cards.append(_draft(chunk, "pair", label[1], following[1], line.number,
                                lines[index + 1].number, "qa-pair"))
    return cards


def _answer_lines(lines: list[_Line]) -> list[_Line]:
    """The answer's content lines: labels' own text kept, blank lines, images and asides
    ("（贡献者：…）") dropped."""
    kept = []
    for line in lines:
        label = _label(line.text)
        text = label[1] if label and label[0] in _ANSWER_LABELS else line.text
        text = text.strip()
        if (not text or text.startswith(("![", "<img", "|")) or _HEADING.match(text)
                or _ASIDE.match(_plain(text))):
            continue
        kept.append(_Line(line.number, text))
    return kept


def _incomplete(lines: list[_Line]) -> bool:
    """The back leans on what a card cannot show (a figure, a table, a formula block) or has
    an empty item where such a thing stood."""
    if any(_NEEDS_FIGURE.search(line.text)
           or len(re.sub(r"[\W\d_]", "", _LIST_ITEM.sub("", line.text))) < 2
           for line in lines):
        return True
    return any(re.search(r"[：:]$", line.text) and not _LIST_ITEM.match(after.text)
               for line, after in zip(lines, lines[1:], strict=False))  # "如下两个函数：" + formula


def _condensed(lines: list[_Line]) -> tuple[str, list[_Line]]:
    """The back of a card within ``BACK_CHARS``, in whole lines. An answer too long for that is
    outlined: its opening sentence and the key terms of its items, in order."""
    while lines and re.search(r"[：:]$", lines[-1].text):  # "如下：" before a code block
        lines = lines[:-1]
    if not lines:
        return "", []
    if sum(len(line.text) + 1 for line in lines) > BACK_CHARS:
        outline = _outline(lines)
        if len(outline) >= 2:
            intro = next((line for line in lines[: 3]
                          if not _is_outline(line.text) and not _LIST_ITEM.match(line.text)
                          and not re.search(r"[：:]\W*$", line.text)), None)
            lines = outline if intro is None else [
                _Line(intro.number, _first_sentences(intro.text, LINE_CHARS)), *outline]
    kept: list[_Line] = []
    total = 0
    for line in lines[:MAX_BACK_LINES]:
        text = _first_sentences(line.text, LINE_CHARS)
        if total + len(text) > BACK_CHARS and kept:
            break
        kept.append(_Line(line.number, text))
        total += len(text) + 1
    return "\n".join(_plain(line.text) for line in kept), kept


def _outline(lines: list[_Line]) -> list[_Line]:
    """Item titles ("**1. 准确率（Accuracy）**") or numbered bold items, as "1. term: …"."""
    titles = [_Line(line.number, _plain(m.group("term"))) for line in lines
              if (m := _BOLD_TITLE.match(line.text)) and _plain(m.group("term")) not in _GENERIC
              and not _is_label_line(line.text)]
    if len(titles) >= 2:
        return [_Line(t.number, f"{i}. {t.text}") for i, t in enumerate(titles, start=1)]
    items = []
    for line in lines:
        m = _BOLD_ITEM.match(line.text)
        if m and m.group("num") is not None:
            desc = _first_sentences(_plain(m.group("desc")), 40)
            items.append(_Line(line.number, f"{m.group('num')}. {_plain(m.group('term'))}：{desc}"))
    return items


def _is_label_line(text: str) -> bool:
    """ "**常见的正则化方法：**" introduces a list; "**1. L1 正则化：**" is an item of it."""
    return bool(re.search(r"[：:]\s*(\*\*)?\s*$", text)) and not re.match(
        r"^\s*(\*\*)?\s*\d+[.、)）]", text)


def _is_outline(text: str) -> bool:
    return bool(_BOLD_TITLE.match(text) or _BOLD_ITEM.match(text))


def _first_sentences(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    out = ""
    for sentence in split_sentences(text):
        if out and len(out) + len(sentence) > limit:
            break
        out += sentence
    return out if len(out) <= limit * 1.6 else out[: limit - 1] + "…"


# -- cloze cards ------------------------------------------------------------------------------


def _definition_cards(chunk: Chunk, lines: list[_Line], used: set[str]) -> list[Draft]:
    cards = []
    for line in lines:
        label = _label(line.text)
        if label and label[0] in _QUESTION_LABELS:
            continue
        text = label[1] if label else line.text
        text = _LIST_ITEM.sub("", text)
        text = re.sub(r"^[^：:]{1,8}[：:]\s*", "", text) if _BOLD_ITEM.match(line.text) else text
        for sentence in split_sentences(text):
            card = _definition_card(chunk, sentence.strip(), line.number, used)
            if card is not None:
                cards.append(card)
    return cards


def _definition_card(chunk: Chunk, sentence: str, number: int, used: set[str]) -> Draft | None:
    if re.search(r"[：:]$", sentence):  # "…模型，其基本原理包括以下几个部分：": first clause
        head, comma, _ = sentence.rpartition("，")
        sentence = head + "。" if comma else ""
    if (not re.search(r"[。.!?！？]$", sentence) or re.search(r"\$|\\[a-zA-Z(\[]", sentence)
            or _NEEDS_FIGURE.search(sentence)):
        return None  # a sentence cut by a line break, or one that needs a formula or figure
    match = _ZH_DEFINITION.match(sentence) or _EN_DEFINITION.match(sentence)
    if match is None:
        return None
    term = match.group("term").strip()
    gloss = (match.group("gloss") or "").strip()
    verb, rest = match.group("verb"), match.group("rest").strip()
    if verb in _WEAK_VERB and not gloss:
        return None
    if (not _good_term(term) or len(rest) < 10 or _key(term) in used
            or re.match(r"^(否|不|为了|因为|由于|通过|在于|an? example|an? instance)", rest)):
        return None
    answer = term + gloss
    question = BLANK + sentence[match.start("verb"):].strip()
    if any(len(part) >= 2 and _key(part) in _key(rest) for part in (term, gloss.strip("（）()"))):
        return None  # the definition names the term again: no recall left to test
    used.add(_key(term))
    return _draft(chunk, "def", question, answer, number, number, "definition",
                  explanation=sentence)


def _term_cards(chunk: Chunk, lines: list[_Line], used: set[str]) -> list[Draft]:
    """Bold key terms heading list items, asked from their description under the section's
    question. Skipped: items that are only examples ("如 …"), descriptions that name the term,
    steps of a procedure, and items whose description another item shares."""
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    context = _plain(question_of(heading))
    cards = []
    title: _Line | None = None  # the last "**1. 准确率（Accuracy）**" line
    title_used = False
    seen_desc: dict[str, int] = {}
    for line in lines:
        item = _BOLD_ITEM.match(line.text)
        if item:
            key = _key(item.group("desc"))
            seen_desc[key] = seen_desc.get(key, 0) + 1
    for line in lines:
        titled = _BOLD_TITLE.match(line.text)
        if titled:
            title, title_used = _Line(line.number, _plain(titled.group("term"))), False
            continue
        item = _BOLD_ITEM.match(line.text)
        if not item:
            continue
        term, desc = _plain(item.group("term")), _plain(item.group("desc"))
        if len(desc) < 8 or seen_desc.get(_key(item.group("desc")), 0) > 1:
            continue
        if term in _DESCRIBING_LABELS and title is not None and not title_used:
            name = title.text
            bare = _bare(name)
            if _good_term(bare) and _key(bare) not in used and not re.search(r"\d$", bare):
                shown = f"{BLANK} —— {term}：{_first_sentences(desc, LINE_CHARS)}"
                question = _blanked(f"{context}\n{shown}" if context else shown, bare,
                                    _gloss(name))
                if _key(bare) not in _key(question.replace(BLANK, "")):
                    used.add(_key(bare))
                    title_used = True
                    cards.append(_draft(chunk, "term", question, name, title.number, line.number,
                                        "bold-term", explanation=f"{name} —— {term}：{desc}"))
            continue
        bare = _bare(term)
        if (item.group("num") is None or not _good_term(bare) or _key(bare) in used
                or re.match(r"^(如|例如|比如|包括|e\.g\.|such as)", desc, re.IGNORECASE)
                or re.search(r"\d$", bare) or len(desc) < 12
                or (title is not None and re.search(r"步骤|方法|流程|过程|steps?", title.text))):
            continue
        if any(len(part) >= 2 and _key(part) in _key(desc)
               for part in (bare, _gloss(term).strip("（）()"))) or _echoed(bare, desc):
            continue  # the description names the term, or most of it
        shown = _first_sentences(desc, LINE_CHARS)
        question = f"{context}\n{BLANK}：{shown}" if context else f"{BLANK}：{shown}"
        if _key(bare) in _key(context):
            continue
        used.add(_key(bare))
        cards.append(_draft(chunk, "term", question, term, line.number, line.number, "bold-term",
                            explanation=f"{term}：{desc}"))
    return cards


# -- helpers ----------------------------------------------------------------------------------


def _draft(chunk: Chunk, rule: str, question: str, answer: str, start: int, end: int,
           made_by: str, explanation: str = "") -> Draft:
    kind = "cloze" if rule in {"def", "term"} else "flashcard"
    citation = Citation(1, chunk.id, chunk.source, chunk.heading, start, end, chunk.page)
    first = start - chunk.start_line
    cited = "\n".join(chunk.text.split("\n")[first: end - chunk.start_line + 1]).strip()
    item = QuizItem(kind, question.strip(), (), None, answer.strip(), explanation.strip(),
                    citation, cited, False)
    return Draft(chunk.content_hash, f"x:{rule}", item, f"{EXTRACTED}:{made_by}")


def _numbered(drafts: list[Draft]) -> list[Draft]:
    """Slots numbered per rule in passage order: ``x:def:0``, ``x:def:1`` …"""
    counts: dict[str, int] = {}
    out = []
    for draft in drafts:
        number = counts.get(draft.slot, 0)
        counts[draft.slot] = number + 1
        out.append(Draft(draft.passage_hash, f"{draft.slot}:{number}", draft.item, draft.made_by,
                         draft.evidence))
    return out


def _outside_fences(lines: list[_Line]) -> list[_Line]:
    """Lines outside code fences and display formulas, markup removed."""
    kept, fenced, formula = [], False, False
    for line in lines:
        text = _INVISIBLE.sub("", line.text).strip()
        if _FENCE.match(text):
            fenced = not fenced
            continue
        if text in ("$$", "\\[", "\\]"):
            formula = not formula
            continue
        if not fenced and not formula:
            kept.append(_Line(line.number, text))
    return kept


def _label(text: str) -> tuple[str, str] | None:
    match = _LABEL.match(text)
    if match is None:
        return None
    return match.group(1).lower(), _plain(match.group(2))


def _plain(text: str) -> str:
    return _MARKUP.sub("", text).strip().strip("*").strip()


def _is_question(text: str) -> bool:
    return bool(text) and (bool(_QUESTION_END.search(text)) or bool(_QUESTION_START.match(text)))


def _bare(term: str) -> str:
    """A term without its bracketed gloss: "准确率（Accuracy）" -> "准确率"."""
    return re.sub(r"\s*[（(][^（）()]*[）)]\s*$", "", term).strip()


def _gloss(term: str) -> str:
    found = re.search(r"[（(]([^（）()]*)[）)]\s*$", term)
    return found.group(0).strip() if found else ""


def _good_term(term: str) -> bool:
    term = term.strip()
    if not 2 <= len(term) <= 24 or term in _GENERIC or _PRONOUN_START.match(term):
        return False
    if re.search(r"[，。；！？,;!?]|的|在|了|把|被|为|可以|能够|需要|用于|通常|一般|应该|就|都|也|"
                 r"图|表", term) or re.search(r"\d$", term):
        return False
    if re.fullmatch(r"[A-Za-z][A-Za-z\- ]*", term) and (
            len(term.split()) > 3 or term.split()[0].lower() in _EN_STARTERS
            or not all(word[:1].isupper() or word.isupper() for word in term.split())):
        return False  # English: a Capitalized Technical Term, not "The difference"
    return not re.fullmatch(r"[\d\W_]+", term)


def _blanked(text: str, term: str, gloss: str) -> str:
    """``text`` with every occurrence of the term (and its gloss) replaced by the blank."""
    for part in sorted({term, gloss, gloss.strip("（）()"), _bare(term)} - {""}, key=len,
                       reverse=True):
        if len(part) >= 2:
            text = re.sub(re.escape(part), BLANK, text, flags=re.IGNORECASE)
    text = re.sub(f"(?:{BLANK}\\s*)+", BLANK, text)
    return text.replace(BLANK + "（" + BLANK + "）", BLANK)


def _echoed(term: str, text: str) -> bool:
    """Half or more of the term's character bigrams stand in ``text`` ("评估模型" in
    "使用评估指标…评估融合模型的表现"): recalling it would be reading it."""
    grams = {term[i:i + 2] for i in range(len(term) - 1)} - {""}
    grams = {g for g in grams if not re.search(r"[\W_]", g)}
    return bool(grams) and sum(g in text for g in grams) * 2 >= len(grams)


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _giveaway(question: str, answer: str) -> bool:
    """The answer says no more than the question already does."""
    return _key(answer) in _key(question)
