"""Lookup decoding and kept prompt heads with the real model: the greedy text, fewer passes, a KV
cache left whole, a primed head put back after another prompt."""

from __future__ import annotations

import pytest
from assistant_support import assistant_settings, generator_fixture, real_generator  # noqa: F401

from assistant.generator import Message, Prompt
from assistant.lookup_decoding import common_prefix
from assistant.prompts import SYSTEM
from assistant.query_translation import translation_prompt

PASSAGE = (
    "梯度裁剪是一种防止梯度爆炸的技术：当梯度的范数超过设定的阈值时，"
    "把梯度按比例缩小到阈值以内，再用缩小后的梯度更新参数。"
)


def _copy_prompt(text: str) -> Prompt:
    task = f"<passage id=\"1\">\n{text}\n</passage>\n把上面的资料原样抄写一遍，不要改动任何字。"
    return Prompt((SYSTEM, Message("user", task)), max_tokens=96, temperature=0.0)


@pytest.fixture(scope="module")
def plain_generator(model_settings):
    """The same model decoding token by token (its own context)."""
    return real_generator(assistant_settings(model_settings).replace(draft_tokens=0))


def test_drafts_from_the_passage_are_kept_and_the_text_is_the_greedy_text(generator,
                                                                         plain_generator):
    prompt = _copy_prompt(PASSAGE)
    drafted = generator.stream(prompt)
    text = "".join(drafted)
    plain = plain_generator.stream(prompt)
    assert text == "".join(plain)
    assert PASSAGE[:20] in text
    assert plain.stats.drafted_tokens == 0
    # a copy is mostly guessed right: over half the tokens came from drafts
    assert drafted.stats.accepted_tokens * 2 > drafted.stats.completion_tokens


def test_after_rejected_drafts_the_next_prompt_reuses_a_clean_cache(generator, plain_generator):
    first = generator.stream(_copy_prompt(PASSAGE + "它常用于循环神经网络。"))
    "".join(first)
    assert first.stats.drafted_tokens > first.stats.accepted_tokens  # some guesses were wrong
    llm = generator.model.llm
    assert generator.config.draft_tokens > 0
    assert llm.n_tokens <= first.stats.prompt_tokens + first.stats.completion_tokens

    second_prompt = _copy_prompt("学习率衰减：训练后期把学习率调小，让参数在最优点附近稳定下来。")
    second = generator.stream(second_prompt)
    text = "".join(second)
    assert 0 < second.stats.cached_tokens < second.stats.prompt_tokens  # the shared head only
    assert text == "".join(plain_generator.stream(second_prompt))


def test_a_primed_head_is_put_back_after_another_prompt_and_reads_the_same(generator,
                                                                          plain_generator):
    generator.prime_shared(tuple(translation_prompt(probe, "en").messages
                                 for probe in ("梯度", "激活函数")))
    question = translation_prompt("梯度裁剪是做什么用的？", "en")
    head = common_prefix(*(generator.model.tokens(generator.model.render(p.messages))
                           for p in (question, translation_prompt("激活函数", "en"))))
    first = generator.stream(question)
    text = "".join(first)
    assert first.stats.cached_tokens >= head
    answer = generator.stream(_copy_prompt(PASSAGE))  # shares the system prompt only
    "".join(answer)
    assert answer.stats.cached_tokens < head

    again = generator.stream(question)
    assert "".join(again) == text
    assert again.stats.cached_tokens >= head  # the head was put back, not read again
    assert text == "".join(plain_generator.stream(question))  # as if read in one pass


def test_the_model_answers_the_longest_variant_it_can_read_by_the_deadline(generator,
                                                                            plain_generator):
    """``Prompt.shorter``: the model times its reading of the head the variants share, then
    reads on as far as the deadline allows; what it answers is what it read, as if that prompt
    had been read alone."""
    import time
    from dataclasses import replace

    head = "训练技巧：" + PASSAGE * 3  # shared by both variants, long enough to time
    whole = replace(_copy_prompt(head + "学习率衰减：训练后期把学习率调小。" * 20), max_tokens=24)
    short = replace(_copy_prompt(head + "学习率衰减：训练后期把学习率调小。"), max_tokens=24)
    lengths = [len(generator.model.tokens(generator.model.render(p.messages)))
               for p in (whole, short)]
    assert lengths[0] > lengths[1] + 150

    roomy = generator.stream(replace(whole, shorter=(short.messages,),
                                     answer_by=time.perf_counter() + 600))
    "".join(roomy)
    assert (roomy.stats.read_variant, roomy.stats.prompt_tokens) == (0, lengths[0])

    late = generator.stream(replace(whole, shorter=(short.messages,),
                                    answer_by=time.perf_counter()))
    text = "".join(late)
    assert (late.stats.read_variant, late.stats.prompt_tokens) == (1, lengths[1])
    assert late.stats.shared_rate and late.stats.shared_rate > 10  # measured: tokens/s
    assert text == "".join(plain_generator.stream(short))
