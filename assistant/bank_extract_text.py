"""What every card rule of ``bank_extract`` shares: a passage's lines, the patterns that find
labels, list items, bold terms and definitions in them, and the draft a card becomes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.bank_records import EXTRACTED, Draft
from assistant.quiz_schema import BLANK, QuizItem
from assistant.retrieval import Citation
from ground.records import Chunk
from ground.sentences import split_sentences

LINE_CHARS = 110
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
_EN_STARTERS = {
    "the", "a", "an", "this", "that", "these", "it", "its", "since", "often", "even", "also",
    "intuitively", "here", "there", "our", "we", "one", "such", "each", "every", "both", "all",
    "however", "thus", "hence", "then", "so", "in", "on", "for", "as", "if", "when", "while",
}
_MARKUP = re.compile(r"\*\*|__|`")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\ufeff]")
_NEEDS_FIGURE = re.compile(
    r"上图|下图|左图|右图|如图|见图|网络结构图|图\s*\d|表\s*\d|如下所示|如下表|如下[：:]|公式如下|定义如下|计算如下|"
    r"as shown|the figure|the following figure|\bfig\.|\btable \d",
    re.IGNORECASE,
)
_ASIDE = re.compile(r"^[（(]?\s*(贡献者|来源|参考|注)[：:].*[）)]?$")


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based line in the source file
    text: str  # markup removed, stripped


def _first_sentences(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    out = ""
    for sentence in split_sentences(text):
        if out and len(out) + len(sentence) > limit:
            break
        out += sentence
    return out if len(out) <= limit * 1.6 else out[: limit - 1] + "…"


def _draft(chunk: Chunk, rule: str, question: str, answer: str, start: int, end: int,
           made_by: str, explanation: str = "") -> Draft:
    kind = "cloze" if rule in {"def", "term"} else "flashcard"
    citation = Citation(1, chunk.id, chunk.source, chunk.heading, start, end, chunk.page)
    first = start - chunk.start_line
    cited = "\n".join(chunk.text.split("\n")[first: end - chunk.start_line + 1]).strip()
    item = QuizItem(kind, _printable(question), (), None, _printable(answer),
                    _printable(explanation), citation, cited, False)
    return Draft(chunk.content_hash, f"x:{rule}", item, f"{EXTRACTED}:{made_by}")


def _printable(text: str) -> str:
    """Card text without control characters (a stray "\\b" in a note), newlines kept."""
    return _INVISIBLE.sub("", _CONTROL.sub("", text)).replace("\t", " ").strip()


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
