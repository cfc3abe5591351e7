"""Step 2: chunks -> embeddings, a FAISS vector index and a lexical index; hybrid search."""
