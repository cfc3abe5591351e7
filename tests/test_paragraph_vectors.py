"""A long section's paragraphs are embedded at ingest, not while the student waits for the quote.

The quote weighs each paragraph of a section against the question (e5 cosine). Embedded at
question time, a long English section's paragraphs took most of the 0.3 s the quote has (dev3:c6:
0.31-0.33 s); saved at ingest (``assistant.paragraph_vectors``), the quote only looks them up.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from assistant.explain import start_explanation
from assistant.generator import UnavailableGenerator
from assistant.paragraph_vectors import _cache, paragraph_texts, save_paragraph_vectors
from index.embedding_cache import content_hash

PARAGRAPHS = [
    "Overfitting shows up as a large gap between the training and the validation accuracy.",
    "It grows with the number of parameters a model can tune to the training set.",
    "L2 regularization adds the sum of the squared weights to the loss. It penalizes large "
    "weights more severely, so the weights decay toward zero at every update: it is also called "
    "weight decay.",
    "L1 regularization adds the sum of the absolute values of the weights and drives many of "
    "them to exactly zero.",
    "Max-norm constraints clip the norm of each unit's incoming weights after the update.",
    "Elastic net combines the L1 and the L2 penalties with two separate strengths.",
    "Dropout switches off a random subset of the units at every training step.",
    "At test time all units are kept and their outputs are scaled to match training.",
    "Early stopping keeps the parameters from the epoch with the lowest validation loss.",
    "Data augmentation adds flipped, cropped and recolored copies of the training images.",
    "Batch normalization adds noise to the activations through the statistics of each "
    "mini-batch.",
    "Label smoothing mixes the one-hot targets with the uniform distribution.",
]
REGULARIZATION = "# Regularization\n\n## Weight penalties\n\n" + "\n\n".join(PARAGRAPHS) + "\n"
QUESTION = "Why is L2 regularization also called weight decay?"


def _library(settings, tmp_path):
    from index.library import Library

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "regularization.md").write_text(REGULARIZATION, encoding="utf-8")
    library = Library.open(settings.replace(home=tmp_path / "home"))
    library.ingest([notes])
    return library


def _counting(library, monkeypatch) -> list[str]:
    """The passage texts ``library``'s embedder is asked to embed from now on."""
    embedder, asked = library.embedder, []
    inner = embedder.embed_passages

    def counted(texts, progress=None):
        asked.extend(texts)
        return inner(texts, progress)

    monkeypatch.setattr(embedder, "embed_passages", counted)
    return asked


@pytest.mark.slow
def test_a_long_sections_quote_embeds_none_of_its_paragraphs_once_they_are_saved(
        model_settings, embedding_model_dir, tmp_path, monkeypatch):
    library = _library(model_settings, tmp_path)
    try:
        paragraphs = set(paragraph_texts(library.chunks()[0].text))
        assert len(paragraphs) == 12
        asked = _counting(library, monkeypatch)
        before = start_explanation(library, UnavailableGenerator("no model"), QUESTION)
        assert paragraphs & set(asked), "without saved vectors the quote embeds the paragraphs"

        assert save_paragraph_vectors(library) == 12
        asked.clear()
        after = start_explanation(library, UnavailableGenerator("no model"), QUESTION)
        assert not paragraphs & set(asked)
        assert "called weight decay" in after.extractive.text
        assert after.extractive.lines == before.extractive.lines
        assert save_paragraph_vectors(library) == 0  # nothing new to embed
    finally:
        library.close()


@pytest.mark.slow
def test_the_saved_vectors_are_the_ones_a_quote_computes(sample_library):
    """Each passage's paragraphs are embedded in one call, as the quote embeds them: the int8
    model quantizes a batch by its own range, so another batching would give other vectors."""
    save_paragraph_vectors(sample_library)
    passages = [paragraph_texts(chunk.text) for chunk in sample_library.chunks()]
    seen = Counter(text for texts in passages for text in texts)
    compared = 0
    with _cache(sample_library) as cache:
        for texts in passages[:60]:
            if not texts or any(seen[text] > 1 for text in texts):
                continue  # a paragraph in two passages keeps the last one's batch
            saved = cache.get([content_hash(text) for text in texts])
            fresh = sample_library.embedder.embed_passages(texts)
            for text, vector in zip(texts, fresh, strict=True):
                assert np.array_equal(saved[content_hash(text)], vector)
                compared += 1
    assert compared >= 20


def test_the_paragraphs_of_a_removed_note_are_dropped(fake_settings, tmp_path):
    from fakes import FakeModelsLibrary

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text(REGULARIZATION, encoding="utf-8")
    (notes / "b.md").write_text("# Dropout\n\nDrop units at random while training.\n\n"
                                "Scale the kept units by 1/p so the test pass needs no change.\n",
                                encoding="utf-8")
    library = FakeModelsLibrary.open(fake_settings.replace(home=tmp_path / "home"))
    try:
        library.ingest([notes])
        assert save_paragraph_vectors(library) == 14
        with _cache(library) as cache:
            assert len(cache) == 14
        library.remove("b.md")
        assert save_paragraph_vectors(library) == 0
        with _cache(library) as cache:
            assert len(cache) == 12
    finally:
        library.close()


def test_study_ingest_saves_the_paragraphs(fake_models, home, tmp_path):
    from ground.settings import Settings
    from index.library import Library
    from ui.cli import main

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "regularization.md").write_text(REGULARIZATION, encoding="utf-8")
    assert main(["ingest", str(notes)]) == 0
    with Library.open(Settings.load()) as library, _cache(library) as cache:
        assert len(cache) == 12
