"""PDF, Word, HTML and Markdown files: chunks cite exact lines of the extracted text (and pages)."""

from __future__ import annotations

import codecs

import docx
import pytest
from ingest_support import token_counter, write_pdf  # noqa: F401 (fixture)
from pypdf import PdfReader, PdfWriter

from ground.errors import IngestError
from ground.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.readers import extract
from ingest.readers.sandbox import read_sandboxed
from ingest.report import Status
from ingest.store import Store


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(home=tmp_path / "home", env={})


def _ingest(path, settings, token_counter):  # noqa: F811
    with Store.open(settings.home) as store:
        report = ingest_paths(store, [path], settings, token_counter)
        assert report.count(Status.ADDED) == 1, report.outcomes
        return store.documents()[0], store.chunks()


def _assert_exact_lines(chunks, text):
    lines = text.split("\n")
    for chunk in chunks:
        assert chunk.text == "\n".join(lines[chunk.start_line - 1 : chunk.end_line])


def test_pdf_chunks_cite_pages(tmp_path, settings, token_counter):  # noqa: F811
    pages = [
        ["# Deep learning notes", "## 1. What is transfer learning?",
         "Reusing a pretrained model for a new task."],
        ["## 2. What is dropout?", "Randomly zeroing activations during training.",
         "It reduces overfitting."],
        ["## 3. What is batch normalization?", "Normalizing activations per batch."],
    ]
    path = write_pdf(tmp_path / "notes.pdf", pages, title="DL notes")
    document, chunks = _ingest(path, settings, token_counter)
    assert (document.format, document.title) == ("pdf", "DL notes")
    assert chunks[0].heading_path == ("DL notes", "Deep learning notes",
                                      "1. What is transfer learning?")
    assert [(c.heading_path[-1], c.page) for c in chunks] == [
        ("1. What is transfer learning?", 1),
        ("2. What is dropout?", 2),
        ("3. What is batch normalization?", 3),
    ]
    _assert_exact_lines(chunks, extract(path.read_bytes(), "pdf").text)
    assert chunks[1].location.page == 2


def test_encrypted_pdf_is_skipped(tmp_path, settings, token_counter):  # noqa: F811
    plain = write_pdf(tmp_path / "plain.pdf", [["secret text"]])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt("password")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as stream:
        writer.write(stream)
    with Store.open(settings.home) as store:
        report = ingest_paths(store, [locked], settings, token_counter)
    assert report.skipped[0].reason == "encrypted PDF (a password is needed)"


def test_scanned_pdf_without_text_is_skipped(tmp_path, settings, token_counter):  # noqa: F811
    path = write_pdf(tmp_path / "scan.pdf", [[]])
    with Store.open(settings.home) as store:
        report = ingest_paths(store, [path], settings, token_counter)
    assert report.skipped[0].reason.startswith("no text could be extracted")


def test_docx_heading_styles_become_sections(tmp_path, settings, token_counter):  # noqa: F811
    document = docx.Document()
    document.core_properties.title = "机器学习笔记"
    document.add_heading("题目 1：什么是迁移学习？", level=2)
    document.add_paragraph("答案：复用预训练模型的知识。")
    document.add_paragraph("微调", style="List Bullet")
    document.add_heading("题目 2：什么是正则化？", level=2)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "L1", "L2"
    path = tmp_path / "notes.docx"
    document.save(path)
    stored, chunks = _ingest(path, settings, token_counter)
    assert stored.title == "机器学习笔记"
    assert [c.heading_path for c in chunks] == [
        ("机器学习笔记", "题目 1：什么是迁移学习？"), ("机器学习笔记", "题目 2：什么是正则化？")]
    assert chunks[0].text == "## 题目 1：什么是迁移学习？\n\n答案：复用预训练模型的知识。\n\n- 微调"
    assert chunks[1].text.endswith("| L1 | L2 |")
    _assert_exact_lines(chunks, extract(path.read_bytes(), "docx").text)


def test_html_code_comments_stay_in_their_chunk(tmp_path, settings, token_counter):  # noqa: F811
    html = """<html><head><title>笔记</title><script>var x = 1;</script></head><body>
    <h2>9. 什么是迁移学习？</h2><p>复用<b>预训练</b>模型。</p>
    <pre><code># 加载预训练的模型
base = load()
</code></pre>
    <h2>10. 什么是数据增强？</h2><ul><li>旋转</li><li>裁剪</li></ul></body></html>"""
    path = tmp_path / "notes.html"
    path.write_text(html, encoding="utf-8")
    stored, chunks = _ingest(path, settings, token_counter)
    assert stored.title == "笔记"
    assert [c.heading_path[-1] for c in chunks] == ["9. 什么是迁移学习？", "10. 什么是数据增强？"]
    assert "# 加载预训练的模型" in chunks[0].text and "var x" not in chunks[0].text
    assert chunks[1].text == "## 10. 什么是数据增强？\n\n- 旋转\n\n- 裁剪"
    _assert_exact_lines(chunks, extract(path.read_bytes(), "html").text)


def test_markdown_extension_and_utf16(tmp_path, settings, token_counter):  # noqa: F811
    text = "# 标题\n\n## 问题一\n\n答案。\n"
    path = tmp_path / "notes.markdown"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    stored, chunks = _ingest(path, settings, token_counter)
    assert (stored.format, stored.encoding) == ("md", "utf-16-le")
    assert [c.text for c in chunks] == ["## 问题一\n\n答案。"]


def test_sandbox_enforces_time_and_memory_limits(tmp_path):
    data = write_pdf(tmp_path / "a.pdf", [["text"]]).read_bytes()
    with pytest.raises(IngestError, match="took over 0.01 s"):
        read_sandboxed(data, "pdf", timeout=0.01)
    with pytest.raises(IngestError, match="parser"):
        read_sandboxed(data, "pdf", memory_bytes=30 * 2**20)
    assert read_sandboxed(data, "pdf").text == "text"



def test_a_markdown_notes_symbol_references_are_read_as_their_symbols(tmp_path, settings,
                                                                        token_counter):  # noqa: F811
    """TrainingTricks.md:91 (AI-For-Beginners, r48 dev6:c11): "||&nabla;&lagran;|| &le; &theta;"
    reached the model and the terminal as written. A passage holds the symbols the rendered
    note shows, on the same line; code, markup references and spacing stay as written."""
    text = ("# Tricks\n\n## Gradient clipping\n\nWhen ||&nabla;&lagran;|| &le; &theta;, keep it;"
            " &theta; = 1 or 10.\n\n```html\n<p>&theta;&nbsp;</p>\n```\n\n"
            "Tags like &lt;b&gt; stay, `&theta;` too.&emsp;\n")
    path = tmp_path / "TrainingTricks.md"
    path.write_text(text, encoding="utf-8")
    _, chunks = _ingest(path, settings, token_counter)
    assert len(chunks) == 1
    lines = chunks[0].text.split("\n")
    assert lines[2] == "When ||∇ℒ|| ≤ θ, keep it; θ = 1 or 10."
    assert "<p>&theta;&nbsp;</p>" in lines
    assert "Tags like &lt;b&gt; stay, `&theta;` too.&emsp;" in lines
    assert chunks[0].start_line == 3 and chunks[0].end_line == 11
