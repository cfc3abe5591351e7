"""Greedy decoding that guesses the next few tokens from the prompt's own text.

An explanation copies whole phrases of the passages it was given. After each new token, the
last few tokens are looked up in everything before them (prompt and answer so far); the tokens
that followed their latest earlier occurrence are a draft, and one ``llama_decode`` pass over
"new token + draft" checks it: each drafted token is kept while it is the model's own argmax,
and the first disagreement gives the next token for free. Every kept token is the one greedy
decoding picks from that pass's logits, so the text is the greedy text; a batched pass rounds
differently from a one-token pass, so it can part from a token-by-token run where two tokens
are nearly tied.

Measured on this project's 2-core machines (``benchmarks/results/answers.md``, session 17):
three drafted tokens per pass cut generation time by about a third on Chinese explanations;
longer drafts cost more in rejected tokens than they save (a pass over 1 + 8 tokens costs
~3.5 one-token passes on 2 cores). Used for temperature 0 without a grammar only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from assistant.generator import GenerationStats

LONGEST_MATCH = 4  # tokens of the answer's tail looked up in the text before it
SHORTEST_MATCH = 2


def draft(history: list[int], count: int) -> list[int]:
    """Up to ``count`` tokens that followed the latest earlier occurrence of the history's
    tail (the longest tail of ``SHORTEST_MATCH``..``LONGEST_MATCH`` tokens that occurs).

    >>> draft([5, 6, 7, 8, 1, 5, 6], 3)
    [7, 8, 1]
    >>> draft([5, 6, 7, 8, 1, 5, 6, 7, 9, 6, 7], 2)  # the latest occurrence of "6 7" wins
    [9, 6]
    >>> draft([1, 2, 3], 3)
    []
    """
    if count <= 0:
        return []
    size = len(history)
    for length in range(LONGEST_MATCH, SHORTEST_MATCH - 1, -1):
        if size <= length:
            continue
        tail = history[-length:]
        for start in range(size - length - 1, -1, -1):
            if history[start:start + length] == tail:
                return history[start + length:start + length + count]
    return []


def greedy_tokens(llm: Any, prompt: list[int], draft_size: int,
                  stats: GenerationStats) -> Iterator[int]:
    """Greedy tokens after ``prompt``, with drafts of ``draft_size``, until the caller stops
    (at end-of-generation or its token limit, as with ``Llama.generate``). ``llm`` is a
    ``llama_cpp.Llama``; its KV cache may hold a prefix of the prompt (reused, as
    ``Llama.generate`` does), and afterwards holds a prefix of the prompt and the tokens
    yielded, so the next prompt reuses it."""
    n_vocab = llm.n_vocab()
    reuse = common_prefix(llm._input_ids, prompt)
    if reuse == len(prompt):
        reuse -= 1  # the prompt's last token is evaluated again, for its logits
    llm.n_tokens = reuse
    llm.eval(prompt[reuse:])  # drops the cache past ``reuse`` first
    position = llm.n_tokens
    token = _argmax(llm, -1, n_vocab)
    history = list(prompt)
    while True:
        yield token
        history.append(token)
        guess = draft(history, min(draft_size, llm.n_ctx() - position - 1))
        batch = [token, *guess]
        llm._batch.set_batch(batch, position, logits_all=True)
        llm._ctx.decode(llm._batch)
        llm.input_ids[position:position + len(batch)] = batch
        stats.drafted_tokens += len(guess)
        kept = 0
        token = _argmax(llm, 0, n_vocab)
        while kept < len(guess) and token == guess[kept]:  # the model's own next token
            yield token
            history.append(token)
            kept += 1
            stats.accepted_tokens += 1
            token = _argmax(llm, kept, n_vocab)
        position += kept + 1
        _keep(llm, position)


def _keep(llm: Any, length: int) -> None:
    """The KV cache and ``input_ids`` hold the first ``length`` tokens, nothing after; the
    logits ``Llama`` keeps are stale, so an identical next prompt is evaluated again."""
    llm._ctx.kv_cache_seq_rm(-1, length, -1)
    llm.n_tokens = length
    llm._requires_eval = True


def _argmax(llm: Any, row: int, n_vocab: int) -> int:
    return int(np.argmax(np.ctypeslib.as_array(llm._ctx.get_logits_ith(row), shape=(n_vocab,))))


def common_prefix(cached: Any, tokens: list[int]) -> int:
    """How many leading tokens ``cached`` and ``tokens`` share."""
    count = 0
    for old, new in zip(cached, tokens, strict=False):
        if old != new:
            break
        count += 1
    return count
