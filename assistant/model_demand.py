"""Who wants the model now: interactive requests first, the background worker when idle.

One llama.cpp context serves the whole process (``generator.py``: a lock queues completions).
The question bank's worker must never make a student wait, so interactive calls go through
``Interactive`` (the ``Assistant`` wraps its generator in it), which marks ``DEMAND`` busy while
a completion is wanted or running; the worker passes ``yielding_event()`` as its cancel event,
which reads as set the moment demand appears, so its completion stops at the next token (or
while still queued) and the lock goes to the student.

``DEMAND`` is process-wide on purpose, like the generation lock it stands beside.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from assistant.generator import Generator, Message, Prompt, TokenStream


class ModelDemand:
    def __init__(self):
        self._lock = threading.Lock()
        self._active = 0
        self._last = 0.0  # when demand last ended (monotonic)

    def enter(self) -> None:
        with self._lock:
            self._active += 1

    def exit(self) -> None:
        with self._lock:
            self._active = max(self._active - 1, 0)
            self._last = time.monotonic()

    def busy(self) -> bool:
        return self._active > 0

    def idle_for(self) -> float:
        """Seconds since the last interactive completion ended (0 while one runs)."""
        with self._lock:
            if self._active:
                return 0.0
            return time.monotonic() - self._last if self._last else float("inf")


DEMAND = ModelDemand()


class _YieldingEvent(threading.Event):
    """A cancel event that is also set once interactive demand has appeared (and stays set: the
    work it cancelled is incomplete and must be redone, not kept)."""

    def __init__(self, demand: ModelDemand):
        super().__init__()
        self._demand = demand
        self.yielded = False

    def is_set(self) -> bool:
        if self._demand.busy():
            self.yielded = True
        return super().is_set() or self.yielded


def yielding_event(demand: ModelDemand = DEMAND) -> _YieldingEvent:
    return _YieldingEvent(demand)


class Interactive(Generator):
    """``inner`` with its completions marked as interactive demand."""

    def __init__(self, inner: Generator, demand: ModelDemand = DEMAND):
        self.inner = inner
        self.demand = demand

    @property
    def available(self) -> bool:  # type: ignore[override]
        return self.inner.available

    @property
    def reason(self) -> str:  # type: ignore[override]
        return self.inner.reason

    @property
    def label(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "label", "")

    @property
    def n_ctx(self) -> int:  # type: ignore[override]
        return self.inner.n_ctx

    @property
    def PROMPT_INTERRUPTIBLE(self) -> bool:  # type: ignore[override]  # noqa: N802
        return self.inner.PROMPT_INTERRUPTIBLE

    @property
    def read_rate(self) -> float | None:  # type: ignore[override]
        return self.inner.read_rate

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def prime(self, messages: tuple[Message, ...]) -> None:
        prime = getattr(self.inner, "prime", None)
        if prime is not None:
            prime(messages)

    def count_prompt(self, messages: tuple[Message, ...]) -> int:
        return self.inner.count_prompt(messages)

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> Iterator[str]:
        pieces = self.inner.stream(prompt, cancel)
        return TokenStream(self._marked(pieces), getattr(pieces, "stats", None))

    def _marked(self, pieces: Iterator[str]) -> Iterator[str]:
        """Demand from the first ``next`` (the completion waits for the lock from then on) to
        the end, so a stream made but never read holds nothing up."""
        self.demand.enter()
        try:
            yield from pieces
        finally:
            self.demand.exit()
