"""The quote of a question asked in parts holds a paragraph for each part (real e5 embedder).

Slow: the choice is the e5 cosine's (``extractive.with_asked_parts``), so a fake embedder would
only test itself.
"""

from __future__ import annotations

import pytest

from assistant.budget import query_terms
from assistant.extractive import extract_from_passage
from assistant.retrieval import Passage
from ground.records import Chunk, Hit

pytestmark = pytest.mark.slow

ACTIVATIONS = "\n".join([
    "Sigmoid 把输入压到 0 到 1 之间，常用在二分类的输出层。",
    "",
    "反向传播时梯度消失：Sigmoid 的梯度在两端都接近于 0，根据链式法则，传回的误差乘上接近零的"
    "导数，整体梯度也接近零，前面几层的权重几乎得不到更新。",
    "",
    "Sigmoid 和 Tanh 共同的缺点：指数计算代价大，而且输入很大或很小时梯度趋近于零，"
    "梯度消失问题仍然存在。",
    "",
    "在 LSTM 和 GRU 里，Sigmoid 还用作门：输出在 0 到 1 之间，正好表示让多少信息通过。",
    "",
    "Tanh 和 Sigmoid 形状非常相像，输出范围是 -1 到 1。比起 Sigmoid，Tanh 少了一个缺点：它本身是"
    "零均值的，传递过程中输入数据的均值不会偏移，所以在很多应用中效果比 Sigmoid 好一些。",
    "",
    "ReLU 在输入大于 0 时直接输出输入，小于 0 时输出 0，计算只需要一次比较，比指数快得多。",
    "",
    "ReLU 在正半轴的导数恒为 1，所以深层网络里梯度不会因为层层相乘而变小，训练收敛更快。",
    "",
    "ReLU 让一部分神经元输出 0，网络因此变得稀疏，减少了参数之间相互依存的关系，也能缓解过拟合。",
    "",
    "它的问题是神经元可能死掉：一次很大的梯度更新之后，某个神经元的输入一直小于 0，输出和梯度"
    "都恒为 0，这个神经元从此不再更新。Leaky ReLU 在负半轴给一个很小的斜率来避免这种情况。",
])


def passage(text: str) -> Passage:
    chunk = Chunk(1, 1, "/notes/activations.md", "激活函数", ("激活函数",), 1,
                  text.count("\n") + 1, 0, len(text), text, "h")
    return Passage(1, Hit(chunk, 1.0), text)


def quoted_text(question: str, embedder) -> str:
    quoted = extract_from_passage(passage(ACTIVATIONS), query_terms(question), question,
                                  embedder)
    assert quoted is not None
    return quoted.text


def test_each_part_of_a_question_asked_in_parts_gets_its_paragraph(sample_library):
    text = quoted_text("tanh 和 sigmoid 长得差不多，那 tanh 到底好在哪？它们共同的缺点是什么？",
                       sample_library.embedder)
    assert "零均值" in text  # what tanh does better
    assert "共同的缺点" in text  # what both lack


def test_a_question_asked_in_one_part_gets_one_paragraph(sample_library):
    text = quoted_text("tanh 比 sigmoid 好在哪里？", sample_library.embedder)
    assert "零均值" in text
    assert "共同的缺点" not in text


WORD2VEC = "\n".join([
    "- Skip-grams:",
    "  - We have converted the problem into a supervised problem.",
    "  - This is not an easy learning problem because learning within -10/+10 words is hard.",
    "  - We want to learn this to get our word embeddings model.",
    "- Word2Vec model:",
    "  - Vocabulary size = 10,000 words",
    "  - Let's say that the context word are `c` and the target word is `t`",
    "  - We want to learn `c` to `t`",
    "  - We then use a softmax layer to get `P(t|c)` which is y hat",
    "  - Also we will use the cross-entropy loss function.",
    "  - This model is called skip-grams model.",
    "- The last model has a problem with the softmax layer:",
    "  ![](Images/39.png)",
    "  - Here we are summing 10,000 numbers which corresponds to the number of words in our "
    "vocabulary.",
    "  - If this number is larger say 1 million, the computation will become very slow.",
    "- One of the solutions for the last problem is to use \"**Hierarchical softmax "
    "classifier**\" which works as a tree classifier.",
    "- In practice, the hierarchical softmax classifier doesn't use a balanced tree. Common words "
    "are at the top and less common are at the bottom.",
    "- How to sample the context **c**?",
    "  - One way is to choose the context by random from your corpus.",
])


def test_a_list_too_long_to_quote_whole_is_quoted_from_the_items_that_answer(sample_library):
    """dlai_c5_sequence_models.md:523-545 (r53 dev3:c17): quoted from its top, the list was cut
    at "- The last model has a problem with the softmax layer:", before the problem and the
    hierarchical softmax that answer."""
    question = ("Computing a full softmax over a 100k-word vocabulary is too slow — what cheaper "
                "alternatives are there?")
    quoted = extract_from_passage(passage(WORD2VEC), query_terms(question), question,
                                  sample_library.embedder)
    assert "Hierarchical softmax" in quoted.text
    assert "summing 10,000 numbers" in quoted.text
