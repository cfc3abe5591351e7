"""Windows of long passages (``index.passage_windows``): how they are cut, stored and used."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import FakeModelsLibrary

from ground.errors import LibraryStateError
from index.index_state import index_dir, load_indexes
from index.passage_windows import (
    LONG_PASSAGE_TOKENS,
    VECTORS_FILE,
    WINDOW_TOKENS,
    WINDOW_WEIGHT,
    open_windows,
    window_texts,
)

SAMPLE_QUESTION = "什么是梯度裁剪？"


def _token_counts(embedder):
    return lambda texts: embedder.token_counts(texts, "passage")


def test_the_windows_of_every_long_sample_passage_cover_all_its_lines_in_order(sample_library):
    """Real tokenizer: each long passage's windows, taken in order, hold every line once or
    twice (the half overlap), start where the passage starts, end where it ends, and stay
    within the window size unless one line alone is longer."""
    counts = _token_counts(sample_library.embedder)
    overhead = counts([""])[0]
    long_chunks = [c for c in sample_library.chunks() if counts([c.embed_text])[0]
                   > LONG_PASSAGE_TOKENS]
    assert len(long_chunks) >= 20
    for chunk in long_chunks:
        lines = chunk.text.split("\n")
        heading_lines = len(chunk.embed_text.split("\n")) - len(lines)
        windows = [text.split("\n")[heading_lines:] for text in window_texts(chunk, counts)]
        assert len(windows) >= 2, chunk.heading
        assert windows[0] == lines[:len(windows[0])]
        start, end = -1, 0
        for window in windows:
            # a contiguous run of the passage's lines, later than the last, leaving no gap
            start = next(i for i in range(start + 1, len(lines))
                         if lines[i:i + len(window)] == window)
            assert start <= end, (chunk.heading, start, end)
            end = start + len(window)
            if len(window) > 1:
                size = sum(max(1, n - overhead) for n in counts(window))
                assert size <= WINDOW_TOKENS, (chunk.heading, size)
        assert end == len(lines), chunk.heading


@pytest.fixture
def fake_home_library(tmp_path, fake_settings, sample_notes_dir):
    library = FakeModelsLibrary.open(fake_settings.replace(home=tmp_path / "home"))
    library.ingest([sample_notes_dir])
    yield library
    library.close()


def test_windows_are_saved_with_the_index_and_bound_to_its_chunks(fake_home_library):
    library = fake_home_library
    home, embedder = library.settings.home, library.embedder
    chunks = library.chunks()
    indexes = load_indexes(home, embedder.model_id, embedder.dim, chunks)
    long_ids = {c.id for c in chunks if window_texts(c, _token_counts(embedder))}
    assert long_ids and set(indexes.windows.owners.tolist()) == long_ids
    with pytest.raises(LibraryStateError, match="other chunks"):
        open_windows(index_dir(home) / "windows", embedder.model_id, embedder.dim, "0" * 64)


def test_an_index_saved_before_windows_existed_gains_them_without_re_embedding_passages(
        fake_home_library, fake_settings):
    library = fake_home_library
    home = library.settings.home
    saved = load_indexes(home, library.embedder.model_id, library.embedder.dim, library.chunks())
    library.close()
    for path in (index_dir(home) / "windows").iterdir():
        path.unlink()
    (index_dir(home) / "windows").rmdir()
    with FakeModelsLibrary.open(library.settings) as reopened:
        embedder = reopened.embedder
        assert reopened.search(SAMPLE_QUESTION, k=3)
        upgraded = load_indexes(home, embedder.model_id, embedder.dim, reopened.chunks())
        # whole passages and windows alike came from the embedding cache: nothing re-embedded
        assert not [call for call in embedder.calls if call[0] == "passage"]
    assert np.array_equal(upgraded.windows.owners, saved.windows.owners)
    assert np.allclose(upgraded.windows.vectors, saved.windows.vectors)


def test_windows_left_from_an_earlier_sync_are_not_reused_beside_newer_vectors(
        tmp_path, fake_settings, sample_notes_dir):
    """A kill between saving the vectors and saving the windows leaves the older windows beside
    the newer vectors: the next open must not keep them, or the passages first indexed by the
    killed sync would stay without windows. They come back whole, from the embedding cache."""
    notes = sorted(sample_notes_dir.iterdir())
    home = tmp_path / "home"
    windows_dir = index_dir(home) / "windows"
    with FakeModelsLibrary.open(fake_settings.replace(home=home)) as library:
        library.ingest(notes[:-1])
        older = {path.name: path.read_bytes() for path in windows_dir.iterdir()}
        library.ingest(notes[-1:])
    for name, data in older.items():  # as if killed before the new windows were written
        (windows_dir / name).write_bytes(data)
    with FakeModelsLibrary.open(fake_settings.replace(home=home)) as reopened:
        embedder = reopened.embedder
        assert reopened.search(SAMPLE_QUESTION, k=3)
        chunks = reopened.chunks()
        healed = load_indexes(home, embedder.model_id, embedder.dim, chunks)
        assert not [call for call in embedder.calls if call[0] == "passage"]
    long_ids = {c.id for c in chunks if window_texts(c, _token_counts(embedder))}
    last_note = {c.id for c in chunks if c.source == str(notes[-1].resolve())} & long_ids
    assert last_note, "the last note should have long passages"
    assert set(healed.windows.owners.tolist()) == long_ids


def test_corrupt_window_vectors_are_refused_and_healed_from_the_library(fake_home_library):
    library = fake_home_library
    home, embedder = library.settings.home, library.embedder
    path = index_dir(home) / "windows" / VECTORS_FILE
    data = bytearray(path.read_bytes())
    data[-7] ^= 0xFF  # same size, one float changed
    path.write_bytes(bytes(data))
    with pytest.raises(LibraryStateError, match="corrupt.*study reindex"):
        load_indexes(home, embedder.model_id, embedder.dim, library.chunks())
    library.close()
    with FakeModelsLibrary.open(library.settings) as reopened:
        hits = reopened.search(SAMPLE_QUESTION, k=3)
        assert hits and "梯度裁剪" in hits[0].chunk.heading
        load_indexes(home, embedder.model_id, embedder.dim, reopened.chunks())  # healed


def test_a_passage_is_scored_part_way_up_to_its_nearest_window(fake_home_library):
    """Asked with a line from the end of a long passage, the dense search reports the passage's
    cosine lifted by WINDOW_WEIGHT of the gap to its best window, and ranks it first."""
    library = fake_home_library
    embedder = library.embedder
    chunk = max(library.chunks(), key=lambda c: len(window_texts(c, _token_counts(embedder))))
    line = max(chunk.text.split("\n")[-6:], key=len)
    query = embedder.embed_query(line)
    whole = float(embedder.embed_passages([chunk.embed_text])[0] @ query)
    best = float(np.max(embedder.embed_passages(window_texts(chunk, _token_counts(embedder)))
                        @ query))
    assert best > whole
    hits = library.search(line, k=3, mode="dense")
    assert hits[0].chunk.id == chunk.id
    assert hits[0].similarity == pytest.approx(whole + WINDOW_WEIGHT * (best - whole), abs=1e-5)
