"""The sentence-transformers (PyTorch, fp32) embedding backend: works for any ST model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ground.errors import ModelError
from ground.settings import Settings
from index.embedder import Embedder, EmbedKind, model_identity, normalize_rows
from models.embedding_files import resolve_embedding_model


class TorchEmbedder(Embedder):
    """``SentenceTransformer.encode`` with the model's own ``query``/``passage`` prompts."""

    def __init__(self, model, model_id: str):
        # sentence-transformers 6 renamed the method; 5.x only has the old name
        dimension = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        super().__init__(model_id, dimension())
        self._model = model
        self._prompts = dict(getattr(model, "prompts", {}) or {})

    @classmethod
    def from_settings(cls, settings: Settings) -> TorchEmbedder:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        torch.set_num_threads(settings.resolved_threads())
        name = resolve_embedding_model(settings)
        try:
            model = SentenceTransformer(name, device="cpu", local_files_only=True)
        except (OSError, ValueError) as error:
            raise ModelError(f"{name}: cannot load embedding model ({error})") from None
        model.eval()
        return cls(model, f"{model_identity(name)}/torch-fp32")

    def _prompt(self, kind: EmbedKind) -> str:
        return self._prompts.get(kind, f"{kind}: " if not self._prompts else "")

    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt=self._prompt(kind),
            batch_size=len(texts),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalize_rows(vectors)

    def token_counts(self, texts: Sequence[str], kind: EmbedKind) -> list[int]:
        prompt = self._prompt(kind)
        encoded = self._model.tokenizer(
            [prompt + t for t in texts],
            add_special_tokens=True,
            truncation=True,
            max_length=self._model.max_seq_length,
        )
        return [len(ids) for ids in encoded["input_ids"]]
