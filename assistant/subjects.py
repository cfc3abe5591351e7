"""The names a question asks about -- its grammatical subject(s) -- without a dictionary.

Chinese: each clause's leading phrase, cut where the predicate starts (是 / 为什么 / 怎么 /
在 / 的 / 和 ...), with 和 / 与 / 跟 splitting two subjects, and what follows 什么是 / 解释.
A phrase that is not a name is dropped: one with a function word inside (一 不 没 很 太 了 ...)
or opening with a verb or preposition (让 把 用 做 靠 按 ...), and an example ("PyTorch 这类
框架": the subject is 框架). English: X in "what is X", "what does X do", "how does X <verb>",
"why does X <verb>", "difference between X and Y", and acronyms.

>>> subject_terms("逻辑回归的损失函数是什么？"), subject_terms("随机森林和 GBDT 有什么区别？")
(['逻辑回归'], ['随机森林', 'GBDT'])
>>> subject_terms("网络一深，梯度往回传就越来越小甚至没了，是什么原因")
[]

Only the first clause names the subject ("什么是支持向量机？它的核函数有什么用？").
>>> subject_terms("How does beam search decode a sequence?")
['beam search']
"""

from __future__ import annotations

import re

from assistant.language import detect_language, is_han

MAX_NAME_CHARS = 12
MAX_NAME_WORDS = 4
_CLAUSE = re.compile(r"[？?。！!；;，,：:]")
_PREFIX = re.compile(r"^(?:请问|请|你能|能否|可以)?(?:简单)?"
                     r"(?:解释一下|解释|介绍一下|介绍|说说|讲讲|"
                     r"谈谈)?(?:一下)?(?:什么叫做?|什么是|何为|何谓)?")
_AT_TIME = r"(?<!长短)时(?![间序刻])"  # "训练时": when; not 时间, 时序, 长短时记忆网络
_PREDICATE = re.compile(
    r"是|为什么|为何|怎么|怎样|如何|在|里|中|上|通过|能|会|可以|有什么|有哪些|有何|有|的|之|对(?!抗)|把|被|"
    r"要|需|相比|比起|比|叫|属于|用于|用来|到底|究竟|本质|具体|一般|通常|主要|分别|之间|还是|或|"
    r"这类|这些|这种|这样|之类|等|" + _AT_TIME + r"|后|前|应该|[、“”\"'（(]")
_EXAMPLE = re.compile(r"^\s*(?:这类|这些|这种|之类|等)")
_JOIN = re.compile(r"和|与|跟|及|以及|或者|、")
_FUNCTION_CHARS = frozenset("一不没很太都也就才还只了吧呢吗啊么再又更最越"
                           "哪几得着按往以我你他它而且己全设老")
# Terms written with one of those characters: 归一化 is no "一 …" phrase, 全连接层 no "全 …".
_TERM_PARTS = re.compile(r"归一|统一|一阶|一维|一致|全连接|全局|最大|最小|最优|不平衡")
_OPENERS = frozenset("让把用做给要想能会拿先按靠从对向往被将弄怎当如若使令帮去来该应由举加处")
_OPENING_TERMS = re.compile(r"^(?:对抗|加权)")  # terms that open with one of those: 对抗样本
_GENERIC = frozenset("区别 不同 应用 作用 原理 效果 公式 方法 问题 优点 缺点 步骤 过程 "
                     "场景 例子 好处 坏处 "
                     "意义 用途 定义 特点 联系 关系 影响".split())
_ENUMERATION_EXAMPLE = re.compile(r"这类|这些|这种|之类|等等|这样的")
_USING = re.compile(r"^(?:使用|采用|用)")
_QUANTIFIER = re.compile(r"^(?:一个|这个|那个|一种|某个|某种|这种|那种|一些|这些|那些)")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-+.][A-Za-z0-9]+)*(?:\+\+)?"
                        r"(?:\s+[A-Za-z][A-Za-z0-9]*(?:[-+][A-Za-z0-9]+)*)*")
# The subject of "how/why <auxiliary> X <verb>": up to four words, as few as match, and an
# adverb between it and its verb that is not part of it ("how does dropout usually prevent").
# Before a verb of the list, five ("cosine annealing with warm restarts", cut at its "with" by
# ``_trim``); before a verb known only by the word after it, five words took a verb in
# ("the LSTM memory cell carry" information across).
_ADVERBS = "sometimes|often|always|never|usually|still|also|actually|really|just|only|even"


