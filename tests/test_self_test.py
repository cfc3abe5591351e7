"""``Library.self_test()``: the figures ``study eval --self`` prints are the ones saved in the
home, written atomically (run on the fake embedder: the plumbing, not retrieval quality)."""

from __future__ import annotations

import pytest

from index.self_eval import SELF_EVAL_FILE, load_self_eval


@pytest.fixture
def library(fake_settings, tmp_path, sample_notes_dir):
    from fakes import FakeModelsLibrary

    with FakeModelsLibrary.open(fake_settings.replace(home=tmp_path / "home")) as opened:
        opened.ingest([sample_notes_dir])
        yield opened


def test_self_test_saves_the_figures_it_returns(library):
    home = library.settings.home
    assert load_self_eval(home) is None
    scores = library.self_test()
    assert scores.questions > 0 and 0.0 <= scores.hit_at_1 <= scores.hit_at_5 <= 1.0
    assert load_self_eval(home) == scores
    library.self_test()
    leftovers = [p.name for p in home.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_damaged_record_reads_as_none(tmp_path):
    (tmp_path / SELF_EVAL_FILE).write_text('{"questions": 3', encoding="utf-8")
    assert load_self_eval(tmp_path) is None
    (tmp_path / SELF_EVAL_FILE).write_text('{"questions": 3}', encoding="utf-8")
    assert load_self_eval(tmp_path) is None
