"""Saved KV-cache states of fixed prompt heads, restored when another prompt has evicted them.

llama.cpp reuses the longest token prefix its KV cache shares with the last prompt. A reply
often runs two prompts before its first token (the question's translation, then the
explanation), each with a fixed head that the other one evicts: the translation's task, for
one, would be read again for every question. A head's state is kept instead (about 30 KB a
token for the bundled 1.5B model) and copied back in a millisecond. The restored cache is the
one the head's own evaluation left, so the logits that follow are the same."""

from __future__ import annotations

import ctypes
from typing import Any

from assistant.lookup_decoding import common_prefix

MAX_HEADS = 4
"""Kept states: the translation's head in each language and the naming call's today (~4-6 MB
each for the bundled model; a 7B model without grouped-query attention takes ~60 MB a head)."""


class PrefixStates:
    """Sequence-0 states of a ``llama_cpp.Llama`` after evaluating each kept head."""

    def __init__(self) -> None:
        self._states: dict[tuple[int, ...], Any] = {}

    def __contains__(self, head: list[int]) -> bool:
        return tuple(head) in self._states

    def save(self, llm: Any, head: list[int]) -> None:
        """Keep the state of ``llm``, whose cache holds exactly ``head``."""
        import llama_cpp

        size = llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm._ctx.ctx, buffer, size, 0)
        if written != size:
            return  # not saved: the head is read again, as without this cache
        if len(self._states) >= MAX_HEADS:
            self._states.pop(next(iter(self._states)))
        self._states[tuple(head)] = buffer

    def restore(self, llm: Any, tokens: list[int]) -> int:
        """Put back the longest kept head ``tokens`` starts with, if the cache holds less of
        ``tokens`` than that head; returns the tokens the cache now shares with ``tokens``."""
        import llama_cpp

        shared = common_prefix(llm._input_ids, tokens)
        best = max((head for head in self._states
                    if len(head) > shared and tuple(tokens[:len(head)]) == head),
                   key=len, default=None)
        if best is None:
            return shared
        buffer = self._states[best]
        if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(buffer), 0) == 0:
            del self._states[best]  # not tried again: each try would empty the cache
            llm.reset()  # nothing restored: the cache is empty and the prompt is read whole
            return 0
        llm.input_ids[:len(best)] = best
        llm.n_tokens = len(best)
        llm._requires_eval = True  # the logits Llama keeps are another prompt's
        return len(best)
