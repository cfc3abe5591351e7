"""The evaluated KV state of a prompt's recurring head, kept and restored (llama.cpp).

llama.cpp reuses only the longest token prefix a prompt shares with the last one. A question
over bilingual notes is first translated (``assistant.query_translation``): system prompt, then
the translation task (~50 tokens), then the question. The answer prompt that follows shares
only the system prompt, so the next question's translation read its task again: about a second
of a cross-language question's wait for its first model token, every time.

A prompt names such a head (``Prompt.head``: the start of its last message that recurs across
prompts of its kind). The first time, the head is evaluated alone and the sequence's KV cells
are copied out (``llama_state_seq_get_data``, a few MB); later, when the cache no longer holds
the head, they are copied back instead of evaluated, and the prompt's remaining tokens are read
as usual. The restored cells are the ones evaluation would have made, so the text is the same
(``tests/test_prompt_heads.py``).
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from typing import Any

from assistant.lookup_decoding import common_prefix, keep_tokens

MAX_HEADS = 4  # kinds of prompt with a head (today one: the query translation per language)
SEQUENCE = 0  # the only sequence the generator decodes


class HeadStates:
    """The saved KV cells of up to ``MAX_HEADS`` heads (token tuple -> bytes), latest kept."""

    def __init__(self) -> None:
        self._saved: OrderedDict[tuple[int, ...], bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._saved)

    def ready(self, llm: Any, head: list[int]) -> int:
        """Make ``llm``'s cache start with ``head`` (restored, or evaluated and saved) and
        return how many of its tokens were not evaluated now (the prompt's reused tokens)."""
        reuse = common_prefix(llm._input_ids, head)
        if reuse == len(head):
            return reuse
        key = tuple(head)
        saved = self._saved.get(key)
        if saved is not None:
            self._saved.move_to_end(key)
            _restore(llm, head, saved)
            return len(head)
        llm.n_tokens = reuse
        llm.eval(head[reuse:])
        self._saved[key] = _save(llm)
        if len(self._saved) > MAX_HEADS:
            self._saved.popitem(last=False)
        return reuse


def head_tokens(tokens: list[int], head: list[int]) -> list[int]:
    """``head`` when the prompt's ``tokens`` start with it and go on past it, else []."""
    return head if 0 < len(head) < len(tokens) and tokens[:len(head)] == head else []


def _save(llm: Any) -> bytes:
    import llama_cpp

    ctx = llm._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, SEQUENCE)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, SEQUENCE)
    return bytes(buffer)[:written]


def _restore(llm: Any, head: list[int], saved: bytes) -> None:
    import llama_cpp

    keep_tokens(llm, 0)
    buffer = (ctypes.c_uint8 * len(saved)).from_buffer_copy(saved)
    if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(saved), SEQUENCE) == 0:
        raise RuntimeError("llama.cpp refused a saved prompt head")
    llm.input_ids[:len(head)] = head
    llm.n_tokens = len(head)
