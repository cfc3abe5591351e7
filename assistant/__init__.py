"""Step 3: retrieve, prompt the local LLM, generate and check citations."""
