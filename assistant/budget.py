"""Token budgeting: passages and history cut to fit before the model sees them.

llama-cpp-python raises when the prompt reaches ``n_ctx`` and silently clips ``max_tokens``
otherwise, so every prompt is measured with the model's own tokenizer (``count``) first.
Passages are cut at line or sentence ends (never inside a character: Python strings are cut
between code points), keeping the lines around the question's terms, and the lowest-ranked are
dropped first. The examples count characters (``count=len``) so they are easy to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.language import is_han

Count = Callable[[str], int]
ELLIPSIS = "…"
MIN_PASSAGE_TOKENS = 24  # a passage cut shorter than this says too little to be worth a slot
_BOUNDARY = re.compile(r"\n|[。！？；]|[.!?;](?=\s)")
_TERM_RUNS = re.compile(r"[A-Za-z][A-Za-z0-9+#\-]*|[\u3400-\u9fff\uf900-\ufaff]+")
_FUNCTION_CHARS = frozenset("是的了吗呢么和与或在")
STOP_TERMS = frozenset(
    "什么 么是 是什 如何 怎么 么样 为什 有什 哪些 一下 请问 是否 可以 解释 请解 区别 的区 "
    "the and what how why which is are was were does do can of to in on for with an".split()
)


def query_terms(text: str) -> list[str]:
    """Words to look for in a passage: Latin words and Han bigrams, minus question words.

    >>> query_terms("什么是梯度裁剪？")
    ['梯度', '度裁', '裁剪']
    >>> query_terms("What is L2 regularization?")
    ['l2', 'regularization']
    """
    terms: list[str] = []
    for run in _TERM_RUNS.findall(text):
        if is_han(run[0]):
            pieces = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        else:
            pieces = [run.lower()] if len(run) >= 2 else []
        terms.extend(p for p in pieces if p not in STOP_TERMS and p not in terms)
    return [t for t in terms if not (is_han(t[0]) and set(t) & _FUNCTION_CHARS)]


def trim_to_tokens(text: str, max_tokens: int, count: Count) -> str:
    """The longest head of ``text`` within ``max_tokens``, cut at a line or sentence end.

    >>> trim_to_tokens("第一句话。第二句很长很长。", 8, len)
    '第一句话。…'
    >>> trim_to_tokens("short", 8, len)
    'short'
    """
    if count(text) <= max_tokens:
        return text
    low, high = 0, len(text)
    while low < high:  # largest n with count(text[:n] + "…") <= max_tokens
        middle = (low + high + 1) // 2
        if count(text[:middle] + ELLIPSIS) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    ends = [m.end() for m in _BOUNDARY.finditer(text, 0, low)]
    cut = ends[-1] if ends and ends[-1] >= low * 0.6 else low
    head = text[:cut].rstrip()
    return head + ELLIPSIS if head else ""


def excerpt(text: str, terms: Sequence[str], max_tokens: int, count: Count) -> str:
    """The lines of ``text`` around the one mentioning most ``terms``, within ``max_tokens``.

    Lines after the anchor are preferred (an answer follows its question); "…" marks a cut.

    >>> note = "# Topic\\nintro line\\nL2 adds a squared penalty.\\nIt shrinks weights.\\nother"
    >>> excerpt(note, ["l2"], 50, len)
    '…\\nL2 adds a squared penalty.\\nIt shrinks weights.\\n…'
    """
    if count(text) <= max_tokens:
        return text
    lines = text.split("\n")
    scores = [sum(term in line.lower() for term in terms) for line in lines]
    anchor = scores.index(max(scores))
    low = high = anchor

    def render(first: int, last: int) -> str:
        body = "\n".join(lines[first : last + 1]).strip("\n")
        return (ELLIPSIS + "\n" if first > 0 else "") + body + (
            "\n" + ELLIPSIS if last < len(lines) - 1 else "")

    if count(render(low, high)) > max_tokens:
        return trim_to_tokens(lines[anchor], max_tokens, count)
    grew = True
    while grew:
        grew = False
        if high + 1 < len(lines) and count(render(low, high + 1)) <= max_tokens:
            high, grew = high + 1, True
        if low > 0 and count(render(low - 1, high)) <= max_tokens:
            low, grew = low - 1, True
    return render(low, high)


def fit_passages(
    texts: Sequence[str],
    overheads: Sequence[int],
    budget: int,
    count: Count,
    per_passage: int,
    terms: Sequence[str] = (),
) -> list[str]:
    """Passages (best first) cut to ``per_passage`` and to what is left of ``budget``.

    ``overheads[i]`` is what passage ``i``'s label and delimiters cost. Passages that no longer
    fit in ``MIN_PASSAGE_TOKENS`` are dropped, so the lowest-ranked go first.

    >>> fit_passages(["a" * 40, "b" * 20, "c" * 40], [5, 5, 5], 70, len, 30)
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaa…', 'bbbbbbbbbbbbbbbbbbbb']
    """
    kept: list[str] = []
    remaining = budget
    for text, overhead in zip(texts, overheads, strict=True):
        cap = min(per_passage, remaining - overhead)
        if cap < MIN_PASSAGE_TOKENS:
            break
        cut = excerpt(text, terms, cap, count)
        if not cut:
            break
        kept.append(cut)
        remaining -= count(cut) + overhead
    return kept


def fit_recent(costs: Sequence[int], budget: int) -> int:
    """How many of the most recent items (``costs`` oldest first) fit in ``budget``.

    >>> fit_recent([50, 30, 20], 60)
    2
    >>> fit_recent([50, 30, 20], 10)
    0
    """
    used = kept = 0
    for cost in reversed(costs):
        if used + cost > budget:
            break
        used += cost
        kept += 1
    return kept
