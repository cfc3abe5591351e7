"""``Assistant``: the one object the CLI, the UI and the tests call for every mode.

It holds no per-user state (history is passed in), so one instance can serve every Streamlit
session; the generator's process-wide lock queues their completions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial

from assistant.compare import Comparison, compare
from assistant.described_names import name_prompt
from assistant.explain import PROMPT_PASSAGES, Explanation, start_explanation
from assistant.generator import Generator, LlamaGenerator, open_generator
from assistant.grading import Grade, grade
from assistant.model_demand import Interactive
from assistant.query_translation import TASK, translation_prompt
from assistant.quiz import QuizLog, QuizRequest, generate_items
from assistant.quiz_schema import QuizItem
from assistant.retrieval import Retriever
from assistant.session import Turn
from ground.settings import Settings


class Assistant:
    def __init__(self, library: Retriever, generator: Generator, settings: Settings):
        self.library = library
        self.generator = generator
        self.settings = settings
        self._interactive = Interactive(generator)  # the bank's worker yields to these calls

    @classmethod
    def open(cls, library: Retriever, settings: Settings) -> Assistant:
        """With the configured LLM, or without one (extractive answers) if it cannot load."""
        return cls(library, open_generator(settings), settings)

    @property
    def can_generate(self) -> bool:
        return self.generator.available

    def warm(self) -> None:
        """Evaluate the fixed heads of the model calls a reply makes before its first token
        -- the question's translation into each language, and the naming call
        (``described_names``) -- and keep them (``assistant.kv_prefix``): a question pays only
        for its own text. Unkept, the naming call's task and three examples (~200 tokens)
        were read again for each question, 2.5-3 s of the first token (dev5, session 56).
        The system prompt they start with is shared by every prompt, so any cache holds it."""
        if isinstance(self.generator, LlamaGenerator):
            for prompt in (*(partial(translation_prompt, target=target) for target in TASK),
                           name_prompt):  # two probes each: the head is what they share
                self.generator.prime_shared(tuple(prompt(probe).messages
                                                  for probe in ("梯度", "gradient")))

    def explain(self, question: str, history: list[Turn] | None = None) -> Explanation:
        """Sources at once (``.passages``); ``.stream()`` the text; ``.finish()`` the Answer.

        ``top_k`` bounds the passages the model reads too: at top-k 1 the answer rests on one.
        """
        return start_explanation(
            self.library, self._interactive, question, history,
            max_tokens=self.settings.max_tokens, top_k=self.settings.top_k,
            prompt_passages=max(1, min(PROMPT_PASSAGES, self.settings.top_k)),
            search_mode=self.settings.search_mode, temperature=self.settings.temperature,
        )

    def quiz(self, topic: str | None = None, count: int = 5, kind: str = "mcq", seed: int = 0,
             log: QuizLog | None = None,
             cancel: threading.Event | None = None) -> Iterator[QuizItem]:
        """Practice questions, yielded as each is ready."""
        request = QuizRequest(topic or None, count, kind, seed)
        return generate_items(self.library, self._interactive, request, log, cancel)

    def practice(self, topic: str | None = None, count: int = 5, kind: str = "mcq",
                 seed: int = 0, log: QuizLog | None = None,
                 cancel: threading.Event | None = None) -> Iterator[QuizItem]:
        """Practice from the question bank, at once (due reviews, then new items; extracted
        cards where the model has not made items yet); written on demand, as ``quiz`` does,
        only for a topic the bank holds nothing on."""
        from assistant.bank import QuestionBank

        request = QuizRequest(topic or None, count, kind, seed)
        with QuestionBank.open(self.library) as bank:
            served = bank.serve(request.topic, request.count, request.kind, request.seed)
        if served:
            return iter(served)
        return self.quiz(topic, count, kind, seed, log, cancel)

    def grade(self, item: QuizItem, response: str,
              cancel: threading.Event | None = None) -> Grade:
        return grade(item, response, self._interactive, self.library.embedder, cancel)

    def compare(self, concepts: list[str],
                cancel: threading.Event | None = None) -> Comparison:
        return compare(self.library, self._interactive, concepts, cancel)
