"""Step 3: retrieve, prompt the local LLM, generate and check citations.

``Assistant(library, generator, settings)`` (``assistant.facade``) is the API for every mode.
"""
