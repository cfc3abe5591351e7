"""Count tokens exactly as the embedding model will see a passage, without loading the model.

The chunker must know whether a chunk fits the model's window (512 for e5), counting the
passage prefix (``"passage: "`` for e5) and the special tokens. The ``tokenizers`` library reads
a sentence-transformers directory's ``tokenizer.json`` in milliseconds and counts at Rust speed,
with no torch import; model directories without that file fall back to ``transformers``.

Where a directory names no passage prompt in ``config_sentence_transformers.json``, the e5
prefix is counted anyway: over-counting by three tokens only makes chunks a little smaller,
while under-counting would let the embedder silently truncate them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ground.errors import ModelError
from ingest.chunker import EMBEDDING_WINDOW

DEFAULT_PASSAGE_PREFIX = "passage: "


@dataclass(frozen=True)
class TokenCounter:
    """``counter(text)`` is the number of tokens the model is fed for the passage ``text``."""

    name: str  # the model directory, for messages
    prefix: str
    window: int
    _count_ids: Callable[[str], int] = field(repr=False, compare=False)

    def __call__(self, text: str) -> int:
        return self._count_ids(self.prefix + text)


def load_token_counter(model_dir: str | Path) -> TokenCounter:
    """The counter for a sentence-transformers model directory (or hub-style name cached)."""
    directory = Path(model_dir)
    prefix = _passage_prefix(directory)
    window = _window(directory)
    tokenizer_file = directory / "tokenizer.json"
    if tokenizer_file.is_file():
        count = _tokenizers_counter(tokenizer_file)
    else:
        count = _transformers_counter(str(model_dir))
    return TokenCounter(str(model_dir), prefix, window, count)


def _tokenizers_counter(path: Path) -> Callable[[str], int]:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as error:  # the Rust side raises a bare Exception for a bad file
        reason = " ".join(str(error).split())[:200]
        raise ModelError(f"{path}: unreadable tokenizer ({reason}); reinstall the model "
                         "('study models install' for the bundled one)") from None
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return lambda text: len(tokenizer.encode(text, add_special_tokens=True).ids)


def _transformers_counter(model: str) -> Callable[[str], int]:
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model)
    except (OSError, ValueError, ImportError) as error:
        raise ModelError(f"{model}: no usable tokenizer ({error})") from None
    tokenizer.model_max_length = 1 << 30  # count past the window instead of warning
    return lambda text: len(tokenizer(text, add_special_tokens=True)["input_ids"])


def _passage_prefix(directory: Path) -> str:
    config = _read_json(directory / "config_sentence_transformers.json")
    prompts = config.get("prompts") or {}
    for name in ("passage", "document", "corpus"):
        if isinstance(prompts.get(name), str):
            return prompts[name]
    return DEFAULT_PASSAGE_PREFIX


def _window(directory: Path) -> int:
    config = _read_json(directory / "sentence_bert_config.json")
    window = config.get("max_seq_length")
    return int(window) if isinstance(window, int) and window > 0 else EMBEDDING_WINDOW


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