def _subject_before_verb(most_words: int) -> str:
    return (r"(?P<x>(?:\S+\s+){0," + str(most_words - 1) + r"}?\S+)\s+(?:(?:" + _ADVERBS +
            r"|[a-z]+ly)\s+)?")


_SUBJECT_BEFORE_VERB = _subject_before_verb(4)
_SUBJECT_BEFORE_LISTED_VERB = _subject_before_verb(5)
_EN_FRAMES = (
    re.compile(r"\bwhat(?:'s| is| are)\s+(?P<x>.+?)(?=\s+(?:and|used|for|in|when|actually|"
               r"really|good|useful|called|mean)\b|[?,.;]|$)", re.IGNORECASE),
    re.compile(r"\bwhat (?:does|do) (?P<x>.+?) do\b", re.IGNORECASE),
    re.compile(r"\b(?:how|why) (?:does|do|is|are|can|would) " + _SUBJECT_BEFORE_LISTED_VERB +
               r"(?:VERBS)(?:e|es|ed|s|y|ies)?\b".replace("VERBS", "|".join(
                   "work give decod stabiliz generat help keep differ compar handl learn train "
                   "classif choos use mak avoid prevent reduc improv affect chang mean produc "
                   "find comput calculat updat converg caus solv lead need matter get becom "
                   "behav deal apply remov select encod represent perform scal speed fail requir "
                   "captur combin map transform predict estimat minimiz maximiz normaliz "
                   "regulariz optimiz fix avoid account allow let provid "
                   "decide determin".split())), re.IGNORECASE),
    re.compile(r"\bdifference between (?P<x>.+?) and (?P<y>.+?)(?=[?,.;]|$)", re.IGNORECASE),
)
_COUNTED = re.compile(r"[一二两三四五六七八九十几\d][个格步层倍条件张只]")
"""A numeral and its measure word: "挪两格" (move two cells) counts, it names nothing."""
_EN_COUNTS = frozenset("two three four five six seven eight nine ten several few both "
                       "multiple".split())
"""A phrase opening with a count ("two alphas") counts things, it names none."""
_EN_COMMON = frozenset(
    "a an the what how why when which who whom is are was were do does did can could should "
    "would will i you we it its this that these those of to in on for with by from and or vs "
    "versus between difference different use used using work works help make made get one some "
    "many more most better best new way ways me my our your their there here about into than "
    "then so if not no yes each other such very just also only really actually good people they "
    "someone".split())


def subject_terms(question: str) -> list[str]:
    """The names ``question`` asks about, in order (see the module docstring). A first clause
    that only says when ("训练时，…", "做聚类的时候，…") names no subject: the next one does.

    >>> subject_terms("训练时让学习率按余弦曲线下降，这种调度叫什么？")
    []
    >>> subject_terms("做图像分类的时候，Dropout 为什么有用？")
    ['Dropout']
    >>> subject_terms("什么是 early stopping？")  # more Latin letters than Han, asked in Chinese
    ['early stopping']
    """
    if detect_language(question) == "zh":
        names = _chinese_subjects(question)
    else:  # mostly Latin letters: "什么是 early stopping？" is asked in Chinese all the same
        names = english_subjects(question) or \
            (_chinese_subjects(question) if any(is_han(c) for c in question) else [])
    return list(dict.fromkeys(n for n in names if n))


def _chinese_subjects(question: str) -> list[str]:
    clauses = _CLAUSE.split(question.strip())
    names = clause_subjects(clauses[0])
    if not names and len(clauses) > 1 and _only_when(clauses[0]):
        names = clause_subjects(clauses[1])
    return names


_LOCATIVE = "里中上"


def scene_names(question: str) -> list[str]:
    """Subject names that only set the scene: a Chinese first clause opening with "X里 / X中 /
    X上" and going straight on to a subject of its own ("检测结果里同一个物体周围出来好几个框",
    "单阶段检测器里简单负样本太多"). What is asked about comes after; X is where it happens. Not
    "X里的 Y" (X's Y: "支持向量机里的软间隔" asks about the SVM's soft margin), not "X里，…" (X
    is the topic) and not "X里为什么…" (a predicate follows: X is the subject).

    >>> scene_names("检测结果里同一个物体周围出来好几个高度重叠的框，要怎么把多余的去掉？")
    ['检测结果']
    >>> scene_names("支持向量机里的软间隔是什么意思？"), scene_names("点积注意力里，为什么要缩放？")
    ([], [])
    >>> scene_names("Transformer 里为什么要用多头注意力？")
    []
    """
    if detect_language(question) != "zh":
        return []
    clause = _CLAUSE.split(question.strip())[0]
    head, rest = _head_and_rest(clause)
    after = rest[1:].lstrip()
    if not head or rest[:1] not in _LOCATIVE or not after or _PREDICATE.match(after):
        return []
    return clause_subjects(clause)


