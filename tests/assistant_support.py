"""Helpers shared by the assistant tests: the real LLM with test settings, fixtures.

Import the fixtures by their function names (``assistant_fixture``); tests ask for them by
their fixture names (``assistant``, ``generator``).
"""

from __future__ import annotations

import functools

import pytest

from assistant.facade import Assistant
from assistant.generator import LlamaConfig, LlamaGenerator
from ground.settings import Settings
from models.llm_file import resolve_llm_path

TEST_MAX_TOKENS = 64


def real_generator(settings: Settings) -> LlamaGenerator:
    """The bundled GGUF; loaded once per test process per context size (the product keeps its
    generator itself: the app in ``st.cache_resource``, the CLI for its one command)."""
    return _loaded_generator(LlamaConfig.from_settings(settings, resolve_llm_path(settings)))


@functools.cache
def _loaded_generator(config: LlamaConfig) -> LlamaGenerator:
    return LlamaGenerator(config)


def assistant_settings(model_settings: Settings) -> Settings:
    return model_settings.replace(temperature=0.0, max_tokens=TEST_MAX_TOKENS)


@pytest.fixture(scope="session", name="generator")
def generator_fixture(model_settings) -> LlamaGenerator:
    return real_generator(assistant_settings(model_settings))


@pytest.fixture(scope="session", name="assistant")
def assistant_fixture(sample_library, generator, model_settings) -> Assistant:
    """The real library of the sample notes and the real model: temperature 0, short answers."""
    return Assistant(sample_library, generator, assistant_settings(model_settings))
