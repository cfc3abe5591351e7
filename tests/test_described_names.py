"""A question that describes a technique without naming it is refused when the notes never
name it (``assistant.described_names``): on the fakes, the plumbing (the refusal names what the
model called it, and the answer's model call never happens); on the real sample library with
the real model, that the model names what a question describes and the notes decide."""

from __future__ import annotations

from assistant_support import assistant_fixture, generator_fixture  # noqa: F401 (fixtures)

from assistant.coverage import Coverage
from assistant.described_names import judged_by_name, name_prompt
from assistant.explain import start_explanation
from assistant.facade import Assistant
from assistant.lookup_decoding import common_prefix
from assistant.query_translation import translation_prompt

CLIPPING = "训练时为了防止梯度太大，把梯度按范数缩放到一个上限以内，这种技巧叫什么？"
HALVES = ("有人训练时用 16 位浮点数做前向和反向计算来提速，同时保留一份 32 位的主权重来更新，"
          "这种做法叫什么？")


def test_a_question_whose_named_technique_the_notes_never_write_is_refused_for_it(
        fake_library, scripted):
    scripted.enqueue_name("mixed precision / 混合精度")
    covered = Coverage(True, 0.9, 0.8)
    judged = judged_by_name(HALVES, covered, scripted, fake_library, None)
    assert not judged.covered and judged.untreated == ("mixed precision",)
    assert judged.reason == "described name" and scripted.prompts == []
    named = Coverage(True, 0.9, 0.8, names={"梯度裁剪": "treated"})  # it names what is treated
    assert judged_by_name(HALVES, named, scripted, fake_library, None) is named


def test_a_name_the_question_writes_where_no_subject_frame_finds_it_is_judged_too(
        fake_library, scripted):
    asked = "做降维的时候，该保留几个维度？碎石图是怎么回事？"  # no clause names a subject
    scripted.enqueue_name("scree plot / 碎石图")
    judged = judged_by_name(asked, Coverage(True, 0.9, 0.8), scripted, fake_library, None)
    assert not judged.covered and judged.untreated == ("scree plot",)


def test_a_named_technique_the_notes_write_or_a_reply_that_is_no_name_refuses_nothing(
        fake_library, scripted, fake_settings):
    assistant = Assistant(fake_library, scripted, fake_settings)
    for reply in ("gradient clipping / 梯度裁剪", "clip gradient / 截断梯度",  # in other words
                  "DBSCAN / 基于密度的聚类",  # the notes write it once, in passing
                  "the gradient norm / 梯度的范数 / 上限"):  # no name
        scripted.enqueue_name(reply)
        scripted.enqueue("梯度裁剪限制梯度的大小。")
        answer = assistant.explain(CLIPPING).finish()
        assert answer.covered and answer.generated, reply


def test_the_model_names_what_a_question_describes_and_the_notes_decide(sample_library,
                                                                         generator):
    refused = start_explanation(sample_library, generator, HALVES, max_tokens=8).finish()
    assert not refused.covered and any("precision" in name.lower() or "混合精度" in name
                                       for name in refused.untreated)

    answered = start_explanation(sample_library, generator, CLIPPING, max_tokens=8)
    answered.prepare()
    assert answered.coverage.covered  # "gradient clipping / 梯度裁剪": the notes' 题目 5


def test_the_naming_calls_task_and_examples_are_kept_once_warm(assistant, generator):
    """Its ~200-token head is not read again for each question, even after other prompts."""
    assistant.warm()
    head = common_prefix(*(generator.model.tokens(generator.model.render(name_prompt(q).messages))
                           for q in (CLIPPING, HALVES)))
    "".join(generator.stream(translation_prompt(CLIPPING, "en")))  # takes the cache
    named = generator.stream(name_prompt(HALVES))
    assert "".join(named).strip() and named.stats.cached_tokens >= head > 150


def test_a_name_the_question_writes_itself_is_the_students_whatever_the_model_adds_to_it(
        fake_library, scripted):
    """dev8:c9: "…残差网络是怎么解决这个问题的？" was refused for the model's "residual network
    / 段残差网络", though the notes' heading says 残差网络: the student named it, the model
    garbled it."""
    asked = "网络一深梯度就太大，梯度裁剪是怎么解决这个问题的？"
    scripted.enqueue_name("gradient scaling scheme / 段梯度裁剪")
    covered = Coverage(True, 0.9, 0.8)
    assert judged_by_name(asked, covered, scripted, fake_library, None) is covered
    scripted.enqueue_name("gradient scaling scheme / 段梯度缩放")  # nothing the question writes
    assert not judged_by_name(asked, covered, scripted, fake_library, None).covered
