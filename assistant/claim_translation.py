"""An explanation's sentence checked against a passage in the notes' other language, through
the model's translation of the sentence.

A Chinese question over bilingual notes gets English passages in its prompt (the search
translates the question, ``query_translation``); the model reads "K=1 … overfitting / high
variance" and answers "邻居个数取得太小，会过拟合（高方差）". The claim checker matches words, and
a Chinese sentence has none in an English passage (``citations``: across languages the
embedder's cosine alone kept only bad sentences), so a right sentence was taken out as
unsupported and the reply fell back to another section's quote (dev7:c22, r68: the K-means
elbow lines for a nearest-neighbour question).

So a sentence no passage of its own language supports, when the prompt holds passages in the
other language, is translated into that language (one model call for all of them, numbered, the
sentences alone: the model sees no passage, so the translation cannot borrow the passage's
words) and the translation is checked against those passages as an English or Chinese claim
is, word by word, with the question's own translation discounted. The sentence shown is the
one the model wrote, citing the passage its translation is found in. A translation loses the
checks only Chinese gets (``polarity``), so a sentence that negates, in either language, is not
vouched for in translation, nor one whose passage sentence has the other term of an opposite
pair (``opposite_terms.opposes_closest``).

Only an explanation none of whose sentences passed is checked again (otherwise the reply shows
it without them, as before): the call takes 7-11 s (median) on an Intel Xeon's 2 cores, and
replayed on the recorded answers (``benchmarks.recheck_across_languages``, 99 answers of
dev2/dev5/dev6/dev7 with unsupported sentences and passages in both languages), 13 of the 15
answers that gained a sentence had none before. Checking every such answer kept 22 of 174
unsupported sentences (dev7 12 of 75, dev2 4 of 39, dev6 3 of 41, dev5 3 of 19); a judge who did
not write the code found 16 said by the passage they cite, 5 in part, none not
(``benchmarks/results/claim_translation_judge_s51.md``); the gate leaves 19 (dev7 13, dev2 3,
dev6 3), none of the 4 it drops answered its question. Without the two guards, a wrong
"测试集应该用它自己的均值和标准差" and "提升是增加模型高偏差的算法" were kept too.

>>> numbered(["梯度裁剪限制梯度范数。", "它防止梯度爆炸。"])
'1. 梯度裁剪限制梯度范数。\\n2. 它防止梯度爆炸。'
>>> parsed("1. Gradient clipping caps the norm.\\n2) It prevents explosion.\\nNote: done", 2)
{1: 'Gradient clipping caps the norm.', 2: 'It prevents explosion.'}
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence

from assistant.citations import KEPT, CheckedText, check_citations
from assistant.generator import Generator, Message, Prompt
from assistant.language import detect_language
from assistant.prompts import SYSTEM, defuse
from assistant.retrieval import Embedder, Passage
from index.cross_language import passage_language

TASKS = {
    "en": ("Below are numbered sentences written in Chinese. Translate each one into English, "
           "keeping every technical term precise (the standard English term of the field). "
           "Keep the numbering: one numbered line of translation for each numbered sentence, in "
           "the same order. Translate only: add nothing and leave nothing out. Reply with the "
           "translation only."),
    "zh": ("下面是几句编号的英文句子。把每一句翻译成简体中文，技术术语用该领域标准的中文译名。"
           "保留编号：每个编号句子译成一个编号行，顺序不变。只翻译：不添加、不省略任何内容。"
           "只回复译文。"),
}
"""The task goes in the user turn after the answers' own system prompt, as the question's
translation does (``query_translation.TASK``): the system prompt stays in llama.cpp's cache."""
MAX_SENTENCES = 6  # an answer with more unsupported sentences than this is not worth the wait
TOKENS_PER_CHAR = 2  # room for a sentence's translation (Chinese -> English: about 1 a character)
EXTRA_TOKENS = 16
MAX_TOKENS = 320
"""All the translations together: the replay (below) took 248 s once on a loaded machine with
room for 6 long sentences at two tokens a character; 320 tokens take about 26 s at the 12
tokens a second the Xeon writes explanations at (r69 median; a median translation, 7-11 s)."""
LONGEST_RATIO = {"en": 8.0, "zh": 2.0}
"""A translation with more than this many times its sentence's characters adds what the
sentence did not say (the question's translation uses the same bounds)."""
_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.、)）:：]\s*(\S.*?)\s*$")


