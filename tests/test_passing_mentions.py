"""A refusal for a name the notes mention only in passing shows where they mention it
(``assistant.passing_mentions``), on the real sample library (e5, FAISS, BM25): the lines are
the notes' own, with their true line numbers; a name the notes never write shows none."""

from __future__ import annotations

from pathlib import Path

from conftest import SAMPLE_NOTES

from assistant.explain import start_explanation
from assistant.generator import UnavailableGenerator
from assistant.transcript import transcript_markdown


def test_a_refusal_quotes_the_lines_that_mention_its_name(sample_library):
    question = "卷积核在图片上滑动时，特征图具体是怎么算出来的"
    answer = start_explanation(sample_library, UnavailableGenerator("none"), question).finish()

    assert not answer.covered and answer.untreated == ("卷积核",)  # the refusal stands
    assert answer.mentions, "the notes write 卷积核 in their 卷积操作 section"
    for mention in answer.mentions:
        written = (SAMPLE_NOTES / Path(mention.citation.source).name).read_text(
            encoding="utf-8").split("\n")
        assert "卷积核" in mention.lines[0].text
        for quoted in mention.lines:
            assert quoted.text == written[quoted.line - 1].rstrip()  # exact, at its line
    quoted_lines = {q.line for m in answer.mentions for q in m.lines}
    assert 192 in quoted_lines  # "通过将卷积核（filter）在输入图像上滑动，计算卷积和"
    assert {195, 196} <= quoted_lines  # step 1 names it; step 2 makes the feature map
    assert 225 not in quoted_lines  # "3. **池化层1：** …": an entry of a list, not a step
    assert "顺带提到卷积核" in answer.text
    assert "> 192: " in transcript_markdown([(question, answer)])


def test_a_name_the_notes_never_write_shows_no_lines(sample_library):
    question = "GELU 激活函数是怎么定义的？"
    answer = start_explanation(sample_library, UnavailableGenerator("none"), question).finish()

    assert not answer.covered and "GELU" in answer.untreated
    assert answer.mentions == ()
    assert "顺带提到" not in answer.text
