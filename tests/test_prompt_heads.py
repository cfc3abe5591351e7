"""A prompt's recurring head restored from its saved KV state, with the real model: the
question translation reads only the question after an answer prompt, and says the same."""

from __future__ import annotations

from assistant_support import assistant_settings, generator_fixture, real_generator  # noqa: F401

from assistant.generator import Message, Prompt
from assistant.prompt_heads import HeadStates
from assistant.prompts import SYSTEM
from assistant.query_translation import translation_prompt


def _answer_prompt() -> Prompt:
    """A prompt that shares only the system prompt with a translation (as an answer does)."""
    task = ("<passage id=\"1\">\n梯度裁剪把过大的梯度按比例缩小。\n</passage>\n"
            "用一句话回答：什么是梯度裁剪？")
    return Prompt((SYSTEM, Message("user", task)), max_tokens=32)


def test_a_translation_after_an_answer_restores_its_task_and_says_the_same(generator):
    "".join(generator.stream(translation_prompt("权重衰减为什么能减轻过拟合？", "en")))
    answer = generator.stream(_answer_prompt())
    "".join(answer)
    system_only = answer.stats.cached_tokens
    prompt = translation_prompt("批归一化为什么能加快训练？", "en")
    head = len(generator._head(prompt))
    assert system_only < head  # the task comes after the system prompt both share

    restored = generator.stream(prompt)
    text = "".join(restored)
    assert restored.stats.cached_tokens == head  # the task was not read again

    generator.heads = HeadStates()  # nothing saved, an empty cache: every token read
    generator.model.llm.reset()
    fresh = generator.stream(prompt)
    assert "".join(fresh) == text and fresh.stats.cached_tokens == 0
    assert "batch normalization" in text.lower()