def other_language(passages: Sequence[Passage], language: str) -> str | None:
    """The language of the prompt's passages that is not ``language``, or None when they are
    all written in it (``passage_language``: a Chinese section full of formula images is
    Chinese)."""
    others = {passage_language(p.text) for p in passages} - {language}
    return next(iter(sorted(others)), None)


def numbered(sentences: Sequence[str]) -> str:
    return "\n".join(f"{i}. {' '.join(s.split())}" for i, s in enumerate(sentences, start=1))


def parsed(reply: str, count: int) -> dict[int, str]:
    """The reply's numbered lines, 1..``count``, each at most once (a later repeat is ignored).
    Asked for one sentence, the model often leaves out its "1." (dev7:c22, session 52: the
    only unsupported sentence went untranslated and the reply quoted the sigmoid section): a
    reply of one unnumbered line is that sentence's.

    >>> parsed("1. a\\n2. b\\n1. c", 2), parsed("In nearest neighbor classification …", 1)
    ({1: 'a', 2: 'b'}, {1: 'In nearest neighbor classification …'})
    """
    found: dict[int, str] = {}
    for line in reply.splitlines():
        match = _NUMBERED.match(line)
        if match and 1 <= int(match.group(1)) <= count:
            found.setdefault(int(match.group(1)), match.group(2))
    lines = [line.strip() for line in reply.splitlines() if line.strip()]
    if not found and count == 1 and len(lines) == 1:
        found[1] = lines[0]
    return found


def translation_prompt(sentences: Sequence[str], target: str) -> Prompt:
    budget = min(MAX_TOKENS, sum(EXTRA_TOKENS + TOKENS_PER_CHAR * len(s) for s in sentences))
    return Prompt((SYSTEM, Message("user", f"{TASKS[target]}\n\n{defuse(numbered(sentences))}")),
                  max_tokens=budget, temperature=0.0)


def translated_sentences(sentences: Sequence[str], target: str, generator: Generator,
                         cancel: threading.Event | None = None) -> dict[str, str]:
    """Each of ``sentences`` (at most ``MAX_SENTENCES``, the first ones) -> its translation
    into ``target``; a sentence whose reply line is missing, in the wrong language or far
    longer than it is left out."""
    asked = list(dict.fromkeys(sentences))[:MAX_SENTENCES]
    if not asked or target not in TASKS:
        return {}
    lines = parsed(generator.complete(translation_prompt(asked, target), cancel), len(asked))
    return {sentence: lines[i] for i, sentence in enumerate(asked, start=1)
            if i in lines and detect_language(lines[i]) == target
            and len(lines[i]) <= LONGEST_RATIO[target] * max(len(sentence), 8)}


def checked_in_both_languages(text: str, passages: Sequence[Passage], embedder: Embedder | None,
                              question: str, profile, generator: Generator,
                              asked: Mapping[str, str] | None = None, cut: bool = False,
                              cancel: threading.Event | None = None) -> CheckedText:
    """``check_citations``; then, when no sentence passed and ``passages`` hold some in the
    other language, again with the unsupported sentences translated into it (one model
    call). ``asked``: the question's translations (language -> text) the search made; without
    one, the question is translated with the sentences, so that its own words do not count as
    support."""
    passages = list(passages)
    checked = check_citations(text, passages, embedder, question, profile, cut=cut)
    target = other_language(passages, detect_language(question))
    if (not checked.unsupported or target is None or any(c.verdict in KEPT for c in checked.checks)
            or (cancel is not None and cancel.is_set())):
        return checked
    known = (asked or {}).get(target)
    sentences = list(checked.unsupported) if known else [question, *checked.unsupported]
    translations = translated_sentences(sentences, target, generator, cancel)
    known = known or translations.pop(question, "")
    if not translations:
        return checked
    return check_citations(text, passages, embedder, question, profile, cut=cut,
                           translations=translations, asked=known)
