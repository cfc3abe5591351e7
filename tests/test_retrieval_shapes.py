"""Passages that only look like answers (reference lists, exercises, empty headings, link lists)
are recognised by shape and sink below real answers; the self-test scores split sections and
numbered headings fairly. Fast: no model."""

from __future__ import annotations

import numpy as np
import pytest

from ground.records import Chunk
from index import evaluation, hybrid
from index.chunk_shape import (
    ANSWER,
    EXERCISES,
    LINKS,
    NO_PROSE,
    PRIOR,
    REFERENCES,
    shape_of,
)
from index.fusion import apply_priors
from index.index_state import IndexState, SearchIndexes
from index.lexical import LexicalIndex
from index.passage_windows import Windows
from index.scored import ScoredId
from index.vector_index import create_vector_index

CHINESE_REFERENCES = """## 参考文献

[1] 何之源.https://zhuanlan.zhihu.com/p/28054589.

[2] Graves A. Generating Sequences With Recurrent Neural Networks[J]. Computer Sci, 2013.

[3] Hochreiter S, Schmidhuber J. Long short-term memory[J]. Neural computation, 1997."""

CONTINUED_REFERENCES = """[12] Krizhevsky A, Sutskever I, Hinton G E. Imagenet classification \
with deep convolutional neural networks. NIPS 2012.
[13] He K, Zhang X, Ren S, et al. Deep residual learning for image recognition. CVPR 2016."""

TEXTBOOK_PROSE_WITH_CITATIONS = """* Lastly, there are optimization variants that perform cyclical \
learning rate adjustment :cite:`Loshchilov.Hutter.2016`, which the authors found useful.
* Warmup :cite:`Goyal.Dollar.Girshick.ea.2017` raises the rate over the first epochs."""


@pytest.mark.parametrize("path, text, shape", [
    (("第六章 RNN", "参考文献"), CHINESE_REFERENCES, REFERENCES),
    (("第四章 经典网络", "参考文献"), CONTINUED_REFERENCES, REFERENCES),
    (("Paper",), "Notes\n" + CONTINUED_REFERENCES, REFERENCES),  # no heading: by its lines
    (("Dropout", "Exercises"), "## Exercises\n\n1. What happens if you change p?", EXERCISES),
    (("第三章", "3.9 习题"), "### 3.9 习题\n1. 推导 softmax 的梯度。", EXERCISES),
    (("第十六章 NLP", "16.8 怎么将原有的模型加上注意力机制呢？"),
     "## 16.8 怎么将原有的模型加上注意力机制呢？", NO_PROSE),
    (("第四章", "Densenet"), "## Densenet", NO_PROSE),
    (("LSTM", "Gates"), "$$\\mathbf{I}_t = \\sigma(\\mathbf{X}_t \\mathbf{W}_{xi})$$", NO_PROSE),
    (("第十章 强化学习",), "[TOC]\nhttps://morvanzhou.github.io/tutorials/", LINKS),
    (("LR", "Policies"), TEXTBOOK_PROSE_WITH_CITATIONS, ANSWER),
    (("第三章", "3.6.3 为什么归一化能提高求解最优解速度？"),
     "### 3.6.3 为什么归一化能提高求解最优解速度？\n![](img/ch3/3.6.3.1.png)\n"
     "左图表示未经归一化操作的寻解过程，右图表示经过归一化后的寻解过程。", ANSWER),
    (("Adam", "The Algorithm"), "Adam uses leaky averages of the gradient.", ANSWER),
    (("第四章", "4.1.2 模型结构"),
     "| 网络层 | 输入尺寸 | 核尺寸 | 输出尺寸 |\n| --- | --- | --- | --- |\n"
     "| 卷积层C1 | 32x32x1 | 5x5x1/1,6 | 28x28x6 |", ANSWER),
])
def test_shape_of_real_note_passages(path, text, shape):
    assert shape_of(path, text) == shape


def test_every_non_answer_shape_is_demoted_and_answers_are_not():
    assert PRIOR[ANSWER] == 1.0
    assert all(0 < PRIOR[s] < 1 for s in (REFERENCES, EXERCISES, NO_PROSE, LINKS))


def test_apply_priors_reorders_and_keeps_every_hit():
    ranked = [ScoredId(1, 0.95), ScoredId(2, 0.90), ScoredId(3, 0.40)]
    rescored = apply_priors(ranked, {1: PRIOR[REFERENCES]})
    assert [h.id for h in rescored] == [2, 1, 3]
    assert sorted(h.id for h in rescored) == [1, 2, 3]