_WHEN = re.compile(r"^(?:的)?" + _AT_TIME + r"(?:候)?")


def _only_when(clause: str) -> bool:
    """The clause is "X时" / "X的时候": when something is asked about, not what."""
    head, rest = _head_and_rest(clause)
    return bool(head) and _WHEN.fullmatch(rest.strip()) is not None


def clause_subjects(clause: str) -> list[str]:
    """The subject(s) of one Chinese clause. What comes before 时 / 的时候 says when, not what
    ("训练时随机让一部分神经元停止工作": 训练 is no subject of the question); the subject, if any,
    follows it.

    >>> clause_subjects("PyTorch 这类框架是怎么自动算梯度的")
    []
    >>> clause_subjects("LSTM 和 GRU 的门结构有什么不同")
    ['LSTM', 'GRU']
    >>> clause_subjects("一个预训练模型怎么同时 fine-tune 好几个下游任务")
    ['预训练模型']
    >>> clause_subjects("GAN 训练时生成器为什么会崩溃")
    ['生成器']
    >>> clause_subjects("层归一化和批归一化有什么区别")
    ['层归一化', '批归一化']
    >>> clause_subjects("用信息增益和用基尼指数有什么区别")
    ['信息增益', '基尼指数']

    对 marks a predicate ("X对Y的影响"), but not in 对抗: a GAN's name was cut to 生成, and
    "训练生成对抗网络时" (when training a GAN) refused for a name "训练生成" (dev5:c25, dev6:c17).
    >>> clause_subjects("生成对抗网络为什么难训练"), clause_subjects("对抗样本是怎么构造的")
    (['生成对抗网络'], ['对抗样本'])
    >>> clause_subjects("训练生成对抗网络时判别器为什么要冻结")
    ['判别器']

    A count is no name (``_COUNTED``): "挪两格" refused a covered question on stride (dev8:c5).
    >>> clause_subjects("窗口每次挪一格和挪两格有什么区别")
    []
    """
    head, rest = _head_and_rest(clause)
    when = _WHEN.match(rest)
    if head and when:
        return clause_subjects(rest[when.end():])
    if _EXAMPLE.match(rest) or ("、" in rest[:1] and _ENUMERATION_EXAMPLE.search(rest)):
        return []
    names = []
    parts = _JOIN.split(head)
    if len(parts) > 1:  # "用信息增益和用基尼指数": two ways, each named after its 用
        parts = [_USING.sub("", part.strip()) for part in parts]
    for part in parts:
        for word in _han_words(_QUANTIFIER.sub("", part.strip()).strip()):
            if _is_name(word) and word not in _GENERIC:
                latin = _LATIN_RUN.search(word)
                names.append(latin.group(0) if latin and len(latin.group(0)) >= 2 else word)
    return names


def _han_words(part: str) -> list[str]:
    """Space-separated Han words are separate names ("软注意力 硬注意力"); Latin stays whole."""
    if _LATIN_RUN.fullmatch(part) or not any(is_han(c) for c in part):
        return [part]
    return part.split() if " " in part and all(
        any(is_han(c) for c in w) for w in part.split()) else [part]


def _head_and_rest(clause: str) -> tuple[str, str]:
    """``clause`` without its asking prefix ("请问", "什么是"), split at its first predicate."""
    return _split_at_predicate(_PREFIX.sub("", clause.strip()).strip())


def _split_at_predicate(clause: str) -> tuple[str, str]:
    """The clause before its first predicate marker (Latin names are never cut inside)."""
    latin_spans = [m.span() for m in _LATIN_RUN.finditer(clause)]
    for match in _PREDICATE.finditer(clause):
        if match.start() == 0:
            return "", clause
        if not any(a <= match.start() < b for a, b in latin_spans):
            head = clause[: match.start()]
            rest = clause[match.start():]
            joined = _JOIN.search(rest[:2]) if rest[:1] in "和与跟" else None
            if joined is None:
                return head, rest
    return clause, ""


