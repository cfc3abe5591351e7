"""Text encodings: UTF-8 (BOM or not), UTF-16 with BOM, GB18030/GBK and Big5 are detected."""

from __future__ import annotations

import codecs
import shutil

import pytest
from ingest_support import token_counter  # noqa: F401 (fixture)

from ground.errors import IngestError
from ground.settings import Settings
from ingest.encoding import decode_text
from ingest.pipeline import ingest_paths
from ingest.report import Status
from ingest.store import Store

NOTE = "### 迁移学习\n\n**答案：** 迁移学习（Transfer Learning）复用预训练模型。\r\n第二行\n"
TRADITIONAL = "### 遷移學習\n\n遷移學習是將預訓練模型應用於新任務的方法，說明與實現。\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (NOTE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + NOTE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + NOTE.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + NOTE.encode("utf-16-be"), "utf-16-be"),
        (NOTE.encode("gbk"), "gb18030"),
        (NOTE.encode("gb18030"), "gb18030"),
    ],
)
def test_decodes_supported_encodings(data, encoding):
    decoded = decode_text(data)
    assert decoded.encoding == encoding
    assert decoded.text == NOTE.replace("\r\n", "\n")


def test_big5_is_told_apart_from_gb18030():
    data = TRADITIONAL.encode("big5")
    assert data.decode("gb18030")  # the ambiguity: Big5 bytes are valid GB18030 too
    decoded = decode_text(data)
    assert (decoded.encoding, decoded.text) == ("big5", TRADITIONAL)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hello\x00world", "NUL bytes"),
        (b"abc \x81\xff\xfe\x80 def", "cannot decode text"),
        (codecs.BOM_UTF8 + b"\xff\xfe\xfd", "despite its byte-order mark"),
        (b"text" + b"\x01\x02\x03\x04" * 10, "control characters"),
    ],
)
def test_rejects_binary_and_undecodable_bytes(data, reason):
    with pytest.raises(IngestError, match=reason):
        decode_text(data)


def test_gbk_copy_yields_identical_chunks(tmp_path, sample_notes_dir, token_counter):  # noqa: F811
    source = sample_notes_dir / "002_1ceae295b216683d.txt"
    utf8_dir, gbk_dir = tmp_path / "utf8", tmp_path / "gbk"
    utf8_dir.mkdir()
    gbk_dir.mkdir()
    shutil.copy(source, utf8_dir / source.name)
    (gbk_dir / source.name).write_bytes(source.read_text(encoding="utf-8").encode("gbk"))
    settings = Settings.load(home=tmp_path / "home", env={})
    with Store.open(settings.home) as store:
        report = ingest_paths(store, [utf8_dir, gbk_dir], settings, token_counter)
        assert report.count(Status.ADDED) == 2 and not report.skipped
        first, second = store.documents()
        assert (first.encoding, second.encoding) == ("utf-8", "gb18030")
        chunks_utf8, chunks_gbk = store.chunks(first.id), store.chunks(second.id)
        assert [c.text for c in chunks_utf8] == [c.text for c in chunks_gbk]
        assert [(c.start_line, c.end_line, c.start_char) for c in chunks_utf8] == [
            (c.start_line, c.end_line, c.start_char) for c in chunks_gbk]
        # the copy is an exact duplicate of the original, chunk by chunk
        for original, copy in zip(chunks_utf8, chunks_gbk, strict=True):
            assert copy.group_id == original.id