def _chunk(chunk_id, path, text, start=1, doc_id=1):
    lines = text.count("\n") + 1
    return Chunk(chunk_id, doc_id, f"/notes/{doc_id}.md", path[0], path, start,
                 start + lines - 1, 0, len(text), text, f"h{chunk_id}")


def _indexes(chunks, vectors):
    ids = np.array([c.id for c in chunks], dtype=np.int64)
    index = create_vector_index("flat", vectors.shape[1])
    index.add(ids, vectors.astype(np.float32))
    lexical = LexicalIndex.build(ids, [c.embed_text for c in chunks])
    return SearchIndexes(index, lexical, IndexState("test", "", len(chunks)),
                         Windows.empty(vectors.shape[1]))


def test_reference_list_ranked_first_by_both_retrievers_drops_below_the_answer():
    """The shape seen on real notes: a chapter's reference list is nearest to the query in
    embedding space and shares its keywords, and still must not be the first hit."""
    answer = _chunk(1, ("第六章 RNN", "6.11 LSTM"),
                    "## 6.11 LSTM\nLSTM 通过遗忘门、输入门和输出门控制细胞状态，缓解长期依赖问题。")
    references = _chunk(2, ("第六章 RNN", "参考文献"),
                        "## 参考文献\n[1] Hochreiter S. Long short-term memory LSTM[J]. 1997.\n"
                        "[2] Graves A. LSTM 长期依赖 Generating Sequences[J]. 2013.")
    unrelated = _chunk(3, ("第三章", "3.3 超参数"), "## 3.3 超参数\n学习率是最重要的超参数。")
    query = np.array([1.0, 0.0])
    vectors = np.array([[0.8, 0.6], [0.95, 0.312], [0.0, 1.0]])
    chunks = [answer, references, unrelated]
    indexes = _indexes(chunks, vectors)
    priors = {c.id: PRIOR[shape_of(c.heading_path, c.text)] for c in chunks}
    for mode in hybrid.MODES:
        plain = hybrid.rank(indexes, "LSTM 长期依赖", query, 2, mode, {})
        shaped = hybrid.rank(indexes, "LSTM 长期依赖", query, 2, mode, {},
                             priors=lambda ids: {i: priors[i] for i in ids})
        if mode == "dense":
            assert plain.kept[0].id == 2  # the failure this guards against
        assert [h.id for h in shaped.kept] == [1, 2], (mode, shaped.kept)


def test_self_test_question_drops_section_numbers_but_not_leading_digits_of_words():
    def asked(heading):
        return evaluation.question_of(_chunk(1, ("T", heading), "x"))

    assert asked("3.2.5 实例理解反向传播") == "实例理解反向传播"
    assert asked("2.5 实例理解反向传播") == "实例理解反向传播"
    assert asked("题目 3：什么是微调？") == "什么是微调？"
    assert asked("10、梯度裁剪？") == "梯度裁剪？"
    assert asked("3D 卷积是什么？") == "3D 卷积是什么？"
    assert asked("2019年提出的模型有哪些？") == "2019年提出的模型有哪些？"


def test_self_test_counts_a_sibling_piece_of_a_split_section_as_found():
    """A long section split in two: its heading may find either piece (both answer it)."""
    path = ("T", "3.2.5 实例理解反向传播")
    first = _chunk(1, path, "### 3.2.5 实例理解反向传播\n先做前向计算。")
    second = _chunk(2, path, "然后从输出层开始逐层求偏导，链式法则。", start=3)
    other = _chunk(3, ("T", "3.3 超参数"), "### 3.3 超参数\n学习率是最重要的超参数。", start=5)
    chunks = [first, second, other]
    vectors = {"实例理解反向传播": [0.0, 1.0, 0.0]}

    def embed_passages(texts):
        # the heading-less first piece looks unlike the question; its sibling looks like it
        rows = [[0.0, 0.6, 0.8], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
        return np.array(rows[: len(texts)], dtype=np.float32)

    scores, count = evaluation.self_test(
        chunks, embed_passages,
        lambda queries: np.array([vectors.get(q, [1.0, 0.0, 0.0]) for q in queries],
                                 dtype=np.float32), 3)
    assert count == 3  # both pieces carry the question heading; "3.3 超参数" is asked too
    assert scores.hit_at_1 == 1.0