def _is_name(part: str) -> bool:
    if not part or len(part) > MAX_NAME_CHARS + 20:
        return False
    han = "".join(c for c in part if is_han(c))
    latin = _LATIN_RUN.fullmatch(part.strip())
    if latin:
        words = part.split()
        return len(part) >= 2 and len(words) <= MAX_NAME_WORDS and \
            not all(w.lower() in _EN_COMMON for w in words)
    if not 2 <= len(han) <= MAX_NAME_CHARS or len(han) < len(part.replace(" ", "")) - 12:
        return False
    return not (set(_TERM_PARTS.sub("", han)) & _FUNCTION_CHARS) and \
        not _COUNTED.search(part) and \
        (han[0] not in _OPENERS or _OPENING_TERMS.match(han) is not None)


def english_subjects(question: str) -> list[str]:
    """X of the English frames, trimmed of leading articles; acronyms.

    >>> english_subjects("What is the difference between bagging and boosting?")
    ['bagging', 'boosting']
    >>> english_subjects("what is a 1x1 convolution actually good for?")
    ['1x1 convolution']
    """
    names: list[str] = []
    for frame in (*_EN_FRAMES, _EN_FOLLOWED_VERB, _EN_PASSIVE):
        for match in frame.finditer(question):
            for key in ("x", "y"):
                if key in match.groupdict() and match.group(key):
                    names.append(_trim(match.group(key)))
    names = [n for n in names if n and not n.lower().startswith("difference")]
    names += re.findall(r"\b[A-Z][A-Z0-9]{1,6}(?=s?\b)", question)
    return list(dict.fromkeys(names))


def _trim(phrase: str) -> str:
    """``phrase`` without its leading common words, up to a "with" that qualifies it; empty
    when it is not a name.

    >>> _trim("the cosine annealing with warm restarts"), _trim("a layer of neurons")
    ('cosine annealing', '')
    >>> _trim("the drawback compared with using an L2 penalty")  # dev3:c7
    ''
    >>> _trim("two alphas")  # a count (dev8:c39 on SMO was refused for it)
    ''
    """
    words = phrase.strip().split()
    while words and words[0].lower() in _EN_COMMON:
        words.pop(0)
    if words and words[0].lower() in _EN_COUNTS:
        return ""
    lowered = [w.lower() for w in words]
    cut = lowered.index("with") if "with" in lowered[1:] else 0
    if cut and not lowered[cut - 1].endswith("ed"):  # not "the drawback compared with …"
        words = words[:cut]  # "cosine annealing with warm restarts": a cosine annealing
    if not words or len(words) > MAX_NAME_WORDS or any(w.lower() in _EN_JOINERS for w in words):
        return ""
    return " ".join(words)


_FOLLOWERS = ("the a an each every its their this that these those it them itself into onto over "
              "through across up down out away").split()
_EN_FOLLOWED_VERB = re.compile(
    # "how does gradient boosting fit each new tree": a verb outside the list above, known by
    # the closed-class word after it. The subject opens with neither a pronoun nor a gerund
    # ("how do I check", "why would injecting noise ..."); the verb is no function word or
    # preposition ("act as a"), no -ing / -ed form and no plural noun ("the softmax function
    # turn logits into": a base form after "does" ends in -s only as "pass", "focus"), and an
    # adverb before it is not part of the subject ("the translation model sometimes output").
    r"\b(?:how|why) (?:does|do|did|can|could|would|should) "
    r"(?!(?:i|you|we|they|people|someone)\b)(?![a-z]+ing\b)" + _SUBJECT_BEFORE_VERB +
    r"(?!(?:COMMON|as|like|via|per)\b)[a-z]+(?<!ing)(?<!ed)(?<![^su]s)\s+"
    r"(?:FOLLOWERS)\b".replace("COMMON", "|".join(_EN_COMMON)).replace(
        "FOLLOWERS", "|".join(_FOLLOWERS)), re.IGNORECASE)
_EN_PASSIVE = re.compile(
    # "how is negative sampling used", "why are residual connections needed": the subject of a
    # passive, before its past participle (regular, or one of the common irregular ones).
    r"\b(?:how|why) (?:is|are|was|were) (?!(?:it|they|this|that)\b)" + _SUBJECT_BEFORE_VERB +
    r"(?:[a-z]{2,}ed|chosen|done|made|built|set|given|taken|written|known|drawn|found|kept|"
    r"split|run|shown|seen)\b", re.IGNORECASE)


_EN_JOINERS = frozenset("and or of i you we it to for in on with from by is are do does the a an "
                        "this that".split())
