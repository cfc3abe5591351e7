"""A PDF whose text layer comes out as garbage is refused with one SKIPPED line naming the
reason, instead of going in silently as unsearchable chunks; readable PDFs are untouched."""

from __future__ import annotations

import pytest
from ingest_support import token_counter, write_pdf  # noqa: F401 (fixture)

from ground.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.readers.pdf_reader import UNREADABLE_SHARE, unreadable_share
from ingest.report import Status
from ingest.store import Store

# What pypdf gives for a Chinese PDF whose font has no Unicode map: UTF-8 read as Latin-1
# ("深度学习的基本概念") and control characters.
MOJIBAKE_LINE = "深度学习的基本概念与梯度下降".encode().decode("latin-1")
CONTROL_LINE = "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(home=tmp_path / "home", env={})


@pytest.mark.parametrize("text", [
    "深度学习是机器学习的一个分支，梯度下降用于优化。",
    "Adam: m_t = β1 m_{t-1} + (1 − β1) g_t, ‖g‖² ≤ G², résumé, naïve, café ±3",
    "第 3 页\n表 4.1  LeNet-5 网络参数配置\n卷积层 C1  32×32×1  5×5×1/1,6",
])
def test_real_text_reads_as_text(text):
    assert unreadable_share(text) < 0.1


@pytest.mark.parametrize("text", [MOJIBAKE_LINE, CONTROL_LINE, "\ue000\ue001\ue002\ufffd\ufffd"])
def test_garbage_text_layers_read_as_garbage(text):
    assert unreadable_share(text) > UNREADABLE_SHARE


def test_a_pdf_with_a_garbage_text_layer_is_one_skipped_line(tmp_path, settings,
                                                             token_counter):  # noqa: F811
    notes = tmp_path / "notes"
    notes.mkdir()
    garbage = write_pdf(notes / "garbled.pdf", [[MOJIBAKE_LINE, CONTROL_LINE] * 8] * 3)
    readable = write_pdf(notes / "readable.pdf",
                         [["Gradient clipping caps the norm of the gradient."]])
    with Store.open(settings.home) as store:
        report = ingest_paths(store, [notes], settings, token_counter)
        documents = store.documents()
    skipped = report.skipped
    assert [s.path for s in skipped] == [str(garbage)]
    assert "unreadable" in skipped[0].reason and "%" in skipped[0].reason
    assert report.count(Status.ADDED) == 1
    assert [d.source for d in documents] == [str(readable.resolve())]
