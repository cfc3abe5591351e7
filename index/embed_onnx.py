"""The int8 ONNX Runtime embedding backend: the bundled e5 model, fast and light to load.

Needs only ``onnxruntime``, ``tokenizers`` and ``numpy`` (no torch, no transformers), which is
what makes a CLI call ready in about a second instead of ten. The graph made at setup by
``models.onnx_export`` already pools and normalizes, so a batch is: tokenize with the model's own
``tokenizer.json`` (prompt first, truncated to ``max_seq_length``), pad right, run, done.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from ground.errors import ModelError
from ground.settings import Settings
from index.embedder import Embedder, EmbedKind, model_identity, normalize_rows
from models.embedding_files import bundled_dir
from models.onnx_export import MODEL_FILE, TOKENIZER_FILE, onnx_dir, onnx_int8_problem

PAD_ID_FALLBACK = 1  # XLM-R's <pad>


class OnnxEmbedder(Embedder):
    """Runs ``model.onnx`` of an export directory with a pinned thread count."""

    def __init__(self, export_dir: Path, model_id: str, threads: int) -> None:
        config = _read_json(export_dir / "config_sentence_transformers.json")
        self._prompts: dict[str, str] = config.get("prompts", {})
        max_length = _read_json(export_dir / "sentence_bert_config.json").get("max_seq_length", 512)
        try:
            self._tokenizer = Tokenizer.from_file(str(export_dir / TOKENIZER_FILE))
        except Exception as error:  # tokenizers raises a bare Exception on a malformed file
            reason = " ".join(str(error).split())[:200]
            raise ModelError(f"{export_dir / TOKENIZER_FILE}: unreadable ({reason}); "
                             "run 'study models install'") from None
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()
        self._pad_id = self._tokenizer.token_to_id("<pad>")
        if self._pad_id is None:
            self._pad_id = PAD_ID_FALLBACK
        options = ort.SessionOptions()
        # ONNX Runtime otherwise sizes its pool by logical CPUs, fighting hyperthreads and
        # any concurrent work; one thread per physical core is the fastest here.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(export_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own unexported exception types
            reason = " ".join(str(error).split())[:300]
            raise ModelError(
                f"{export_dir / MODEL_FILE}: cannot load ({reason}); run 'study models install'"
            ) from None
        dim = self._session.get_outputs()[0].shape[-1]
        super().__init__(model_id, int(dim))

    @classmethod
    def from_settings(cls, settings: Settings) -> OnnxEmbedder:
        if settings.embedding_model:
            raise ModelError(
                "embedding_backend 'onnx-int8' exists for the bundled model only; "
                "use 'torch' (or 'auto') with embedding_model"
            )
        problem = onnx_int8_problem(settings)
        if problem:
            raise ModelError(f"{problem}; run 'study models install'")
        identity = model_identity(str(bundled_dir(settings)))
        return cls(onnx_dir(settings), f"{identity}/onnx-int8", settings.resolved_threads())

    def _encode(self, texts: Sequence[str], kind: EmbedKind):
        prompt = self._prompts.get(kind, "")
        return self._tokenizer.encode_batch([prompt + text for text in texts])

    def token_counts(self, texts: Sequence[str], kind: EmbedKind) -> list[int]:
        return [len(encoding.ids) for encoding in self._encode(texts, kind)]

    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._encode(texts, kind)
        longest = max(len(encoding.ids) for encoding in encodings)
        input_ids = np.full((len(encodings), longest), self._pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(encodings), longest), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            attention_mask[row, : len(encoding.ids)] = 1
        (vectors,) = self._session.run(
            None, {"input_ids": input_ids, "attention_mask": attention_mask}
        )
        return normalize_rows(vectors)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(f"{path}: unreadable ({error}); run 'study models install'") from None
