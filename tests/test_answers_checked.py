"""Plumbing of the answer checks, on small fakes of the embedder seam (no model loads).

The extractive answer and subject extraction run on the real sample notes' text; the claim
checker gets a deterministic character-bigram embedder, which is enough for clear-cut cases
(a sentence copied from a passage, a sentence about cooking).
"""

from __future__ import annotations

import doctest
import importlib
import zlib
from pathlib import Path

import numpy as np
import pytest

from assistant.budget import query_terms
from assistant.citations import KEPT, check_citations, marker_numbers
from assistant.coverage import subject_terms
from assistant.explain import without_task_echo
from assistant.extractive import extract_answer, extract_from_passage
from assistant.prompts import explain_task
from assistant.respectively import mismatched_respectively
from assistant.retrieval import Passage
from ground.records import Chunk, Hit

NOTES = Path(__file__).resolve().parent.parent / "examples" / "notes"
CLIPPING = ("梯度裁剪（Gradient Clipping）是一种限制梯度大小的方法，以避免梯度爆炸或消失。\n"
            "通过设置梯度裁剪阈值，可以将梯度大小限制在一个合理的范围内，有助于模型稳定收敛。")
DROPOUT = "Dropout 在训练时随机丢弃一部分神经元，防止神经元之间的共适应，从而减少过拟合。"


class BigramEmbedder:
    """Implements ``assistant.retrieval.Embedder``: hashed character bigrams, unit length."""

    dim = 256

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:], strict=False):
            vector[zlib.crc32((a + b).encode()) % self.dim] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])


def passage(number: int, text: str, heading: str = "笔记", start_line: int = 1) -> Passage:
    lines = text.count("\n")
    chunk = Chunk(number, 1, "/notes/a.md", "a", ("a", heading), start_line,
                  start_line + lines, 0, len(text), text, f"h{number}")
    return Passage(number, Hit(chunk, 1.0), text)


PASSAGES = [passage(1, CLIPPING, "梯度裁剪"), passage(2, DROPOUT, "Dropout")]


@pytest.mark.parametrize("name", ["extractive", "citations", "coverage", "library_profile",
                                  "explain", "contrast_halves"])
def test_docstring_examples(name):
    module = importlib.import_module(f"assistant.{name}")
    assert doctest.testmod(module).failed == 0


def test_a_marker_inside_a_display_formula_is_moved_out():
    text = "梯度裁剪将梯度大小限制在一个合理的范围内：$$g \\leftarrow \\frac{c}{\\|g\\|} g [1]$$。"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？")
    formula = checked.text[checked.text.index("$$"): checked.text.rindex("$$") + 2]
    assert "[" not in formula and "g$$[1]" in checked.text.replace(" ", "")


def test_a_marker_is_never_added_inside_inline_code():
    text = "通过设置梯度裁剪阈值，可以将梯度大小限制在合理的范围内，如 `clip_grad_norm_(p, 1.0)`"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "梯度裁剪怎么做？")
    assert checked.attached == 1 and checked.text.endswith("`clip_grad_norm_(p, 1.0)`[1]")


def test_a_cited_sentence_its_passage_does_not_support_is_taken_out():
    text = ("梯度裁剪是一种限制梯度大小的方法，以避免梯度爆炸[1]。"
            "红烧肉要先炒糖色再加酱油炖一小时[1]。")
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？")
    assert checked.unsupported == ("红烧肉要先炒糖色再加酱油炖一小时。",)
    assert "红烧肉" not in checked.text and marker_numbers(checked.text) == [1]


def test_a_passage_holding_a_hash_read_as_a_huge_exponent_is_checked_without_a_crash():
    """r47 dev4:c9 stopped with an OverflowError: an image name's hash in the notes
    ("v2-a08645e392a6…") reads as 8645 × 10^392, past a float's range."""
    notes = "权重衰减系数一般取 0.0005，见图 v2-a08645e392a6a5cb49e271e5310f0dd8.png。"
    checked = check_citations("权重衰减系数一般取 0.0005[1]。", [passage(1, notes, "权重衰减")],
                              BigramEmbedder(), "权重衰减系数取多少？")
    assert marker_numbers(checked.text) == [1] and not checked.unsupported


def test_an_interval_in_brackets_is_kept_as_text_not_taken_for_a_marker():
    """r47 dev4:c23 read "取值范围为，取值越大…": the model's "[0,1]" was cleaned as a marker."""
    notes = "F1 是精确率和召回率的调和平均，取值范围为[0,1]，取值越大，模型预测能力越好。"
    checked = check_citations("F1 是精确率和召回率的调和平均，取值范围为[0,1]，取值越大越好[1]。",
                              [passage(1, notes, "F1")], BigramEmbedder(), "F1 是什么？")
    assert "取值范围为[0,1]，" in checked.text and marker_numbers(checked.text) == [1]


def test_a_marker_to_the_wrong_passage_is_moved_to_the_one_that_says_it():
    text = "Dropout 在训练时随机丢弃一部分神经元，从而减少过拟合[1]。"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "Dropout 有什么用？")
    assert marker_numbers(checked.text) == [2] and checked.repointed == 1


def test_an_answer_cut_by_the_token_limit_ends_at_its_last_complete_sentence():
    text = "梯度裁剪是一种限制梯度大小的方法[1]。通过设置梯度裁剪阈值，可以将梯度大小限制在"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？", cut=True)
    assert checked.text == "梯度裁剪是一种限制梯度大小的方法[1]。"


def test_a_sentence_that_restates_the_question_is_not_an_answer():
    text = "梯度裁剪和 Dropout 不同[1]。梯度裁剪限制梯度大小，以避免梯度爆炸或消失[1]。"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "梯度裁剪和 Dropout 有什么区别？")
    assert checked.non_answers == ("梯度裁剪和 Dropout 不同[1]。",)
    assert checked.text == "梯度裁剪限制梯度大小，以避免梯度爆炸或消失[1]。"


def test_the_extractive_answer_quotes_the_notes_lines_exactly():
    path = NOTES / "003_89ce1d617499cee7.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines[48:64])  # "#### 4. 什么是梯度消失和梯度爆炸？" .. its 解析
    quoted = extract_answer("梯度消失和梯度爆炸是什么？", [passage(1, text, "4. 梯度消失", 49)])
    assert [q.line for q in quoted.lines] == [53, 55, 56]
    assert all(q.text == lines[q.line - 1] for q in quoted.lines)
    assert "梯度消失（Gradient Vanishing）" in quoted.text
    assert "梯度爆炸（Gradient Exploding）" in quoted.text


def test_a_bare_answer_label_quotes_the_paragraph_after_it_and_a_one_line_answer_its_why():
    """The one-line answer names the method; its 解析 (a heading "#### 解析：**" here) says why
    it is needed — what "为什么" asks. Before, the student saw the definition line alone."""
    path = NOTES / "004_8e77f8e049ce3a31.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines[36:46])  # "#### 题目 4：什么是梯度裁剪" .. its 解析
    quoted = extract_answer("为什么要给梯度设上限？", [passage(1, text, "题目 4", 37)])
    assert [q.line for q in quoted.lines] == [41, 45] and quoted.kind == "answer"
    assert [q.text for q in quoted.lines] == [lines[40], lines[44]]
    assert "解析" not in quoted.text  # the label itself is not quoted


def test_a_one_line_answer_is_quoted_with_the_uses_its_explanation_gives():
    path = NOTES / "004_8e77f8e049ce3a31.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines[176:185])  # "#### 题目 18：什么是强化学习" .. its 解析
    quoted = extract_answer("what are some real-world uses of reinforcement learning?",
                            [passage(1, text, "题目 18", 177)])
    assert [q.line for q in quoted.lines] == [181, 185]
    assert "游戏、自动驾驶" in quoted.text


def test_an_answer_of_several_lines_is_quoted_without_its_explanation():
    path = NOTES / "003_89ce1d617499cee7.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines[48:64])
    quoted = extract_answer("梯度消失和梯度爆炸是什么？", [passage(1, text, "4. 梯度消失", 49)])
    assert "解析" not in quoted.text and max(q.line for q in quoted.lines) == 56


@pytest.mark.parametrize(("question", "names"), [
    ("XGBoost 相比普通的梯度提升树做了哪些改进？", ["XGBoost"]),
    ("信息增益和基尼系数有什么区别？", ["信息增益", "基尼系数"]),
    ("What is a support vector machine?", ["support vector machine"]),
    ("网络一深，梯度往回传就越来越小甚至没了，是什么原因", []),
    ("投票、加权平均、stacking 这些把多个模型结果合起来的方法", []),
    # A verb outside the frame's list, known by the article after it; never a pronoun, a
    # gerund or a function word taken for the subject or the verb.
    ("How does gradient boosting fit each new tree to the errors of the previous ones?",
     ["gradient boosting"]),
    ("How does a Vision Transformer turn an image into a sequence?", ["Vision Transformer"]),
    ("How do I check numerically that my backprop gradients are right?", []),
    ("Why would injecting noise into hidden units make a network generalize better?", []),
    ("Why do gradients in a plain recurrent network shrink or blow up over long sequences?",
     []),
    ("why does a GAN keep producing the same few samples?", ["GAN"]),
    # an adverb before the verb is not part of the subject
    ("How does dropout usually prevent the co-adaptation of units?", ["dropout"]),
    ("Why does the translation model sometimes output an empty sentence?", ["translation model"]),
    # a plural noun or a preposition is not the verb (an independent judge's questions, s29)
    ("How does the softmax function turn logits into probabilities?", []),
    ("Why would early stopping act as a regularizer?", []),
])
def test_the_subject_names_of_a_question(question, names):
    assert subject_terms(question) == names


class EmbedderOnly:
    embedder = BigramEmbedder()


def test_a_compare_cell_its_passages_do_not_support_becomes_the_notes_sentence():
    from assistant.compare import _row

    groups = [[PASSAGES[0]], [passage(2, DROPOUT, "Dropout")]]
    cells = [{"text": "梯度裁剪是一种限制梯度大小的方法", "source": 1},
             {"text": "Dropout 会让学习率自动变大", "source": 2}]
    row = _row("definition", cells, groups, ["梯度裁剪", "Dropout"], "zh", EmbedderOnly(), None)
    clipping, dropout = row.cells
    assert clipping.text == "梯度裁剪是一种限制梯度大小的方法" and not clipping.quoted
    assert dropout.quoted and dropout.text in DROPOUT and dropout.citations == (2,)
    assert dropout.text.endswith("。")  # a complete sentence, never cut


def test_a_list_item_whose_sentence_is_taken_out_leaves_no_bare_number():
    text = ("梯度裁剪是一种限制梯度大小的方法[1]：\n1. 红烧肉要先炒糖色再加酱油炖一小时[1]。\n"
            "2. 通过设置梯度裁剪阈值，可以将梯度大小限制在一个合理的范围内[1]。\n资料依据：[1]\n3.")
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？", cut=True)
    kept = "通过设置梯度裁剪阈值，可以将梯度大小限制在一个合理的范围内[1]。"  # no "1." left
    assert checked.text.split("\n") == ["梯度裁剪是一种限制梯度大小的方法[1]：", kept]


def test_a_repeated_sentence_is_said_once():
    text = ("梯度裁剪是一种限制梯度大小的方法[1]。\n- 梯度裁剪是一种限制梯度大小的方法[1]。")
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？")
    assert checked.text == "梯度裁剪是一种限制梯度大小的方法[1]。"


def test_a_loop_of_numbered_and_bulleted_repeats_and_echo_lines_is_said_once():
    text = ("梯度裁剪是一种限制梯度大小的方法，以避免梯度爆炸或消失[1]。\n"
            "The key points the passages give are[1]:\n"
            "1. 梯度裁剪是一种限制梯度大小的方法，以避免梯度爆炸或消失[1]。\n"
            "   - 梯度裁剪是一种限制梯度大小的方法，可以避免梯度爆炸或消失[1]。")
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？")
    assert checked.text == "梯度裁剪是一种限制梯度大小的方法，以避免梯度爆炸或消失[1]。"
    assert len(checked.non_answers) == 3


def test_an_answer_that_goes_on_to_write_out_its_prompt_again_ends_where_the_echo_begins():
    # seen in r15/r16c (sample:c26): the answer, then the task copied, then "问题：<a heading>？";
    # the checker had kept "不遗漏，如[1]。问题：如何进行多任务微调[2]？" from the copy
    question = "什么是梯度裁剪？"
    raw = ("第一句：梯度裁剪是一种限制梯度大小的方法，以避免梯度爆炸或消失。\n"
           + explain_task("如何进行多任务微调？", "zh"))
    checked = check_citations(without_task_echo(raw, "zh"), PASSAGES, BigramEmbedder(),
                              question)
    assert checked.text == "梯度裁剪是一种限制梯度大小的方法，以避免梯度爆炸或消失[1]。"
    assert "不遗漏" not in checked.text + "".join(checked.unsupported + checked.non_answers)


CODE_NOTE = ("使用 Keras 实现：\n\n```python\nbase = VGG16(weights='imagenet', include_top=False)\n"
             "for layer in base.layers:\n    layer.trainable = False\n```\n")


def test_code_copied_from_a_passage_is_kept_whole_and_invented_code_is_taken_out():
    passages = [passage(1, CODE_NOTE, "迁移学习")]
    copied = "```python\nbase = VGG16(weights='imagenet', include_top=False)\n```"
    checked = check_citations(copied, passages, BigramEmbedder(), "迁移学习的代码怎么写？")
    assert checked.text == copied and not checked.unsupported
    invented = "```python\nmodel = ResNet50(pretrained=True)\nmodel.fc = Linear(2048, 10)\n```"
    checked = check_citations(invented, passages, BigramEmbedder(), "迁移学习的代码怎么写？")
    assert checked.text == "" and checked.unsupported


def test_a_code_question_quotes_the_code_and_a_split_answer_the_part_asked_for():
    code = extract_answer("迁移学习的代码怎么写？", [passage(1, CODE_NOTE, "迁移学习", 10)])
    assert code.kind == "code" and code.lines[0].text == "```python" and code.first_line == 12
    assert code.lines[-1].text == "```"
    text = ("### 14. 什么是深度强化学习？请举例说明。\n\n**答案：**\n\n**概念：**\n\n"
            "深度强化学习（DRL）结合了深度学习和强化学习。\n\n**核心组成部分：**\n"
            "1. **代理：** 执行动作的智能体。\n\n**举例说明：**\n\n"
            "**例子：** 自动驾驶汽车中的路径规划。\n\n**解析：**\n\n略。")
    quoted = extract_answer("深度强化学习是什么？举个例子", [passage(1, text, "14. 深度强化学习")])
    said = quoted.text
    assert "结合了深度学习和强化学习" in said and "路径规划" in said and "代理" not in said


def test_a_which_question_quotes_the_list_not_the_definition():
    text = ("### 3.4.6 使用 ReLu 激活函数的优点？\n\nReLU 是一种激活函数。\n\n它的优点有：\n"
            "1. 计算快，学习更快。\n2. 不会饱和，没有梯度弥散。\n\n" + "其他说明。" * 200)
    quoted = extract_answer("ReLU 有哪些优点？", [passage(1, text, "3.4.6")])
    assert [q.text for q in quoted.lines] == ["它的优点有：", "1. 计算快，学习更快。",
                                              "2. 不会饱和，没有梯度弥散。"]


def test_a_which_question_quotes_the_list_whose_lead_in_names_what_it_asks():
    """第七章:271-286 (dev2:c23): the list of the two losses names WGAN twice; the list after
    "在代码实现上来说，其实就以下几点：" is the answer to "在实现上改了哪几处"."""
    text = "\n".join([
        "### 7.4.5 WGAN如何解决训练崩溃问题？", "",
        "通过最小化Wasserstein距离，得到了WGAN的Loss：", "",
        "- WGAN生成器Loss：$-E[f(x)]$", "- WGAN判别器Loss：$-E[f(x)] + E[f(z)]$", "",
        "从公式上GAN似乎总是让人摸不着头脑，在代码实现上来说，其实就以下几点：", "",
        "- 判别器最后一层去掉sigmoid", "- 生成器和判别器的loss不取log",
        "- 判别器的参数截断到不超过一个固定常数c"])
    quoted = extract_answer("WGAN 相对原始 GAN 在实现上改了哪几处？", [passage(1, text, "7.4.5")])
    assert [q.line for q in quoted.lines] == [8, 10, 11, 12]


def test_a_figure_caption_is_not_quoted_as_the_answer_nor_joined_to_the_text_after_it():
    text = ("Attention weighs the values by how well keys match the query.\n\n"
            "- **Scaled dot product:** the dot products are scaled by 1/sqrt(d) so that large "
            "magnitude vectors do not push the softmax into tiny gradients.\n\n"
            '<div class="fig">\n  <img src="/assets/att/softmax.png">\n'
            '  <div class="figcaption">Multi-Head Scaled Dot Product Attention</div>\n</div>\n'
            "<br>\nWe can then apply dropout to the output of the attention layer.\n\n"
            + "Other remarks on training. " * 180)
    quoted = extract_from_passage(passage(1, text, "Attention"), query_terms(
        "Why is Multi-Head Scaled Dot Product Attention scaled?"),
        "Why is Multi-Head Scaled Dot Product Attention scaled?", BigramEmbedder())
    assert "1/sqrt(d)" in quoted.lines[0].text and "figcaption" not in quoted.text


def test_a_list_is_finished_with_the_head_of_a_last_item_long_enough_to_be_cut():
    items = ["- (+) ReLU speeds up the convergence of gradient descent. " + "It is cheap. " * 30,
             "- (+) ReLU needs no exponentials and thresholds activations at zero.",
             "- (-) Sadly, there is a catch. A large gradient can knock dead units off the data "
             "manifold, which is why they never recover. " + "Padding sentence here. " * 70]
    question = "Which problems does ReLU have, and why do dead units never recover?"
    quoted = extract_from_passage(passage(1, "\n".join(items), "ReLU"), query_terms(question),
                                  question)
    assert [q.line for q in quoted.lines] == [1, 2, 3] and quoted.lines[2].partial
    third = quoted.lines[2].text
    assert third.startswith("- (-) Sadly") and "never recover" in third


def test_a_list_too_long_with_its_items_wrapped_lines_is_finished_with_each_items_own_line():
    """rnn.md:295-301 (dev3:c41): the input gate's wrapped lines used up the quote, and the
    output gate, the question's third part, was never shown. A new list after a blank line and
    a label is not taken for the rest of this one. (The limits count a wrapped sentence once:
    the list here is over the characters' limit.)"""
    wrapped = "This gate learns to erase what the earlier steps kept, which is why the cell\n" \
        "state and the hidden state both exist " + "and are carried over from step to step " * 20 \
        + "\nso the network decides what to keep.\n"
    text = ("  * **Forget Gate:** controls how much is removed from the cell state.\n" + wrapped
            + wrapped + "  * **Input Gate:** controls how much is added to the cell state.\n"
            + wrapped
            + wrapped + "  * **Output Gate:** controls how much is shown as the hidden state.\n"
            + "\n**Other gates:**\n\n  * **Peephole:** looks at the cell state.")
    question = "What do the forget gate, the input gate and the output gate each control?"
    quoted = extract_from_passage(passage(1, text, "LSTM"), query_terms(question), question)
    heads = [q.text.strip() for q in quoted.lines if "Gate:**" in q.text]
    assert [h.split(":**")[0] for h in heads] == ["* **Forget Gate", "* **Input Gate",
                                                  "* **Output Gate"]
    assert "Peephole" not in quoted.text and quoted.text.count("This gate learns") < 4
    assert all(not q.partial for q in quoted.lines)


def test_a_list_whose_item_holds_long_code_goes_on_past_the_code_to_the_items_asked_for():
    """dlai_c2:538-568 (dev3:c35): the Adam section's list holds its pseudo-code (with blank
    lines), and the defaults the question asks for come after it. The quote stopped inside the
    code; it now skips the code, and the line that only introduced it, to the defaults."""
    code = ["  ```", "  vdW = 0, vdb = 0", "  on iteration t:", "  \t\t\t"] + \
        [f"  \tstep_{i} = update(step_{i - 1})     # part {i}" for i in range(1, 16)] + ["  ```"]
    text = "\n".join(["### Adam", "", "- Stands for **Adaptive Moment Estimation**.",
                      "- Adam simply puts RMSprop and momentum together!", "- Pseudo code:"]
                     + code + ["- Hyperparameters for Adam:",
                               "  - Learning rate: needed to be tuned.",
                               "  - `beta1`: `0.9` is recommended by default.",
                               "  - `beta2`: `0.999` is recommended by default.",
                               "  - `epsilon`: `10^-8` is recommended by default.", "",
                               "### Learning rate decay"])
    question = "What are the default values of Adam's hyperparameters?"
    quoted = extract_from_passage(passage(1, text, "Adam"), query_terms(question), question)
    assert "0.999" in quoted.text and "10^-8" in quoted.text
    assert "Pseudo code" not in quoted.text and "update(" not in quoted.text
    assert quoted.text.startswith("- Stands for")


def test_a_sentence_written_one_clause_a_line_is_quoted_to_its_end_past_the_line_cap():
    """object-detection.md:558-568 (dev4:c17) and d2l's one-clause lines: the 8-line cap cut
    the quote inside a sentence and it was cut back to the sentence before, so the focal
    loss's second parameter (α) was never shown. The character cap still holds."""
    text = "\n".join(["Focal loss 降低了大量简单负样本的权重。", "$$",
                      "FL(p)=-(1-p)^{\\gamma}log(p)", "$$", "添加参数γ，对于易分的样本权重小。",
                      "$$", "FL(p)=-\\alpha (1-p)^{\\gamma}log(p)", "$$",
                      "添加参数α，用来平衡正负样本本身的比例不均。", "", "其他内容。" * 300])
    question = "Focal loss 的两个超参数各管什么？"
    quoted = extract_from_passage(passage(1, text, "Focal loss"), query_terms(question),
                                  question)
    assert quoted.lines[-1].text == "添加参数α，用来平衡正负样本本身的比例不均。"


def test_a_how_to_fix_question_quotes_the_paragraph_labelled_as_the_fix():
    """NaiveBayes.md:80-95 (dev4:c3): the question describes the problem in the problem
    paragraph's own words, so that paragraph was quoted; the fix is the labelled one."""
    text = "\n\n".join([
        "## 7.什么是朴素贝叶斯中的零概率问题？如何解决？",
        "**零概率问题**：在计算实例的概率时，如果某个量$x$在训练集中没有出现过，会导致整个实例的概率结果是0。",
        "**解决办法**：为了解决零概率的问题，拉普拉斯提出用加1的方法估计没有出现过的现象的概率。",
        "**举个栗子**：假设在文本分类中有3个类。" + "计数。" * 400])
    question = "朴素贝叶斯碰到训练集里从没出现过的词，整个概率乘出来是 0，怎么办？"
    quoted = extract_from_passage(passage(1, text, "7."), query_terms(question), question)
    assert quoted.text.startswith("**解决办法**")


def test_the_prompt_reads_the_retrievers_best_section_first_with_its_other_chunk():
    from assistant.explain import choose_passages

    def hit(number, heading, start):
        chunk = Chunk(number, 1, "/notes/a.md", "a", ("a", heading), start, start + 5, 0, 1,
                      "x", f"h{number}")
        return Hit(chunk, 1.0)

    second_half, other, first_half, third = (hit(1, "9. 迁移学习", 20), hit(2, "7. 微调", 50),
                                             hit(3, "9. 迁移学习", 10), hit(4, "8. 预训练", 80))
    chosen = choose_passages([second_half, other, first_half, third], 2)
    assert chosen == [first_half, second_half, other]


def test_a_long_section_numbered_in_parts_quotes_each_part_and_no_image():
    text = ("### 3.1.5 为什么深层神经网络难以训练？\n\n1. 梯度消失\n"
            "    梯度越来越小，学习会卡住。\n\n" + "    原因很多。" * 80
            + "\n\n![](img/a.png)\n\n2. 梯度爆炸\n\n![](img/b.png)\n"
            "    梯度越来越大，网络不稳定。\n\n3. 权重矩阵的退化导致模型的有效自由度减少。\n")
    question = "网络一深为什么难训练，难在哪几个地方？"
    quoted = extract_answer(question, [passage(1, text, "3.1.5", 103)])
    assert [q.text.strip() for q in quoted.lines] == [
        "1. 梯度消失", "梯度越来越小，学习会卡住。", "2. 梯度爆炸", "梯度越来越大，网络不稳定。",
        "3. 权重矩阵的退化导致模型的有效自由度减少。"]


def test_code_written_without_a_fence_gets_no_marker_inside_and_a_bare_source_line_goes():
    passages = [passage(1, CODE_NOTE, "迁移学习")]
    text = ("base = VGG16(weights='imagenet', include_top=False)\n"
            "for layer in base.layers:\nlayer.trainable = False\n资料[1]")
    checked = check_citations(text, passages, BigramEmbedder(), "迁移学习的代码怎么写？")
    assert checked.text == ("base = VGG16(weights='imagenet', include_top=False)\n"
                            "for layer in base.layers:\nlayer.trainable = False")


def test_a_formula_question_quotes_the_display_formulas():
    text = ("### 3.9.7 余弦衰减\n\n余弦衰减的更新机制如下式所示：\n$$\nstep=min(step,decay)\n$$\n\n"
            "$$\ndecayed=0.5*(1+cos(pi*step/decay))\n$$\n\n如下图所示，红色为标准曲线。\n")
    quoted = extract_answer("余弦衰减的公式是怎样的？", [passage(1, text, "3.9.7", 1101)])
    assert quoted.kind == "formula" and quoted.lines[0].text == "余弦衰减的更新机制如下式所示："
    assert quoted.lines[-1].text == "$$" and "decayed=" in quoted.text and "红色" not in quoted.text


TANH = ("首先看如下两个函数的求导：\n$tanh^{,}(x)=1-tanh(x)^{2}\\in (0,1)$\n"
        "$s^{,}(x)=s(x)*(1-s(x))\\in (0,\\frac{1}{4}]$\n"
        "由上面两个公式可知tanh(x)梯度消失的问题比sigmoid轻，所以Tanh收敛速度比Sigmoid快。\n"
        "以sigmoid函数$\\sigma(X)=\\frac {1}{1+e^{-x}}$为例，其导数为"
        "$\\sigma'(x)=\\frac{1}{1+e^{-x}}(1-\\frac{1}{1+e^{-x}})$，其值恒大于零小于1。")


REGRESSION = "- 线性回归是找`x`与`y`的关系，然后用于预测`y`"
PCA = ("* PCA is a dimension reduction technique that projects\n"
       "the data into a lower dimensional space, and keeps the directions\n"
       "along which the data vary the most")


def test_each_side_of_a_contrast_cites_the_passage_that_says_it():
    """dev7:c28 (r72): one sentence, its sides said by two sections; it was taken out."""
    checked = check_citations(
        "PCA projects the data into a lower dimensional space, whereas linear regression "
        "fits a line that predicts y from x.",
        [passage(1, "Linear regression fits a line through the points, then predicts y."),
         passage(2, PCA)], BigramEmbedder(), "How does PCA differ from linear regression?")
    assert checked.text == ("PCA projects the data into a lower dimensional space[2], whereas "
                            "linear regression fits a line that predicts y from x[1].")


def test_a_contrast_side_no_passage_says_takes_the_sentence_out_though_one_says_the_rest():
    """The PCA section alone held two thirds of the sentence's words: no longer enough."""
    text = ("PCA projects the data into a lower dimensional space and keeps the directions "
            "along which the data vary the most, whereas regression minimizes squared "
            "residuals[1].")
    checked = check_citations(text, [passage(1, PCA), passage(2, REGRESSION)],
                              BigramEmbedder(), "How does PCA differ from regression?")
    assert checked.text == "" and checked.unsupported == (text.replace("[1]", ""),)


def test_a_negated_side_of_a_contrast_is_read_with_the_other_side():
    notes = "而分类问题如果用均方差的话，损失函数不是凸函数。而交叉熵函数可以保证区间内单调。"
    text = "交叉熵可以保证区间内单调，而均方误差不能保证区间内单调[1]。"
    checked = check_citations(text, [passage(1, notes, "损失函数")], BigramEmbedder(),
                              "分类为什么用交叉熵不用均方误差？")
    assert checked.text == ""


def test_a_comparison_the_passage_does_not_make_is_taken_out():
    tanh = [passage(1, TANH, "为什么Tanh收敛速度比Sigmoid快？")]
    checked = check_citations(
        "tanh 的梯度消失问题比 sigmoid 轻，所以收敛更快[1]。"
        "tanh 函数的求导结果会比 sigmoid 函数的求导结果更小[1]。",
        tanh, BigramEmbedder(), "tanh 为什么会比 sigmoid 收敛得快一些")
    assert "更小" not in checked.text and "轻" in checked.text
    assert any("更小" in s for s in checked.unsupported)


def test_a_miscopied_formula_is_taken_out_and_a_true_copy_kept():
    tanh = [passage(1, TANH, "为什么Tanh收敛速度比Sigmoid快？")]
    question = "sigmoid 的导数是什么"
    true = check_citations(
        "sigmoid 的导数为 σ'(x)=1/(1+e^{-x})(1-1/(1+e^{-x}))，其值恒大于零小于1[1]。",
        tanh, BigramEmbedder(), question)
    miscopied = check_citations(
        "sigmoid 的导数为 σ'(x)=1/(1+e^{-x})(1-e^{-x})，其值恒大于零小于1[1]。",
        tanh, BigramEmbedder(), question)
    assert "σ'(x)" in true.text and not true.unsupported
    assert "σ'(x)" not in miscopied.text and miscopied.unsupported


COMPLEXITY = ("In terms of computational complexity, the convolutional layer costs "
              "$\\mathcal{O}(knd^2)$, the recurrent layer $\\mathcal{O}(nd^2)$ and "
              "self-attention $\\mathcal{O}(n^2d)$, which is quadratic in the sequence length.")


def test_a_complexity_the_passage_does_not_write_is_taken_out_and_its_own_kept():
    """r41 dev2:c65 (blind judge): the model gave CNNs and RNNs "$O(n^2d)$ and $O(n^3)$", the
    passage's words around a term it never writes, and the claim passed as supported."""
    cost = [passage(1, COMPLEXITY, "Comparing CNNs, RNNs, and Self-Attention")]
    question = "how does the cost of self-attention compare with RNNs and CNNs?"
    kept = check_citations("Self-attention costs $\\mathcal{O}(n^2d)$, quadratic in the "
                           "sequence length[1].", cost, BigramEmbedder(), question)
    invented = check_citations("The recurrent layer costs $\\mathcal{O}(n^3)$ in the "
                               "sequence length[1].", cost, BigramEmbedder(), question)
    assert "n^2d" in kept.text and not kept.unsupported
    assert "n^3" not in invented.text and invented.unsupported


def test_a_range_the_passage_does_not_write_is_taken_out_and_its_own_range_kept():
    """dev2:c3 (judges r10, r11): "由于 tanh'(x) > 0 … 所以 … 减轻" drops the upper bound the
    passage's argument rests on; only "= … ∈ (0,1)" is written there."""
    tanh = [passage(1, TANH, "为什么Tanh收敛速度比Sigmoid快？")]
    question = "tanh 为什么会比 sigmoid 收敛得快一些"
    distorted = check_citations(
        "由于 $tanh'(x) > 0$，而 $s'(x) \\in (0, \\frac{1}{4}]$，"
        "所以 tanh 函数的梯度消失问题比 sigmoid 轻[1]。", tanh, BigramEmbedder(), question)
    stated = check_citations(
        "由于 $tanh'(x) \\in (0,1)$，而 $s'(x) \\in (0, \\frac{1}{4}]$，"
        "所以 tanh 函数的梯度消失问题比 sigmoid 轻[1]。", tanh, BigramEmbedder(), question)
    assert distorted.unsupported and "tanh'(x) > 0" not in distorted.text
    assert not stated.unsupported and "(0,1)" in stated.text


def test_a_question_whose_answer_was_never_written_is_not_quoted():
    """r81 dev3:c12 (blind judge): the quote was an interview page's "Can you tell us how you
    approach the model training process?" and the "Answer here" left under it."""
    text = ("**How do we decide when to stop training a neural net?**\n\n"
            "Simply stop training when the validation error is the minimum.\n\n<br/>\n\n"
            "**Can you tell us how you approach the model training process?**\n\n"
            "Answer here\n\n<br/>")
    question = "How should I approach the model training process?"
    quoted = extract_from_passage(passage(1, text, "Optimization"), query_terms(question),
                                  question, BigramEmbedder())
    assert quoted is not None and "Answer here" not in quoted.text


LEAKY = ("* Non-linearity: ReLU is often used. Use Leaky ReLU (a small positive gradient for "
         "negative input, say, `y = 0.01x` when x < 0) to address dead ReLU issue")


def test_a_relation_the_passage_writes_in_prose_is_its_own_and_another_is_not():
    """r79 dev7:c24 (blind judge): "… such as \\( y = 0.01x \\) when \\( x < 0 \\)" was taken
    out because its passage writes "x < 0" in prose, not in a formula; "x > 0" it never writes."""
    leaky = [passage(1, LEAKY, "Activation Function")]
    question = "How does Leaky ReLU fix dead neurons?"
    prose = check_citations("Leaky ReLU adds a small positive gradient for negative input, "
                            "such as \\( y = 0.01x \\) when \\( x < 0 \\)[1].",
                            leaky, BigramEmbedder(), question)
    turned = check_citations("Leaky ReLU adds a small positive gradient for negative input, "
                             "such as \\( y = 0.01x \\) when \\( x > 0 \\)[1].",
                             leaky, BigramEmbedder(), question)
    assert not prose.unsupported and "x < 0" in prose.text
    assert turned.unsupported and "x > 0" not in turned.text


def test_a_contrast_side_in_translation_cites_the_passage_that_names_its_subject():
    """r64 dev7:c28: "PCA …，而线性回归是通过找到 x 和 y 之间的线性关系来拟合数据的" was kept
    citing the English PCA section alone; in translation, "linear regression finds a linear
    relationship between x and y" shared its words ("finds") but never named linear regression,
    which the Chinese passage does."""
    regression = passage(1, "线性回归是找x与y的关系，然后用于预测y", "PCA与线性回归的区别")
    pca = passage(2, "PCA projects the data to a lower dimensional space. PCA finds the "
                  "relationship between the features to predict their structure.", "PCA")
    claim = "PCA 把数据投影到低维空间，而线性回归是找 x 和 y 的关系来预测 y。"
    said = ("PCA projects the data to a lower dimensional space, while linear regression "
            "finds the relationship between x and y to predict y.")
    checked = check_citations(claim, [regression, pca], BigramEmbedder(),
                              "PCA 和线性回归有什么不同？", translations={claim: said},
                              asked="How do PCA and linear regression differ?")
    shown = [c for c in checked.checks if "线性回归" in c.sentence and c.verdict in KEPT]
    assert all(1 in c.cited for c in shown)  # the side on linear regression cites [1] or goes


RATE = ("学习率可以说是模型训练最为重要的超参数。"
        "通常情况下，一个或者一组优秀的学习率既能加速模型的训练，又能得到一个较优甚至最优的精度。"
        "过大或者过小的学习率会直接影响到模型的收敛。以上两种情况在训练初期以及中期，"
        "此时若仍然以固定的学习率，会使模型陷入左右来回的震荡或者鞍点，无法继续优化。"
        "所以，学习率衰减或者增大能帮助模型有效的减少震荡或者逃离鞍点。")


def test_a_conclusion_the_passage_does_not_draw_loses_its_therefore():
    """dev2:c12 (judges r11, r12): "因此" made a line of 14.3.2 the reason to decay the rate;
    the passage states that line plainly and draws its conclusion ("所以，…") elsewhere."""
    rate = [passage(1, RATE, "为什么要做学习率调整?")]
    question = "为什么训练过程中要把学习率慢慢调小？"
    linked = check_citations(
        "因此，一个或者一组优秀的学习率既能加速模型的训练，又能得到一个较优的精度[1]。",
        rate, BigramEmbedder(), question)
    drawn = check_citations(
        "因此，学习率衰减能帮助模型有效的减少震荡或者逃离鞍点[1]。",
        rate, BigramEmbedder(), question)
    assert linked.text.startswith("一个或者一组优秀的学习率") and not linked.unsupported
    assert drawn.text.startswith("因此，学习率衰减")


def test_a_purpose_the_passage_does_not_state_is_taken_off_the_line_it_frames():
    """dev2:c12 (judges r19): "为了加速模型的训练，" made speed the purpose of a line of 14.3.2
    that only says a good rate speeds training; a purpose the notes state stays."""
    rate = [passage(1, RATE, "为什么要做学习率调整?")]
    question = "为什么训练过程中要把学习率慢慢调小？"
    framed = check_citations(
        "为了加速模型的训练，通常情况下，一个或者一组优秀的学习率既能加速模型的训练，"
        "又能得到一个较优甚至最优的精度[1]。", rate, BigramEmbedder(), question)
    assert framed.text.startswith("通常情况下，一个或者一组优秀的学习率") and not framed.unsupported
    dropout = [passage(1, "为了防止过拟合，训练时以概率 p 随机丢弃一部分神经元。",
                       "什么是 dropout?")]
    stated = check_citations("为了防止过拟合，训练时以概率 p 随机丢弃一部分神经元[1]。", dropout,
                             BigramEmbedder(), "dropout 是做什么的？")
    assert stated.text.startswith("为了防止过拟合") and not stated.unsupported


def test_list_items_with_their_own_labels_are_kept_and_a_removed_item_leaves_no_gap():
    fusion = passage(1, "1. Image encoding: encode the image data with a pretrained model, "
                        "extracting image features.\n2. Text encoding: encode the text data "
                        "with a pretrained model, extracting text features.\n"
                        "3. Fusion: concatenate both vectors into one joint representation.",
                     "How are image and text data processed?")
    checked = check_citations(
        "1. Image encoding: encode the image data with a pretrained model, extracting image "
        "features[1].\n2. Text encoding: encode the text data with a pretrained model, "
        "extracting text features[1].\n3. Cooking: boil the pasta for ten minutes in salted "
        "water.\n4. Fusion: concatenate both vectors into one joint representation[1].",
        [fusion], BigramEmbedder(), "how do you combine text and image features?")
    lines = checked.text.split("\n")
    assert [line[:2] for line in lines] == ["1.", "2.", "3."]
    assert "Text encoding" in lines[1] and "Fusion" in lines[2]


def test_a_sentence_naming_the_subject_of_a_passage_heading_is_an_answer():
    meta = passage(2, "元学习是一种学习如何学习的机器学习技术，旨在使模型能够快速适应新的任务。",
                   "题目 11：什么是元学习？如何实现元学习？")
    checked = check_citations("学会如何学习的思路是元学习[2]。", [meta], BigramEmbedder(),
                              "“学会如何学习”是什么思路？怎么让模型很快适应新任务")
    assert "元学习" in checked.text and not checked.non_answers


def test_a_sentence_about_the_passage_instead_of_the_subject_is_taken_out():
    checked = check_citations(
        "Gradient clipping limits the gradient norm[1]. The passage [1] provides a "
        "comprehensive overview of gradient clipping and its many uses in training.",
        [passage(1, "Gradient clipping limits the gradient norm to a threshold.", "Clipping")],
        BigramEmbedder(), "what is gradient clipping?")
    assert "passage" not in checked.text and checked.non_answers


def _quote(text: str, heading: str, number: int):
    from assistant.extractive import extract_from_passage

    found = passage(number, text, heading)
    return found, extract_from_passage(found, [], "怎么做多任务微调？")


STEPS = ("**答案：** 多任务微调的具体步骤如下：\n1. **任务定义：** 确定多个任务及其输入输出格式。\n"
         "2. **共享参数：** 将多个任务的输入和输出映射到共享的模型参数上。\n"
         "3. **损失函数：** 定义一个多任务损失函数，结合各个任务的损失进行训练。\n"
         "4. **迭代训练：** 在多个任务上迭代训练模型，同时优化各个任务的损失。")


def test_the_quote_follows_the_section_the_answer_cites_and_is_not_repeated_under_it():
    """The answer cites passage [2] twice: the quote becomes [2]'s steps. The answer states one
    of the four: it is no list answer that stopped short, and the quote shown above it already
    gives the four steps, so they are not appended a second time."""
    from assistant.extractive_followup import complete_from_quote, quote_for_answer

    first, first_quote = _quote("多模态学习是指同时处理多种类型数据的机器学习方法。",
                                "什么是多模态学习？", 1)
    second, _ = _quote(STEPS, "如何进行多任务微调？", 2)
    answer = "多个任务共享模型参数[2]。这样一个模型就能同时服务几个任务[2]。"
    quoted = quote_for_answer(answer, [first, second], first_quote, [], "怎么做多任务微调？")
    assert quoted.citation.number == 2 and "任务定义" in quoted.text
    assert complete_from_quote(answer, quoted, "zh", "怎么做多任务微调？") == answer
    assert complete_from_quote(answer, quoted, "zh", "为什么要多任务微调？") == answer


def test_an_item_named_before_a_semicolon_is_not_appended_when_the_answer_states_it():
    """r47 dev4:c10: the answer's "**升维**：…拓宽网络通道" states the notes' "升维；用最少的参数
    拓宽网络通道…", and the item was appended again under "笔记中列出的其他要点"."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.extractive_followup import complete_from_quote
    from assistant.retrieval import Citation
    items = ["- 降维，减少计算量；在ResNet模块中先用1×1卷积降通道，再送入3×3卷积；",
             "- 升维；用最少的参数拓宽网络通道，通常在轻量级的网络中会用到，"
             "例如mobilenet、shufflenet等；",
             "- 实现跨通道的交互和信息整合，也就是通道间信息的线性组合变化；"]
    quoted = ExtractiveAnswer(Citation(1, 3, "cv.md", "1×1卷积", 110, 112, None),
                              tuple(QuotedLine(110 + i, t) for i, t in enumerate(items)),
                              "answer")
    answer = ("1×1 卷积的作用：\n1. **降维**：先用1×1卷积降通道，减少计算量[1]。\n"
              "2. **升维**：1×1 卷积可以拓宽网络通道[1]。\n"
              "3. **跨通道的交互**：实现通道间信息的线性组合变化[1]。")
    assert complete_from_quote(answer, quoted, "zh", "1×1 的卷积核有什么用？") == answer


def test_an_answer_naming_every_top_item_gets_no_nested_lines_appended():
    """r53 dev4:c22: the answer named the three ways (一对一，一对多，多对多); each way's nested
    description was appended under "笔记中列出的其他要点", without its name, though the quote
    above already showed them."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.extractive_followup import complete_from_quote
    from assistant.retrieval import Citation
    lines = ["* 一对一：", "  * 将N个类别两两配对，产生N(N-1)/2个二分类任务，投票产生结果。",
             "* 一对多：", "  * 每一次将一个例作为正例，其他的作为反例，训练N个分类器。",
             "* 多对多：", "  * 若干各类作为正类，若干个类作为反类。"]
    quoted = ExtractiveAnswer(Citation(1, 3, "lr.md", "9.逻辑回归如何进行多分类？", 145, 152, None),
                              tuple(QuotedLine(145 + i, t) for i, t in enumerate(lines)),
                              "answer")
    answer = "逻辑回归本身是二分类，碰到多个类别时有三种拆法：一对一，一对多，多对多[1]。"
    question = "逻辑回归本身是二分类，碰到多个类别时有哪几种拆法？"
    assert complete_from_quote(answer, quoted, "zh", question) == answer


def test_one_marker_on_another_section_does_not_move_the_quote():
    """Held out (dev5:c5): "CrossEntropyLoss 前面还要加 softmax 吗" quoted the line saying the
    loss already holds LogSoftmax; the model's one sentence citing the next section moved the
    quote to "Softmax 用作最后一层…通常和交叉熵配套使用", which does not answer."""
    from assistant.extractive_followup import quote_for_answer

    first, first_quote = _quote("**答案：** 多任务微调让多个任务共享一个模型的参数。",
                                "什么是多任务微调？", 1)
    second, _ = _quote(STEPS, "如何进行多任务微调？", 2)
    quoted = quote_for_answer("多个任务共享模型参数[2]。", [first, second], first_quote, [],
                              "怎么做多任务微调？")
    assert quoted is first_quote


def test_the_markers_do_not_move_a_quote_naming_the_question_to_lines_naming_less_of_it():
    """r81 dev3:c22: the quote answered ("prefer a stack of small filter CONV…"); the model's
    two sentences citing [2] moved it to [2]'s opening lines on local connectivity."""
    from assistant.budget import query_terms
    from assistant.extractive_followup import quote_for_answer

    question = "Why do CNNs stack several small filters instead of one large filter?"
    first, first_quote = _quote(
        "Prefer a stack of small filter CONV to one large receptive field CONV layer: three "
        "stacked 3x3 CONV layers have more non-linearities and fewer parameters than one 7x7.",
        "Layer Patterns", 1)
    second, _ = _quote(
        "We now discuss the details of the neuron connectivities, their arrangement in space, "
        "and their parameter sharing scheme. Each neuron connects to a local region only.",
        "Convolutional Layer", 2)
    answer = ("We now discuss the details of the neuron connectivities[2]. Each neuron connects "
              "to a local region only[2].")
    kept = quote_for_answer(answer, [first, second], first_quote, query_terms(question),
                            question)
    assert kept is first_quote
    moved = quote_for_answer(answer, [first, second], first_quote, [], question)
    assert moved.citation.number == 2  # no terms to weigh: the markers decide, as before


REGULARIZATION = ("**答案：** 正则化通过在损失函数中添加惩罚项，限制模型复杂度，防止过拟合。"
                  "常见方法有 L1、L2 范数惩罚和 Dropout。")
CLIPPING = ("**答案：** 梯度裁剪是一种限制梯度大小的方法，以避免梯度爆炸或消失。\n"
            "通过设置梯度裁剪阈值，可以将梯度大小限制在一个合理的范围内，有助于模型稳定收敛。")


@pytest.mark.parametrize("first_text, first_heading, moves", [
    (REGULARIZATION, "什么是正则化？", True), (CLIPPING, "梯度裁剪的作用", False)])
def test_when_nothing_passes_the_check_the_quote_is_the_section_the_removed_lines_lean_on(
        first_text, first_heading, moves):
    """The model's sentences about "梯度范数的上限" are removed (the notes never say 范数 or
    上限 for clipping), but they lean on the 梯度裁剪 passage: the notes' lines shown in their
    place are that section's, not those of passage [1] when [1] is another topic."""
    from assistant.extractive_followup import quote_leaned_on

    question = "为什么训练时要给梯度的范数设一个上限？"
    first, first_quote = _quote(first_text, first_heading, 1)
    second, _ = _quote(CLIPPING, "什么是梯度裁剪？", 2)
    checked = check_citations(
        "为了防止梯度爆炸，训练时需要给梯度的范数设一个上限。梯度范数的上限可以限制梯度的"
        "大小，使其在合理范围内变化，从而避免梯度爆炸[1]。", [first, second], BigramEmbedder(),
        question)
    assert not checked.text and checked.unsupported
    quoted = quote_leaned_on(checked.checks, [first, second], first_quote, [], question)
    assert (quoted.citation.number == 2) == moves and "梯度裁剪" in quoted.text


def test_an_answer_that_stops_one_item_short_gets_the_notes_last_item():
    from assistant.extractive_followup import complete_from_quote

    second, quoted = _quote(STEPS, "如何进行多任务微调？", 2)
    answer = ("1. 任务定义：确定多个任务及其输入输出格式[2]。\n"
              "2. 共享参数：将多个任务的输入和输出映射到共享的模型参数上[2]。\n"
              "3. 损失函数：定义一个多任务损失函数[2]。")
    completed = complete_from_quote(answer, quoted, "zh", "多任务微调有哪几个步骤？")
    assert completed.startswith(answer)
    assert completed[len(answer):].count("在多个任务上迭代训练模型") == 1
    assert "任务定义" not in completed[len(answer):]


class ConceptEmbedder:
    """Implements ``assistant.retrieval.Embedder``: one axis per concept, named by words in
    either language, so a Chinese and an English sentence about the same thing are close (as
    e5 makes them); text naming no concept lies on an axis of its own."""

    CONCEPTS = (("归一化", "标准化", "normaliz"), ("加速", "加快", "更快", "speed", "accelerat"),
                ("大型网络", "非常大的网络", "large network"), ("梯度", "gradient"))

    def _vector(self, text: str) -> np.ndarray:
        lowered = text.lower()
        vector = np.array([float(any(w in lowered for w in words)) for words in self.CONCEPTS]
                          + [0.0], dtype=np.float32)
        vector[-1] = 0.0 if vector.any() else 1.0
        return vector / np.linalg.norm(vector)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])


class BackgroundProfile:
    """The parts of ``LibraryProfile`` the checker reads: every term equally rare, and a
    background of sentences from elsewhere in the notes."""

    def __init__(self, embedder, sentences=("红烧肉要先炒糖色再加酱油炖一小时。",
                                            "Bake the bread for forty minutes.")):
        self.background = np.asarray(embedder.embed_passages(list(sentences)))

    def idf(self, term: str) -> float:
        return 1.0

    def frequency(self, term: str) -> int:
        return 1

    def background_in(self, language: str) -> np.ndarray:
        return self.background


VANISHING = ("梯度消失的原因受到多种因素影响，例如学习率的大小，网络参数的初始化，"
             "激活函数的边缘效应等。\n"
             "在深度网络中，梯度可在网络更新的过程中不断累积，变成非常大的梯度，导致网络权重值的大幅更新。")


def test_a_claim_whose_words_stand_in_different_sentences_of_its_passage_is_taken_out():
    from assistant.citations import support_matrix

    embedder = BigramEmbedder()
    notes = [passage(1, VANISHING, "为什么深层神经网络难以训练？")]
    question = "网络一深就很难训练，到底难在哪几个地方？"
    recombined = "激活函数的边缘效应会导致梯度在某些点变得非常大，从而导致梯度消失[1]。"
    said = "激活函数的边缘效应会导致梯度消失[1]。"
    profile = BackgroundProfile(embedder)
    row = support_matrix([recombined], notes, embedder, question, profile)[0]
    assert row[0].lexical >= 0.3 and row[0].cosine > row[0].background  # the weak path
    assert row[0].scattered and not row[0].supported
    checked = check_citations(recombined + said, notes, embedder, question, profile)
    assert checked.text == said and len(checked.unsupported) == 1


def test_a_chinese_claim_naming_what_its_passage_never_mentions_is_taken_out():
    embedder = BigramEmbedder()
    notes = [passage(1, "以前只对输入层数据进行归一化处理。在网络的中间层也进行归一化处理，"
                        "使训练效果更好的方法，就是批归一化。", "什么是批归一化")]
    question = "在网络中间层也做标准化，能带来哪些好处？"
    named = "通过在中间层进行归一化处理，可以防止训练过程中出现的 divergence 问题[1]。"
    glossed = "在中间层也进行归一化处理的方法就是批归一化（Batch Normalization）[1]。"
    checked = check_citations(named + glossed, notes, embedder, question,
                              BackgroundProfile(embedder))
    assert checked.text == glossed
    assert checked.unsupported == (named.replace("[1]", ""),)


def test_a_sentence_in_another_language_than_its_passage_is_not_taken_as_checked():
    """Across languages no word can match, and closeness in meaning alone does not tell the
    passage's point from one the model added: the sentence is taken out (the assistant asks a
    question in the notes' other language for the quote translated instead). The same point
    in the passage's own words stays."""
    embedder = ConceptEmbedder()
    notes = [passage(1, "批归一化在中间层进行归一化处理，使训练收敛加快。", "什么是批归一化"),
             passage(2, "红烧肉要先炒糖色再加酱油炖一小时。", "红烧肉")]
    english = "Normalizing the intermediate layers speeds up training[1]."
    checked = check_citations(english, notes, embedder, "what does batch norm do?",
                              BackgroundProfile(embedder))
    assert "[1]" not in checked.text
    assert checked.unsupported == ("Normalizing the intermediate layers speeds up training.",)
    chinese = "批归一化在中间层进行归一化处理，使训练收敛加快[1]。"
    checked = check_citations(chinese, notes, embedder, "批归一化有什么用？",
                              BackgroundProfile(embedder))
    assert checked.text == chinese and not checked.unsupported


def test_a_quote_drops_the_indent_a_book_opens_its_paragraphs_with_not_a_lists():
    from assistant.extractive import extract_from_passage

    text = ("### 3.1.5 为什么深层神经网络难以训练？\n1. 梯度消失\n"
            "    \t梯度消失是指通过隐藏层从后向前看，梯度会变的越来越小。\n"
            "\u200b\t梯度爆炸是指梯度在更新中不断累积，变成非常大的梯度。\n"
            "   - 子项：嵌套的列表项保留缩进。")
    found = extract_from_passage(passage(1, text, "3.1.5"), [], "深层网络为什么难以训练？")
    lines = {q.line: q.text for q in found.lines}
    assert lines[3].startswith("梯度消失是指") and lines[4].startswith("梯度爆炸是指")
    assert lines[5] == "   - 子项：嵌套的列表项保留缩进。"


def test_an_answer_that_goes_on_with_an_intro_and_a_list_is_quoted_with_them():
    from assistant.extractive import extract_from_passage

    text = ("#### 题目 7：什么是自监督学习？与预训练有什么区别？\n\n"
            "**答案：** 自监督学习是一种无监督学习方法，"
            "它利用数据中的结构化信息进行训练，无需标注数据。\n\n"
            "与预训练的主要区别在于：\n\n"
            "1. **数据类型：** 预训练使用大量未标注数据，而自监督学习使用大量无标注数据。\n"
            "2. **任务目标：** 预训练旨在学习通用的特征表示，"
            "而自监督学习旨在挖掘数据中的结构化信息。\n\n"
            "**解析：** 自监督学习是一种无需标注数据即可进行训练的方法。")
    found = extract_from_passage(passage(1, text, "题目 7"), [], "自监督和预训练到底有什么不一样")
    quoted = found.text
    assert "自监督学习是一种" in quoted and "区别在于" in quoted
    assert "任务目标" in quoted and "解析" not in quoted


def test_a_display_formula_copied_from_the_passage_stays_in_the_answer():
    notes = ("余弦衰减的更新机制如下式所示：\n$$\n"
             "cosine{\\_}decay=0.5*\\left( 1+cos\\left( \\pi* \\frac{global{\\_}step}"
             "{decay{\\_}steps}\\right)\\right)\n$$\n")
    formula = notes[notes.index("$$"):].strip()
    text = "学习率按余弦曲线下降，公式是：\n" + formula + "\n"
    checked = check_citations(text, [passage(1, notes, "余弦衰减")], BigramEmbedder(),
                              "学习率按余弦曲线往下降，公式是怎样的？")
    assert formula in checked.text, checked  # it was checked as supported, then dropped


def test_the_marker_of_a_display_formula_goes_on_the_line_introducing_it():
    """dev2:c11 (judges r19): the model wrote "资料[1]" under the formula; what was left, a
    "[1]" alone on a line under ``$$``, read as stray."""
    notes = ("余弦衰减的更新机制如下式所示：\n$$\n"
             "cosine{\\_}decay=0.5*\\left( 1+cos\\left( \\pi* \\frac{global{\\_}step}"
             "{decay{\\_}steps}\\right)\\right)\n$$\n")
    formula = notes[notes.index("$$"):].strip()
    for below in ("资料[1]", "[1]"):
        text = "学习率按余弦曲线往下降，公式是：\n" + formula + "\n" + below
        checked = check_citations(text, [passage(1, notes, "余弦衰减")], BigramEmbedder(),
                                  "学习率按余弦曲线往下降，公式是怎样的？")
        assert checked.text.startswith("学习率按余弦曲线往下降，公式是[1]：\n$$"), checked.text
        assert checked.text.endswith(formula), checked.text


def test_an_answer_relying_on_the_second_half_of_a_split_section_quotes_its_answer_block():
    from assistant.extractive_followup import quote_for_answer

    first, first_quote = _quote("**答案：** 迁移学习是把一个任务上学到的知识用于另一个任务。",
                                "题目 6：什么是迁移学习？", 1)
    heading = "9. 什么是迁移学习？如何实现？"
    answer_half = passage(2, "**答案：** 迁移学习是一种利用预训练模型的方法。\n\n实现步骤：\n"
                          "1. 选择预训练模型。\n2. 冻结底层，训练新加的顶层。\n3. 在新数据上微调。",
                          heading, start_line=243)
    code_half = passage(3, "```python\nmodel.fit(x, y)\n```\n\n"
                        "**解析：** 迁移学习可以减少新任务所需的数据。", heading, start_line=252)
    answer = ("Transfer learning reuses a pre-trained model[2]. It fine-tunes on new data[3]. "
              "It needs less data[3].")
    question = "what is transfer learning and how do you implement it?"
    quoted = quote_for_answer(answer, [first, answer_half, code_half], first_quote, [],
                              question)
    assert quoted.citation.number == 2 and "冻结底层" in quoted.text


def test_an_intro_whose_list_was_taken_out_is_not_left_dangling_at_the_end():
    text = ("通过设置梯度裁剪阈值，可以将梯度大小限制在一个合理的范围内[1]。\n实现步骤：\n"
            "1. 用红烧肉的做法先炒糖色[1]。\n2. 再加酱油炖一小时[1]。")
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "梯度裁剪怎么做？")
    assert "红烧肉" not in checked.text and "炖" not in checked.text
    assert checked.text.rstrip().endswith("[1]。"), checked.text


def test_a_lone_numbered_item_and_a_line_leading_into_a_hidden_figure_are_not_shown_as_such():
    """Judges r13: sample:c7 kept "区别在于：\\n1. 任务目标：…" with its second item taken out (a
    list cut short); dev2:c0 kept "下图是不同隐含层的学习速率[1]：" for a picture the chat never
    shows."""
    notes = passage(1, "1. 梯度消失\n"
                       "梯度消失是指梯度会变的越来越小，前面层的学习会显著慢于后面层的学习。\n"
                       "下图是不同隐含层的学习速率：\n![](img/rate.png)",
                    "为什么深层神经网络难以训练？")
    checked = check_citations(
        "1. 梯度消失\n梯度消失是指梯度会变的越来越小，前面层的学习显著慢于后面层[1]。\n"
        "下图是不同隐含层的学习速率[1]：",
        [notes], BigramEmbedder(), "网络一深就很难训练，难在哪？")
    assert checked.text.startswith("梯度消失\n梯度消失是指")
    assert "下图" not in checked.text and any("下图" in s for s in checked.non_answers)


def test_a_textbook_directive_line_is_never_the_quote():
    """A d2l section opens with ``:label:`sec_dropout```: markup, not an answer (a Chinese
    question over the dev2 library was once shown that line as its notes' answer)."""
    text = ("# Dropout\n:label:`sec_dropout`\n\n"
            "Let's think briefly about what we expect from a good predictive model.\n"
            "We want it to perform well on unseen data.\n")
    quoted = extract_answer("为什么要用 dropout？", [passage(1, text, "Dropout", 6)])
    assert quoted is not None and ":label:" not in quoted.text
    assert quoted.text.startswith("Let's think briefly")


def test_a_figure_written_in_html_is_not_quoted_only_its_caption():
    """CS231n's notes embed figures as HTML (dev3): a quote began with ``<div class="fig ...">``
    and ``<img src=...>`` lines, raw markup before the caption that answers."""
    text = ("# Loss function\n\nBelow is a cartoon diagram of the loss over time:\n\n"
            '<div class="fig figcenter fighighlight">\n<img src="/assets/nn3/loss.jpeg" '
            'width="49%">\n<div class="figcaption">\n'
            "<b>Left:</b> With low learning rates the improvements will be linear. With high "
            "learning rates the loss will look more exponential.\n</div>\n</div>\n")
    quoted = extract_answer("what does a learning rate that is too high do to the loss?",
                            [passage(1, text, "Loss function", 104)])
    assert quoted is not None and "<img" not in quoted.text and "<div" not in quoted.text
    assert "With high learning rates" in quoted.text


def test_a_quote_of_a_textbook_paragraph_ends_at_the_end_of_a_sentence():
    """d2l writes one clause a line; a quote cut at its line limit ended "Simplicity can come
    in the form", which the model's translation then finished by itself. The line cap now
    lets a sentence end; the quote ended at the sentence before until session 37."""
    text = ("# Dropout\n\nLet's think briefly about what we\nexpect from a good predictive model.\n"
            "We want it to peform well on unseen data.\nClassical generalization theory\n"
            "suggests that to close the gap between\ntrain and test performance,\n"
            "we should aim for a simple model.\nSimplicity can come in the form\n"
            "of a small number of dimensions.\n")
    quoted = extract_answer("why does dropout help?", [passage(1, text, "Dropout", 1)])
    assert quoted is not None and quoted.text.endswith("of a small number of dimensions.")


def test_a_list_the_quote_begins_is_quoted_to_its_last_item():
    """A list of seven bold-named items, a blank line between each (the sample notes' data
    augmentation answer): the quote used to count the blank lines and stop after item 5, so a
    student read five tricks as the notes' whole answer."""
    items = [f"**{n}. 方法{n}（Method {n}）：** 对图像做第{n}种随机变换，增加数据多样性。"
             for n in range(1, 8)]
    text = "### 10. 数据增强\n\n**答案：**\n\n常见的数据增强方法：\n\n" + "\n\n".join(items) + \
        "\n\n**解析：**\n\n数据增强提高泛化能力。\n"
    quoted = extract_answer("常用的数据增强方法有哪些？", [passage(1, text, "10. 数据增强", 305)])
    assert quoted is not None
    assert [line.text for line in quoted.lines][-1] == items[-1]
    assert "解析" not in quoted.text


def test_a_quoted_list_stops_at_a_part_the_question_does_not_ask_for():
    """A sample-notes answer: a line, its "基本原理" with the three gates nested under it, then
    its "应用" with uses nested under that. Asked what the gates do, the quote is the gates;
    asked what it is used for, the uses come too."""
    text = ("### 21. LSTM\n\n**答案：** LSTM 是一种特殊的循环神经网络。\n\n"
            "- **基本原理：** LSTM 通过门控机制控制信息流。\n\n"
            "  - **输入门：** 控制当前输入的影响。\n  - **遗忘门：** 控制旧信息的遗忘。\n"
            "  - **输出门：** 控制信息的输出。\n\n"
            "- **应用：** LSTM 在序列数据中有广泛的应用，包括：\n\n"
            "  - **语音识别：** 识别语音信号。\n  - **股票预测：** 预测股票价格。\n")
    gates = extract_answer("LSTM 的三个门分别管什么？", [passage(1, text, "21. LSTM", 290)])
    assert gates is not None and "输出门" in gates.text and "应用" not in gates.text
    uses = extract_answer("LSTM 能用来做什么？", [passage(1, text, "21. LSTM", 290)])
    assert uses is not None and "股票预测" in uses.text


def test_a_sentence_written_one_clause_a_line_reaches_the_translator_as_one_line():
    """r45 dev2:c43: d2l's "On the left," / "the portion within the dotted-line box" / … were
    translated line by line, and the student read fragments each with its own marker."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.quote_translation import translation_messages
    from assistant.retrieval import Citation
    texts = ["On the left,", "the portion within the dotted-line box",
             "must directly learn $f(\\mathbf{x})$.", "- Residual blocks are easy to train."]
    quote = ExtractiveAnswer(Citation(1, 7, "resnet.md", "ResNet", 96, 99, None),
                             tuple(QuotedLine(96 + i, t) for i, t in enumerate(texts)), "passage")
    passage_text = translation_messages(quote, "zh")[-1].content
    assert "On the left, the portion within the dotted-line box must directly learn" \
        in passage_text
    assert "\n- Residual blocks are easy to train." in passage_text


def test_a_question_in_the_other_language_is_quoted_by_its_translation():
    """A Chinese question over an English section: its terms name nothing there, so the quote
    fell on the first paragraph (dev5: "Unroll the loop in time" for why an RNN's gradients
    vanish); the translation the search made finds the lines that answer."""
    from assistant.explain import asked_in_notes_language, quote_among

    text = ("# Recurrent networks\n\nUnroll the loop in time. The input is a sequence x_1 ... "
            "x_T.\n\nOn long sequences the gradients vanish or explode, because backpropagation "
            "multiplies by the same weight matrix at every step. Gradient clipping and LSTM "
            "gates mitigate it.\n")
    passages = [passage(1, text, "Recurrent networks", 36)]
    question = "普通的循环神经网络为什么在长序列上容易梯度消失？"
    translations = {"en": "Why do plain RNNs suffer from vanishing gradients on long sequences?"}
    asked = asked_in_notes_language(question, translations, passages)
    assert asked == translations["en"]
    assert asked_in_notes_language(question, {}, passages) == question
    before = quote_among(None, passages, question, query_terms(question))
    after = quote_among(None, passages, asked, query_terms(asked))
    assert before.text.startswith("Unroll the loop")
    assert "gradients vanish" in after.text


def test_a_paragraph_that_introduces_a_formula_is_quoted_with_it():
    """A textbook paragraph that ends "as follows:" answers nothing by itself (dev3, dev5 judges:
    lead-ins quoted instead of what they introduce)."""
    text = ("# Convolution\n\nThe output size depends on the input size, the kernel, the padding "
            "and the stride, as follows:\n\n$$\no = \\lfloor (n + 2p - k) / s \\rfloor + 1\n$$\n\n"
            "Other remarks on convolution come later.\n")
    quoted = extract_answer("how do I get the output size from the kernel, padding and stride?",
                            [passage(1, text, "Convolution", 1)])
    assert quoted is not None and "lfloor" in quoted.text



def test_a_paragraph_is_chosen_with_the_list_it_introduces():
    """dev6:c20 (the judge of r35): in a long section, the paragraph naming LSTM tied with the
    one that introduces the gates' list, and the first won; counted with its list, the second
    wins."""
    text = ("## LSTM\n\nPlain RNNs struggle to carry an early input to a late output, so "
            "architectures with gates were proposed: the LSTM and the GRU.\n\n"
            "An LSTM cell passes a state from step to step and controls it with gates. There "
            "are the following gates:\n\n"
            "* The forget gate decides which components of the state to drop.\n"
            "* The input gate writes new information into the state.\n"
            "* The output gate selects what the cell outputs.\n\n"
            "Components of the state can be thought of as flags that are switched on and off. "
            "When a name such as Alice appears in the sequence, a flag may record that the "
            "sentence has a female character; when the phrase and Tom follows, another flag may "
            "record a plural noun. By manipulating the state in this way the network can keep "
            "track of grammatical properties of the parts of a sentence over many steps, which "
            "a plain recurrent network forgets after a few.\n\n"
            "A well-known article explains the internals of these cells with diagrams, step by "
            "step, and is a good companion to this section.\n")
    quoted = extract_answer("What do the forget gate, input gate and output gate of an LSTM do?",
                            [passage(1, text, "LSTM", 1)])
    assert quoted is not None and "forget gate decides" in quoted.text


MSE = ("回归问题通常用均方差损失函数，可以保证损失函数是个凸函数，即可以得到最优解。"
       "而分类问题如果用均方差的话，损失函数的表现不是凸函数，就很难得到最优解。"
       "而交叉熵函数可以保证区间内单调。")


def test_a_claim_negating_what_its_passage_states_is_taken_out():
    """dev5:c3 (judged a bad citation in session 21): the passage says cross-entropy keeps the
    loss monotonic; "MSE cannot" is the model's, written with the passage's own words."""
    mse = [passage(1, MSE, "为什么不能使用均方差做为分类问题的损失函数？")]
    question = "做分类的时候为什么一般不用均方误差当损失，而要用交叉熵？"
    turned = check_citations("均方误差不能保证区间内单调，而交叉熵函数可以保证区间内单调[1]。",
                             mse, BigramEmbedder(), question)
    stated = check_citations("分类问题用均方差时，损失函数不是凸函数，很难得到最优解[1]。",
                             mse, BigramEmbedder(), question)
    assert turned.unsupported and "单调" not in turned.text
    assert not stated.unsupported and "凸函数" in stated.text


DECAY = ("5、**cosine_decay**\n\n```python\ncosine_decay(learning_rate, global_step, decay_steps, "
         "alpha=0.0, name=None)\n```\n\n余弦衰减，即按余弦函数的方式衰减学习率，如图")


class RareNames:
    """The part of ``LibraryProfile`` the checker reads: the code's names are rare in a
    library (idf 4), its Chinese words common (1); no background sentences."""

    background = ()

    @staticmethod
    def idf(term: str) -> float:
        return 4.0 if term.isascii() else 1.0

    @staticmethod
    def frequency(term: str) -> int:
        return 1


def test_a_chinese_gloss_of_names_only_the_passage_code_has_is_taken_out():
    """dev2:c11 (judged a bad citation in session 21): the passage only lists the function's
    arguments; what each one means is the model's."""
    decay = [passage(1, DECAY, "学习率调整策略有哪些？")]
    question = "学习率按余弦曲线往下降，公式是怎样的？"
    glossed = check_citations(
        "其中，`global_step`是当前的全局步数，`decay_steps`是衰减的步数，`alpha`是衰减的参数[1]。",
        decay, BigramEmbedder(), question, RareNames())
    named = check_citations("cosine_decay 按余弦函数的方式衰减学习率[1]。",
                            decay, BigramEmbedder(), question, RareNames())
    assert glossed.unsupported and "全局步数" not in glossed.text
    assert not named.unsupported and "cosine_decay" in named.text


ADAM = ("- $\\eta$ - 全局学习率，建议缺省值为0.001\n"
        "- $\\epsilon$ - 用于数值稳定的小常数，建议缺省值为1e-8\n"
        "- $\\beta_1, \\beta_2$ - 矩估计的指数衰减速率，$\\in[0,1)$，建议缺省值分别为0.9和0.999")


@pytest.mark.parametrize(("claim", "kept"), [
    ("β1 和 β2 的默认一般取 0.9 和 0.999[1]。", True),  # its only own words are its numbers
    ("β1、β2 的建议缺省值分别为 0.5 和 0.99[1]。", False),  # the passage's words, other numbers
    ("ε 的建议缺省值为 10^-8[1]。", True),  # the notes' 1e-8, written otherwise
    ("β1 默认取 0.999，β2 默认取 0.9[1]。", False),  # swapped
])
def test_a_claim_is_checked_by_the_numbers_it_states(claim, kept):
    """dev6:c28 / dev5:c13 (true sentences removed, judged in sessions 21 and 23): asked for
    the defaults, the answer's only own words are its numbers, which the passage states. Numbers
    are compared by value and in the passage's order (the review of a first, string-matching
    version: review_s23.md)."""
    adam = [passage(1, ADAM, "Adam - Adaptive Moment Estimation")]
    checked = check_citations(claim, adam, BigramEmbedder(), "Adam 的 ε、β1、β2 默认一般取多少？")
    assert (not checked.unsupported) == kept
    assert (claim.split("[")[0] in checked.text) == kept


BIDIRECTIONAL = ("- 对于正向循环的最后一个时间步来说，$s1$ 是最后一个时间步的隐层值；\n"
                 "- 对于逆向循环的最后一个时间步来说，$s2$ 是最后一个时间步的隐层值；\n"
                 "- 然后 $s1$ 和 $s2$ 拼接得到 $s$，再通过与权重矩阵 $V$ 相乘得出输出。")
ELSEWHERE = ("卷积层通过共享权重减少参数，池化层降低特征图的分辨率。",
             "梯度消失是指反向传播时梯度逐层变小，前面的层几乎得不到更新。",
             "过拟合时模型在训练集上表现好，在测试集上表现差，可以用正则化缓解。")


def profile_of_notes(notes: list[Passage]):
    """A ``LibraryProfile`` of ``notes`` and three other sections (term frequencies; no
    background sentences, so only the lexical path supports)."""
    from assistant.library_profile import LibraryProfile, document_frequency

    library = [p.hit.chunk for p in notes] + [passage(k, text).hit.chunk for k, text
                                              in enumerate(ELSEWHERE, start=len(notes) + 1)]
    return LibraryProfile("notes", len(library), document_frequency(library), (), (),
                          np.zeros((0, BigramEmbedder.dim), np.float32))


@pytest.mark.parametrize(("claim", "kept"), [
    ("正向和反向两个隐状态最后是通过将它们拼接得到的[1]。", True),  # 过将, 将它, 们拼: seams
    ("正向和反向两个隐状态最后是通过将它们相加得到的[1]。", False),  # 相加: the claim's own word
])
def test_a_chinese_claim_is_weighed_by_its_words_not_the_seams_between_them(claim, kept):
    """dev6:c44 (a true sentence removed, judged in session 23): the bigrams across the
    claim's word boundaries, which no note writes, outweighed the one word it adds (拼接)."""
    notes = [passage(1, BIDIRECTIONAL, "双向循环神经网络")]
    profile = profile_of_notes(notes)
    question = "双向 RNN 适合用在什么场景？正向和反向两个隐状态最后是怎么合在一起的？"
    checked = check_citations(claim, notes, BigramEmbedder(), question, profile)
    assert (not checked.unsupported) == kept


GRAPH = ("**答案：** 知识图谱是一种表示实体及其关系的图结构。\n"
         "- **应用：** 知识图谱在信息检索中的应用包括：\n"
         "  - **实体识别：** 识别文本中的人名、地名等实体。\n"
         "  - **关系抽取：** 抽取文本中实体之间的关系，构建实体图谱。")
NEURAL_GRAPHS = "图神经网络的应用包括节点分类、图分类和图生成。"


@pytest.mark.parametrize(("claim", "kept"), [
    ("知识图谱可以用于识别文本中的实体、抽取文本中实体之间的关系、构建实体图谱[1]。", True),
    ("知识图谱可以用于识别文本中的实体、抽取文本中实体之间的关系、构建实体图谱、图分类[1]。",
     False),  # most of its words are the passage's; 图分类 is the other section's
])
def test_a_list_naming_items_its_passage_never_mentions_is_taken_out(claim, kept):
    """sample:c52 (judged in session 24): most of the list is the cited passage's, so its
    share of the claim's words passed; half of its items are another section's."""
    notes = [passage(1, GRAPH, "什么是知识图谱"), passage(2, NEURAL_GRAPHS, "什么是图神经网络")]
    checked = check_citations(claim, notes, BigramEmbedder(), "知识图谱在信息检索中有哪些应用？",
                              profile_of_notes(notes))
    assert (not checked.unsupported) == kept


def test_a_long_sections_quote_comes_from_its_chunk_the_search_ranks_first():
    """dev6:c24: the section 常用激活函数 came in three chunks in reading order and its first, on
    the sigmoid, was quoted ("也就是常说的 Sigmoid 函数") though the search ranked the one on tanh
    first; scored against annotated answer lines, the chunk ranked first holds them more often
    (benchmarks.quote_lines)."""
    from assistant.explain import quote_of

    heading = "常用激活函数"
    sigmoid = passage(1, "- Sigmoid 函数\n对数几率函数，也就是常说的 Sigmoid 函数。\n缺点：\n"
                         "指数计算代价大。", heading, start_line=182)
    tanh = passage(2, "- Tanh 函数\n优点：\n比起 Sigmoid，Tanh 本身是零均值的，输入数据的均值"
                      "不会改变，所以往往比 Sigmoid 好。\n缺点：\n梯度消失问题仍然存在。",
                   heading, start_line=218)
    chosen = [Hit(sigmoid.hit.chunk, 0.57), Hit(tanh.hit.chunk, 1.0)]
    question = "tanh 和 sigmoid 长得差不多，那 tanh 到底好在哪？"
    quoted = quote_of(question, query_terms(question), chosen)
    assert quoted is not None and quoted.citation.number == 2 and "零均值" in quoted.text


def test_a_question_in_words_is_not_quoted_a_block_of_code():
    """dev2:c68: a chunk of TensorFlow calls was quoted for how a step-wise scheduler lowers
    the learning rate; the code names the question's words more often than the prose does."""
    text = ("## Factor scheduler\n\n```python\nscheduler = FactorScheduler(step=10, factor=0.5)\n"
            "lr = scheduler(epoch)  # factor scheduler lowers the learning rate\n```\n\n"
            "A factor scheduler multiplies the learning rate by a factor every few epochs.\n")
    quoted = extract_answer("how does a factor scheduler lower the learning rate?",
                            [passage(1, text, "Factor scheduler", 1)])
    assert quoted is not None and "```" not in quoted.text and "multiplies" in quoted.text


CONVOLUTION = (
    "## 卷积与互相关\n\n"
    "其中 $\\otimes$ 表示互相关运算，$*$ 表示卷积运算，rot180 表示把卷积核旋转 180 度。"
    "从上式可以看出，"
    "互相关和卷积的区别仅仅在于卷积核是否进行翻转，因此互相关也可以称为不翻转卷积。\n\n"
    "在神经网络中使用卷积是为了进行特征抽取，卷积核是否进行翻转和其特征抽取的能力无关，"
    "因此卷积和互相关在能力上是等价的。事实上，很多深度学习工具中卷积操作其实都是互相关操作。\n\n"
    "填充（padding）是在输入四周补零，使输出尺寸不因卷积而缩小。\n\n"
    "步幅（stride）是卷积核每次滑动的距离，步幅越大输出越小。\n\n"
    "多通道输入时，每个输入通道各有一个二维卷积核，结果相加得到一个输出通道。\n\n"
    "1×1 卷积不看相邻像素，只在通道之间做线性组合，常用来调整通道数。\n\n"
    "池化层没有参数，最大池化取窗口内的最大值。\n\n"
    "平均池化取窗口内的平均值，输出更平滑。\n\n"
    "感受野是输出上一个点在输入上能看到的区域，层数越深感受野越大。\n")


def test_a_long_sections_paragraph_is_the_one_closest_to_the_question(sample_library):
    """dev5:c9 (a paraphrase): the paragraph defining both operations names most of the
    question's terms; the real e5 puts the one saying what frameworks do closest to it.

    Whether the defining paragraph joins it for the second part ("它和互相关是一回事吗？",
    ``with_asked_parts``) is decided by a cosine margin under 0.01 that moves with the batch
    the paragraphs are embedded in (int8 activations are quantized per batch); the blind
    annotation (answer_lines/dev5.jsonl, dev5:c9) counts that paragraph as answering the
    part, so either quote is right and this test does not pin it."""
    question = "卷积层在框架里真的会把卷积核翻转吗？它和互相关是一回事吗？"
    notes = passage(1, CONVOLUTION, "卷积与互相关", 1)
    by_terms = extract_from_passage(notes, query_terms(question), question)
    closest = extract_from_passage(notes, query_terms(question), question,
                                   sample_library.embedder)
    assert by_terms is not None and "不翻转卷积" in by_terms.text
    assert "深度学习工具中卷积操作其实都是互相关操作" not in by_terms.text
    assert closest is not None and "深度学习工具中卷积操作其实都是互相关操作" in closest.text


WORD2VEC = ("## 文本表示\n\n"
            "词袋模型把文本看成词的集合，忽略词序。\n\n"
            "TF-IDF 用词频乘逆文档频率给词加权。\n\n"
            "主题模型从文档集合中找出有代表性的主题。\n\n"
            "**Q5：Word2Vec 模型为什么要进行负采样？**\n\n"
            "> A：因为负样本的数量很庞大，每次都更新所有词的输出向量太慢。\n\n"
            "Word2Vec 有 CBOW 和 Skip-gram 两种结构。\n\n"
            "GloVe 基于全局的词共现矩阵训练词向量。\n\n"
            "ELMo 用双向语言模型得到随上下文变化的词向量。\n\n"
            "下表对比了几种词向量：\n\n"
            "| 模型 | 上下文相关 |\n| --- | --- |\n| Word2Vec | 否 |\n| ELMo | 是 |\n")


def test_a_question_line_in_the_notes_is_quoted_with_its_answer_and_a_table_with_its_intro():
    """dev4:c21 quoted "**Q5：Word2Vec模型为什么要进行负采样？**" alone, dev4:c31 "下表简单对比…的
    区别：" without the table: a restated question and a lead-in answer nothing."""
    notes = passage(1, WORD2VEC, "文本表示", 1)
    question = "Word2Vec 训练时为什么要做负采样？"
    quoted = extract_from_passage(notes, query_terms(question), question)
    assert quoted is not None and "负样本的数量很庞大" in quoted.text
    question = "几种词向量哪些和上下文相关？对比表怎么看"
    quoted = extract_from_passage(notes, query_terms(question), question)
    assert quoted is not None and "| ELMo | 是 |" in quoted.text


def test_the_paragraph_after_the_closest_joins_the_quote_only_when_it_goes_on_answering():
    question = "How does RMSprop change the Adagrad update?"
    opening = "RMSprop adjusts the Adagrad update in a simple way."
    rest = "RMSprop keeps a leaky average of squared gradients, so the Adagrad update goes on."
    unrelated = "Sparse initialization connects every neuron to ten neurons below it at random."
    padding = "Other remarks on training. " * 120  # a long section: its best paragraph is quoted
    text = "\n\n".join(["Weights start small.", opening, rest, padding])
    quoted = extract_from_passage(passage(1, text, "RMSprop"), query_terms(question), question,
                                  BigramEmbedder())
    assert [q.text for q in quoted.lines] == [opening, rest]
    text = "\n\n".join(["Weights start small.", opening, unrelated, padding])
    quoted = extract_from_passage(passage(1, text, "RMSprop"), query_terms(question), question,
                                  BigramEmbedder())
    assert [q.text for q in quoted.lines] == [opening]


def test_a_list_item_that_repeats_the_quote_goes_and_the_items_after_it_are_renumbered():
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.extractive_followup import without_quote_copies

    max_gate = ("the max gate distributes the gradient (unchanged) to exactly one of its inputs "
                "(the input that had the highest value during the forward pass).")
    quote = ExtractiveAnswer(None, (QuotedLine(263, "Unlike the add gate, " + max_gate),),
                             "passage")
    text = ("The gates pass the gradient as follows[1]:\n"
            "1. The add gate gives every input the gradient unchanged[1].\n"
            "2. The max gate distributes the gradient (unchanged) to exactly one of its inputs "
            "(the input that had the highest value during the forward pass)[1].\n"
            "3. The multiply gate multiplies it by the other input's value[1].")  # r44 dev3:c18
    assert without_quote_copies(text, quote).split("\n")[1:] == [
        "1. The add gate gives every input the gradient unchanged[1].",
        "2. The multiply gate multiplies it by the other input's value[1]."]


def test_a_lead_in_to_a_formula_the_quote_already_shows_goes_with_the_formula():
    """r63 dev7:c26: the explanation's softmax formula copied the quote's and went, and the
    student read "softmax 回归的计算公式如下[5]：" over the line after it."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.extractive_followup import without_quote_copies
    from assistant.retrieval import Citation

    formula = ["$$", r"y_i=soft\max \left( x_i \right) =\frac{e^{x_i}}{\sum_{j=1}^k{e^{x_j}}}",
               "$$"]
    lines = ["softmax 函数一般用于多分类问题中，它是对逻辑斯蒂（logistic）回归的一种推广。", "",
             *formula]
    citation = Citation(1, 12, "/notes/Activation_Function.md", "softmax", 283, 287)
    quote = ExtractiveAnswer(citation, tuple(QuotedLine(283 + i, text)
                                             for i, text in enumerate(lines) if text), "passage")
    text = "\n".join(["当类别数 $k=2$ 时，softmax 回归退化为逻辑回归[1]。", "",
                      "softmax 回归的计算公式如下[5]：", *formula,
                      "其中，$x_i$ 是输入数据，$y_i$ 是第 $i$ 个类别的概率[5]。"])
    assert without_quote_copies(text, quote).split("\n") == [
        "当类别数 $k=2$ 时，softmax 回归退化为逻辑回归[1]。", "",
        "其中，$x_i$ 是输入数据，$y_i$ 是第 $i$ 个类别的概率[5]。"]


def test_a_quoted_answer_puts_no_marker_inside_a_list_items_code_and_closes_a_cut_block():
    from assistant.explain import quoted_answer
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.retrieval import Citation

    lines = ["- Adam puts RMSprop and momentum together!", "- Pseudo code:", "  ```",
             "  vdW = 0, vdW = 0", "  on iteration t:"]  # r43 dev3:c35, cut inside the block
    citation = Citation(1, 7, "/notes/c2.md", "Adam", 536, 568)
    quote = ExtractiveAnswer(citation, tuple(QuotedLine(536 + i, text)
                                             for i, text in enumerate(lines)), "answer")
    assert quoted_answer(quote).split("\n") == [
        "- Adam puts RMSprop and momentum together[1]!", "- Pseudo code[1]:", "  ```",
        "  vdW = 0, vdW = 0", "  on iteration t:", "  ```"]


def test_a_quoted_answer_of_hard_wrapped_lines_cites_where_each_sentence_ends():
    """data-science-question-answer_README.md:318-321 (r64 dev7:c22): bullets wrapped mid-
    sentence; Markdown joins the lines, and a marker at each line's end stood mid-sentence
    ("…using certain[2] distance metric")."""
    from assistant.explain import quoted_answer
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.retrieval import Citation

    lines = ["* Given a data point, we compute the K nearest data points (neighbors) using certain",
             "distance metric (e.g., Euclidean metric). For classification, we take the majority "
             "label",
             "of neighbors; for regression, we take the mean of the label values.",
             "* Note for KNN we don't train a model; we simply compute during",
             "inference time."]
    citation = Citation(2, 40, "/notes/README.md", "KNN", 316, 331)
    quote = ExtractiveAnswer(citation, tuple(QuotedLine(318 + i, text)
                                             for i, text in enumerate(lines)), "passage")
    shown = quoted_answer(quote).split("\n")
    assert [line.endswith(("[2].", "[2]")) for line in shown] == [False, False, True, False, True]
    assert shown[0] == lines[0] and shown[3] == lines[3]


def test_a_why_and_what_to_do_question_is_quoted_the_reasons_list_before_the_fixes():
    """object-detection.md:839-848 (r47 dev4:c18): the section lists the reasons under one
    bold lead-in and the fixes under the next. "…为什么…，有哪些改进思路？" was quoted the fixes
    only, whose "对于第二类问题" pointed at reasons the student never saw. A question that does
    not ask why still gets the fixes alone."""
    text = "\n".join([
        "#### （5）小目标不好检测，有试过其他的方法吗？", "",
        "**小目标不好检测的两大原因：**",
        "  1. 数据集中包含小目标的图片比较少，模型偏向大目标。",
        "  2. 小目标的面积太小，包含目标的anchor比较少。", "",
        "**改进方法：**",
        "1. 对于小目标图片较少的情况，使用过度采样的方式。",
        "2. 对于第二类问题，将小物体在图片中复制多份。",
        "3. 使用FPN（低层检测小目标）；"])
    why = "小目标为什么特别难检测，有哪些改进思路？"
    quoted = extract_from_passage(passage(1, text, "小目标"), query_terms(why), why)
    assert "模型偏向大目标" in quoted.text and "复制多份" in quoted.text
    how = "小目标检测有哪些改进思路？"
    quoted = extract_from_passage(passage(1, text, "小目标"), query_terms(how), how)
    assert "复制多份" in quoted.text and "模型偏向大目标" not in quoted.text


def test_a_translated_quotes_formula_is_copied_whole_with_its_marker_on_the_line_before():
    """r48 dev6:c7: the model wrote the notes' ``$$`` cases as ``\\[ … \\]``. Read line by
    line, every line of the formula got a "[1]", and "t \\in [2,4]" lost its interval as a
    marker. The formula is now copied as written (as ``$$``), and the sentence leading into it
    cites; before, a formula line could even be dropped as "not in the question's language"
    (r44 dev3:c31 lost its L1 formula)."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.quote_translation import checked_translation
    from assistant.retrieval import Citation
    source = ["第二种结构，$c$只作为初始状态传入解码器，即：", "$$", "\\begin{cases}",
              "y_t = f(y_{t-1}, h^\\prime_{t-1}), t \\in [2,4]", "\\end{cases}", "$$"]
    quote = ExtractiveAnswer(Citation(1, 7, "seq2seq.md", "解码过程", 109, 116, None),
                             tuple(QuotedLine(109 + i, t) for i, t in enumerate(source)),
                             "answer")
    reply = ("In the second structure, $c$ is only the decoder's initial state, i.e.:\n\\[\n"
             "\\begin{cases}\ny_t = f(y_{t-1}, h^\\prime_{t-1}), t \\in [2,4]\n\\end{cases}\n\\]")
    text, dropped = checked_translation(reply, quote, "en")
    assert text == ("In the second structure, $c$ is only the decoder's initial state, i.e.[1]:"
                    "\n$$\n\\begin{cases}\ny_t = f(y_{t-1}, h^\\prime_{t-1}), t \\in [2,4]\n"
                    "\\end{cases}\n$$"), text
    assert dropped == ()
    # a formula the quote does not hold is not the notes' (the review of session 38), and a
    # one-line formula does not leave the lines after it unchecked
    wrong = ("The derivative of sigmoid:\n$$f'(x) = 1 - f(x)^2$$\n"
             "It also converges faster with AdamW and LAMB.")
    text, dropped = checked_translation(wrong, quote, "en")
    assert "1 - f(x)^2" not in text and "AdamW" not in text, text


def test_a_loose_list_whose_item_holds_items_is_quoted_with_them():
    """2.5-深度神经网络.md:151-158 (r48 dev6:c26): item 2 ends "会带来两个问题：" and its a. and b.
    are the two problems γ and β solve. Taken for a section's outline, the quote showed each
    top item's line only, and item 3's "这就解决了问题a…问题b" pointed at problems never shown."""
    text = "\n".join([
        "### 2.5.3 批量归一化", "",
        "深度神经网络随着网络深度加深，训练起来越困难，收敛越来越慢。" * 4, "",
        "BN使得每一层神经网络的输入保持相同的分布，把输入正则化成N(0,1)的分布。" * 4, "",
        "具体的数据处理过程如图 2.5.2 所示。", "",
        "1. 数据在网络的某一层会发生Internal Covariate Shift，导致数据处于激活函数的饱和区；",
        "2. 经过均值为0、方差为1的变换后，位移到了0点附近。但是只做到这一步的话，会带来两个问题：",
        "   ", "   a. 在[-1,1]这个区域，Sigmoid激活函数是近似线性的，失去非线性的作用；", "   ",
        "   b. 如果把样本点强行向中间集中，那么前面学习到的成果就会被破坏；", "",
        "3. 经过γ,β的线性变换后，把数据区域拉宽，这就解决了问题a；"
        "以前学到的成果也会保持，这就解决了问题b。",
        "", "在实际的工程中，我们把BN当作一个层来看待。"])
    question = "BN 已经把每层输入标准化成均值 0、方差 1 了，为什么后面还要再学一个 γ 和 β？"
    quoted = extract_from_passage(passage(1, text, "批量归一化"), query_terms(question), question)
    assert "失去非线性的作用" in quoted.text and "成果就会被破坏" in quoted.text
    assert "解决了问题b" in quoted.text


def test_a_loose_list_is_quoted_whole_with_the_sentence_that_names_its_items():
    """linear-logistic-regression.md:141-152 (r53 dev4:c22): blank lines between the items of
    one list made three lists of it; the quote held "一对一" only, and the sentence naming the
    three ways was left out. The model's sentence listing the three was taken for a restatement
    of the question (its characters 一, 对, 三 are common) and removed."""
    text = "\n".join([
        "## 9.逻辑回归如何进行多分类？", "",
        "多分类问题一般将二分类推广到多分类的方式有三种，一对一，一对多，多对多。", "",
        "* 一对一：", "  * 将$N$个类别两两配对，产生$N(N-1)/2$个二分类任务，投票产生结果。", "",
        "* 一对多：", "  * 每一次将一个例作为正例，其他的作为反例，训练$N$个分类器。", "",
        "* 多对多：", "  * 若干各类作为正类，若干个类作为反类。注意正反类必须特殊的设计。", "", ""])
    question = "逻辑回归本身是二分类，碰到多个类别时有哪几种拆法？"
    quoted = extract_from_passage(passage(1, text, "9.逻辑回归如何进行多分类？"),
                                  query_terms(question), question)
    assert quoted.lines[0].text.startswith("多分类问题一般")
    assert all(way in quoted.text for way in ("* 一对一：", "* 一对多：", "* 多对多："))
    reply = "逻辑回归本身是二分类，碰到多个类别时有三种拆法：一对一，一对多，多对多[1]。"
    checked = check_citations(reply, [passage(1, text, "9.逻辑回归如何进行多分类？")], None,
                              question=question)
    assert "多对多" in checked.text and not checked.non_answers


_OVERFITTING_SECTION = "\n".join([
    "#### 出现过拟合的原因", "",
    "1. 训练集的数量和模型的复杂度不匹配，样本数量级小于模型的参数",
    "2. 训练集和测试集的特征分布不一致",
    "3. 样本噪音大，使得神经网络学习到了噪音，正常样本的行为被抑制",
    "4. 迭代次数过多，过分拟合了训练数据，包括噪音部分和一些非重要特征", "",
    "既然模型过于复杂，为什么要用复杂度不匹配的模型呢？有两个原因：", "",
    "1. 因为有的模型已经非常成熟了，比如VGG16，可以不调参而直接用于你自己的数据训练。",
    "2. 使用相对复杂的模型，可以比较快速地使得网络训练收敛，以节省时间。", "",
    "最终我们可以得到如图 2.5.5 所示的训练曲线。", "",
    "在训练集上（蓝色曲线），很快就达到了损失函数值趋近于0，准确度100%的程度。而在验证集上（红色曲线），"
    "损失函数值却越来越大，准确度也在下降。这就造成了一个典型的过拟合网络。"])


def test_two_compact_lists_with_a_paragraph_between_are_no_outline_of_parts():
    """2.5-深度神经网络.md:247-265 (r48 dev6:c39): "怎么从训练曲线上看出…过拟合" was quoted the
    four causes, the section's first list, taken for the heads of a section in parts; the
    paragraph on the curves answers. A why question still gets the list its heading names as
    the reasons ("神经网络为什么容易过拟合？", dev6:c38's translation)."""
    curves = "怎么从训练曲线上看出模型已经开始过拟合了？"
    quoted = extract_from_passage(passage(1, _OVERFITTING_SECTION, "出现过拟合的原因"),
                                  query_terms(curves), curves, BigramEmbedder())
    assert "验证集上" in quoted.text and "样本噪音大" not in quoted.text
    why = "神经网络为什么容易过拟合？"
    quoted = extract_from_passage(passage(1, _OVERFITTING_SECTION, "出现过拟合的原因"),
                                  query_terms(why), why, BigramEmbedder())
    assert "样本噪音大" in quoted.text and "迭代次数过多" in quoted.text


def test_a_quote_ends_on_what_it_says_not_on_a_part_name_a_caption_or_a_spacing_line():
    """r49 dev2:c29 ended on "**（3）自适应学习率 **", whose text the limits cut; dev2:c50 on
    "<center>图 13.8.2 sigmod函数与其导数</center>", the caption of a figure the chat never shows;
    dev2:c30 quoted a line of "&emsp;&emsp;" between two paragraphs."""
    long = "动量就是用来减少随机，增加稳定性，每次更新前加入部分上一次的梯度量。" * 3
    text = "\n".join(["### 如何防止陷入局部最优", "",
                      "为了防止陷入局部最优，通常会采用如下一些方法：", "",
                      "**（1）stochastic GD**", "", long, "", "**（2）动量 **", long])
    question = "梯度下降怎么才能不陷在局部最小值里？"
    quoted = extract_from_passage(passage(1, text, "如何防止陷入局部最优"), query_terms(question),
                                  question)
    assert not quoted.lines[-1].text.startswith("**"), quoted.text
    said = "\n".join(["### 怎么缓解梯度消失", "", "常用的方法：", "",
                      "**使用 ReLU、BN 和残差连接。**", "", "Table 2 shows the results."])
    question = "怎么缓解梯度消失？"
    quoted = extract_from_passage(passage(1, said, "怎么缓解梯度消失"), query_terms(question),
                                  question)
    assert "**使用 ReLU、BN 和残差连接。**" in quoted.text and "Table 2" in quoted.text
    text = "\n".join(["### 小样本怎么训练", "", "利用预训练模型进行迁移微调。", "&emsp;&emsp;",
                      "少样本学习需要学习样本之间的距离度量。", "",
                      "<center>图 13.8.2 孪生网络</center>"])
    question = "手上的训练样本特别少，有什么办法？"
    quoted = extract_from_passage(passage(1, text, "小样本怎么训练"), query_terms(question),
                                  question)
    assert [q.text for q in quoted.lines] == ["利用预训练模型进行迁移微调。",
                                              "少样本学习需要学习样本之间的距离度量。"]


def test_what_a_copied_answer_leaves_is_not_shown_as_an_explanation():
    """r49 dev2:c18: the model restated the quoted table row by row; every line but one went as
    a copy, and the student read "1. **参数量**：\\n   - 池化层不引入额外参数[1]。" as the
    explanation. A remnant that is itself mostly the quote's words goes too (the quote is then
    shown once); an answer adding its own point keeps it."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.extractive_followup import without_quote_copies

    rows = ["|  **结构**  | 零填充时输出维度不变，而通道数改变 | 通常特征维度会降低，通道数不变 |",
            "| **稳定性** | 输入特征发生细微改变时，输出结果会改变 "
            "| 感受域内的细微变化不影响输出结果 |",
            "| **参数量** | 与卷积核尺寸、卷积核个数相关 | 不引入额外参数 |"]
    quote = ExtractiveAnswer(None, (QuotedLine(155, "| | 卷积层 | 池化层 |"),) + tuple(
        QuotedLine(157 + i, row) for i, row in enumerate(rows)), "answer")
    text = ("池化层和卷积层本质上具有以下区别：\n\n1. **结构**：\n"
            "   - 卷积层在零填充时输出维度不变，而通道数改变[1]。\n"
            "   - 池化层通常特征维度会降低，通道数不变[1]。\n\n2. **稳定性**：\n"
            "   - 输入特征发生细微改变时，输出结果会改变[1]。\n"
            "   - 感受域内的细微变化不影响输出结果[1]。\n\n3. **参数量**：\n"
            "   - 卷积层与卷积核尺寸、卷积核个数相关[1]。\n   - 池化层不引入额外参数[1]。")
    assert without_quote_copies(text, quote) == ""
    own = text + "\n\n池化层常用最大池化或平均池化，能让网络对小的平移更鲁棒[1]。"
    assert "最大池化" in without_quote_copies(own, quote)


def _formula_image(tex: str) -> str:
    address = "http://latex.codecogs.com/gif.latex?" + "%5C" * 100 + tex.replace(" ", "%20")
    return f"![$${tex}$$]({address})"


def test_a_formula_drawn_as_an_image_is_quoted_and_its_address_does_not_use_the_budget():
    # dev7's PCA notes (lawlite19): each formula a codecogs image whose address is 300-600
    # characters; counted raw, the quote stopped before the formula and the advice that answer
    lines = ["### 6、主成分个数的选择", "- 如何选择"]
    lines += [f" - 第{n}项误差：" + _formula_image(r"{1 \over m}\sum_{i=1}^m x_" + str(n))
              for n in range(1, 3)]
    lines += ["- 如何实现", " - 若是一个个试的话代价太大",
              " - 之前得到了`S`，这里误差率为：", "  " + _formula_image(r"1 - \sum S_{ii} \le t"),
              " - 可以一点点增加`K`尝试。"]
    quoted = extract_answer("主成分个数怎么选？", [passage(1, "\n".join(lines), "6", 1032)])
    texts = [q.text for q in quoted.lines]
    assert texts[-1].endswith("可以一点点增加`K`尝试。"), texts
    assert any(r"1 - \sum S_{ii} \le t" in t for t in texts)  # the formula line is not skipped


def test_a_chinese_quote_of_formula_images_is_translated_for_an_english_question():
    # r55 dev7:c7: the addresses and TeX of the formula images outnumbered the Chinese, the
    # quote counted as English, and the English question got an explanation, not a translation
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.quote_translation import needs_translation
    from assistant.retrieval import Citation
    lines = (QuotedLine(1, " - 若误差率：" + _formula_image(r"{{1 \over m}\sum x} \le 0.01")),
             QuotedLine(2, " - 可以一点点增加`K`尝试。"))
    quote = ExtractiveAnswer(Citation(1, 3, "ml.md", "PCA", 1, 2, None), lines, "passage")
    assert needs_translation(quote, "en") and not needs_translation(quote, "zh")


def test_a_translation_that_turns_underfitting_into_overfitting_is_not_shown():
    """bagging-boosting-rf.md:9 (r56 dev7:c13): the 1.5B model translated "models that
    underfit the training data" as "模型过拟合训练数据", the opposite of the notes, shown citing
    them. The translation goes and the quote is shown as it is; a faithful one stays."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.quote_translation import checked_translation
    from assistant.retrieval import Citation
    line = ('**tl;dr: Bagging and random forests are "bagging" algorithms that aim to reduce '
            "the complexity of models that overfit the training data. In contrast, boosting is "
            "an approach to increase the complexity of models that suffer from high bias, that "
            "is, models that underfit the training data.**")
    quote = ExtractiveAnswer(Citation(1, 234, "bagging-boosting-rf.md", "Random forests", 1, 9,
                                      None), (QuotedLine(9, line),), "passage")
    wrong = ("袋ging和随机森林是“袋”算法，它们旨在减少模型过拟合训练数据的复杂性。相反，提升是增加"
             "模型高偏差的算法，即模型过拟合训练数据。")
    text, dropped = checked_translation(wrong, quote, "zh")
    assert text == "" and "过拟合训练数据" in dropped[0], (text, dropped)
    right = wrong.replace("即模型过拟合", "即模型欠拟合")
    text, dropped = checked_translation(right, quote, "zh")
    assert "欠拟合" in text and text.endswith("[1]。"), text



def test_a_translation_line_that_drops_its_lines_negation_or_writes_a_name_it_lacks_goes():
    """r75 dev5:c16 translated "… and it does not conflict with SGD" as "…并且与 SGD 冲突", and
    r77 dev5:c31 wrote "beam" as "贝叶斯" (Bayes) in four lines, each shown citing the notes.
    Those lines go; the faithful ones stay, each citing the quote."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.quote_translation import checked_translation
    from assistant.retrieval import Citation
    norms = ExtractiveAnswer(Citation(1, 30, "05-2.md", "Normalization", 117, 120, None), (
        QuotedLine(117, "- *Layer norm*: the normalization is applied within one image across "
                        "all channels."),
        QuotedLine(120, "- *Group norm*: the normalization is applied over one image but across "
                        "a number of channels. It has good performance and does not conflict "
                        "with SGD.")), "passage")
    layer = "- *层归一化*：在一个图像中对所有通道进行归一化。"
    group = "- *组归一化*：在一个图像中对一组通道进行归一化。它性能良好，并且与 SGD 冲突。"
    text, dropped = checked_translation(f"{layer}\n{group}", norms, "zh")
    assert text == "- *层归一化*：在一个图像中对所有通道进行归一化[1]。", text
    assert dropped == (group,), dropped
    text, _ = checked_translation(f"{layer}\n{group.replace('冲突', '不冲突')}", norms, "zh")
    assert "与 SGD 不冲突[1]。" in text, text
    beams = ExtractiveAnswer(Citation(2, 31, "12-2.md", "Beam search", 18, 21, None), (
        QuotedLine(18, "Figure 1: Beam decoding"),
        QuotedLine(21, "The beam tree continues until the end of sentence token.")), "passage")
    text, dropped = checked_translation("图1：贝叶斯解码\n束搜索树一直继续到句子结束标记。", beams,
                                        "zh")
    assert text == "束搜索树一直继续到句子结束标记[2]。", text
    assert dropped == ("图1：贝叶斯解码",), dropped


LSTM_GATES = (
    "* **输入门**$i_t$：控制当前时刻的输入信息需要向状态向量$c_t$中注入哪些信息。举个例子，当输入"
    "信息是一些没有实际意义的词，比如\"的\"，可能模型不会让这些信息流入到状态向量中。\n"
    "* **遗忘门**$f_t$：控制前一时刻的状态向量$c_{t-1}$需要被屏蔽/遗忘哪些信息。\n"
    "* **输出门**$o_t$：控制当前时刻的状态向量$c_t$需要对外输出哪些信息，最终输出的信息即为$h_t$。")


def test_a_respectively_claim_pairing_gates_with_the_wrong_roles_is_taken_out():
    """lstm.md:54-56 (r56 dev7:c31): every gate and every role of the claim is in the passage,
    but paired wrongly ("遗忘门…分别负责…待输入信息"); the claim cited [1] and passed. The same
    sentence with the passage's pairing stays."""
    gates = [passage(1, LSTM_GATES, "LSTM > 门")]
    question = "长短时记忆网络里，遗忘门、输入门和输出门分别负责什么？"
    wrong = check_citations("遗忘门、输入门和输出门分别负责控制当前LSTM单元的待输入信息、"
                            "当前LSTM单元的待输出信息和当前LSTM单元的更新状态[1]。",
                            gates, BigramEmbedder(), question)
    right = check_citations("遗忘门、输入门和输出门分别控制前一时刻状态向量要遗忘哪些信息、"
                            "向状态向量注入哪些输入信息和对外输出哪些信息[1]。",
                            gates, BigramEmbedder(), question)
    assert wrong.unsupported and "待输入" not in wrong.text, wrong
    assert not right.unsupported and "注入" in right.text, right
    # e5 let the wrong pairing through (the fake embedder here does not): the pairing is judged
    assert mismatched_respectively(wrong.unsupported[0], LSTM_GATES)
    assert not mismatched_respectively(right.text, LSTM_GATES)


CONVEXITY = (
    "Anyway, going back to the logistic sigmoid. One of the nice properties of logistic "
    "regression is that the logistic cost function (or max-entropy) is convex, and thus we are "
    "guaranteed to find the global cost minimum. But, once we stack logistic activation "
    "functions in a multi-layer neural network, we'll lose this convexity. Looking only at a "
    "single weight / model coefficient, we can picture the cost function in a multi-layer "
    "perceptron as a rugged landscape with multiple local minima that can trap the optimization "
    "algorithm:")


def test_a_long_lines_quote_keeps_the_sentence_its_best_one_goes_on_from():
    """logisticregr-neuralnet.md:45 (r61 dev7:c34): the sentence naming most of the question's
    terms is "But, once we stack …, we'll lose this convexity."; the quote went on from it and
    left out the sentence it answers with: the cost function is convex."""
    question = ("Is the logistic regression cost function convex, and does that still hold once "
                "I stack sigmoid units into a multi-layer network?")
    line = CONVEXITY + " The landscape has many valleys." * 40  # a paragraph too long to quote
    notes = passage(1, "## Logistic regression and neural networks\n\n" + line,
                    "Logistic Regression and Neural Networks", 43)
    quoted = extract_from_passage(notes, query_terms(question), question)
    assert quoted is not None and quoted.lines[0].partial, quoted
    assert "the logistic cost function (or max-entropy) is convex" in quoted.text
    assert "we'll lose this convexity" in quoted.text


XAVIER = (  # DeepLearning_Python_readme.md:214-224, the formula images as their TeX
    "（比如第一种：\n"
    "![$$Var[{z^i}] = Var[x]\\prod_{j=0}^{i-1} {n_j}Var[W^j]$$](http://latex.codecogs.com/a)\n"
    "- `❺❻`两式相加得：\n"
    "![$$Var[{W^i}] = {2 \\over {n_i} + {n_{i+1}}}$$](http://latex.codecogs.com/b)\n"
    "- 最后提出了一个归一化的初始化方法,因为**W**服从**均匀分布**`U[-c,c]`，"
    "根据均匀分布的方差公式得：\n"
    "![$${[c - (-c)]^2 \\over 12} = {c^2 \\over 3}$$](http://latex.codecogs.com/c)\n"
    " - 所以：![$${2 \\over n_i + n_{i+1}} = {c^2 \\over 3}$$](http://latex.codecogs.com/d)\n"
    " - 求出，![$$c = {\\sqrt 6 \\over \\sqrt{n_i + n_{i+1}}}$$](http://latex.codecogs.com/e)\n"
    " - 所以**◆◆**最终给出初始化权重的方法为：\n"
    " ![$$W \\sim U[-{\\sqrt 6 \\over \\sqrt{n_i + n_{i+1}}}, {\\sqrt 6 \\over "
    "\\sqrt{n_i + n_{i+1}}}]$$](http://latex.codecogs.com/f)\n"
    "- 这就是**Xavier初始化**方法")


def test_a_quote_ending_on_a_lead_in_shows_the_formula_it_promises():
    """r61 dev7:c2: the quote of the Xavier derivation stopped at its line limit on "所以◆◆最终
    给出初始化权重的方法为：", without W ~ U[-√6/√(n_i+n_{i+1}), …], the range asked about."""
    question = ("Where does the Xavier initialization range of plus/minus sqrt(6)/sqrt(n_in + "
                "n_out) come from? How is it derived?")
    notes = passage(2, XAVIER, "3、初试化方法公式推导", 214)
    quoted = extract_from_passage(notes, query_terms(question), question)
    assert quoted is not None, quoted
    assert quoted.lines[-2].text.endswith("最终给出初始化权重的方法为："), quoted
    assert quoted.lines[-1].line == 223 and "W \\sim U[" in quoted.lines[-1].text


def test_a_translation_that_loops_shows_each_sentence_once():
    """r62 dev7:c2: the stream was stopped at the third copy of a sentence (``loop_guard``), but
    a translation has no support check to take the copies out: all three were shown."""
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.quote_translation import checked_translation
    from assistant.retrieval import Citation
    quote = ExtractiveAnswer(
        Citation(2, 43, "d.md", "初试化方法公式推导", 214, 223, None),
        (QuotedLine(218, "- 因为W服从均匀分布U[-c,c]，根据均匀分布的方差公式得："
                         "$$[c-(-c)]^2/12 = c^2/3$$"),),
        "passage")
    loop = "Therefore, the variance of W is [c-(-c)]^2 divided by 12, that is c^2/3. "
    text, _ = checked_translation("Because W is uniformly distributed on U[-c,c], its variance "
                                  "is given by the formula for a uniform distribution. " +
                                  loop * 3, quote, "en")
    assert text.count("Therefore, the variance of W") == 1, text
    assert text.startswith("Because W is uniformly distributed"), text


def test_a_quote_of_formulas_is_translated_around_them_and_shows_each_in_its_place():
    """r62 dev7:c2: asked to translate the Xavier derivation, the model read each formula aloud
    ("the variance of [W^i] is equal to 2 divided by …"), garbled "❺❻两式相加得" and ran out of
    tokens before c = √6/√(n_i + n_{i+1}). The model now gets the prose lines numbered without
    the formula lines, and the checked translation shows the quote's own formula lines where
    they stand (the reply below is the model's to r62b's quote, answers.md Session 48)."""
    from assistant.quote_translation import checked_translation, translation_messages
    question = ("Where does the Xavier initialization range of plus/minus sqrt(6)/sqrt(n_in + "
                "n_out) come from? How is it derived?")
    quoted = extract_from_passage(passage(2, XAVIER, "3、初试化方法公式推导", 214),
                                  query_terms(question), question)
    prompt = translation_messages(quoted, "en")[-1].content
    assert "Var[{W^i}]" not in prompt and "\n4. - 所以： ${2 \\over" in prompt, prompt
    reply = ("1. (For example, the first case:\n2. - `❺❻` two equations are added together:\n"
             "3. - Finally, a normalized initialization method is proposed because W follows a "
             "uniform distribution `U[-c,c]`, and according to the variance formula of the "
             "uniform distribution, we get:\n"
             "4. - Therefore: ${2 \\over n_i + n_{i+1}} = {c^2 \\over 3}$\n"
             "5. - Calculate, $c = {\\sqrt 6 \\over \\sqrt{n_i + n_{i+1}}}$\n"
             "6. - Therefore, the final initialization weight method is given as:\n</passage>")
    text, dropped = checked_translation(reply, quoted, "en")
    lines = text.split("\n")
    assert lines[-1].strip().startswith("$W \\sim U[-{\\sqrt 6"), text
    assert lines[-2] == "- Therefore, the final initialization weight method is given as[2]:", text
    assert lines[-3].startswith("- Calculate, $c = {\\sqrt 6 \\over"), text
    assert lines[3].startswith("$Var[{W^i}] = {2 \\over"), text  # after "two equations added"
    assert dropped == (), dropped
    # a reply whose numbers do not match the lines cannot place the formulas: none is shown
    assert checked_translation("1. For example:\n3. Finally:", quoted, "en")[0] == ""



LSTM_UPDATE = (  # lstm.md:70-76, the state update: it names no gate
    "$$c_t = f_t \\cdot c_{t-1} + i_t \\cdot a_t$$\n\n"
    "显然，LSTM单元状态$c_t$的更新是对上一个时刻的状态$c_{t-1}$进行有选择的遗忘，对当前时刻的待输入"
    "信息$a_t$将有选择的输入，最后将两者的结果进行相加，表示向当前LSTM单元即融入了以前的状态信息"
    "$c_{t-1}$，同时又注入了当前最新的信息$a_t$。在计算出当前时刻的状态向量$c_t$后，就可以根据该"
    "状态向量对外进行输出了。\n\n$$h_t=o_t \\cdot tanh(c_t)$$")


def test_a_clause_about_a_gate_citing_a_passage_that_names_no_gate_is_taken_out():
    """r63 dev7:c31: "…，输出门负责将两者的结果进行相加，…[3]" cited lstm.md:70-76, which says
    "最后将两者的结果进行相加" of the state update and names no gate: every word of the clause
    is that passage's, so it passed (the judge counted a bad citation). The gates' bullets, in
    passage [1], say the output gate controls what the state puts out; that sentence stays."""
    passages = [passage(1, LSTM_GATES, "LSTM > 3", 52),
                passage(3, LSTM_UPDATE, "LSTM > 3", 70)]
    question = "长短时记忆网络里，遗忘门、输入门和输出门分别负责什么？"
    wrong = check_citations(
        "遗忘门负责控制上一个时刻的状态向量$c_{t-1}$的遗忘，输入门负责控制当前时刻的待输入信息"
        "$a_t$的输入，输出门负责将两者的结果进行相加，表示向当前LSTM单元即融入了以前的状态信息"
        "$c_{t-1}$，同时又注入了当前最新的信息$a_t$[3]。", passages, BigramEmbedder(), question)
    assert wrong.unsupported and "相加" not in wrong.text, wrong
    right = check_citations("输出门控制当前时刻的状态向量$c_t$需要对外输出哪些信息[1]。", passages,
                            BigramEmbedder(), question)
    assert not right.unsupported and "对外输出" in right.text, right


CNN_SECTION = ("**答案：** 卷积层用同一个卷积核在整张图上滑动，权值共享，所以参数少。\n"
               "卷积核的权值在每个位置都相同。")
SCALING = ("We compute the parameters (mean and standard deviation) on the training set and "
           "reuse those parameters to transform the test data.")


@pytest.mark.parametrize("asked, moves", [
    ("Why can convolutional networks save parameters by sharing weights?", False),
    ("How should the test data reuse the training parameters for scaling?", True)])
def test_a_translated_sentence_moves_the_quote_only_to_a_passage_its_question_names(asked, moves):
    """dev7:c32 (session 52): the removed Chinese sentence about weight sharing, translated,
    leant on an English passage about scaling test data by common words ("parameters"), and the
    reply quoted that passage under a CNN question. A vote for a passage in the other language
    counts only where the question, as the search translated it, names as much as it names of
    the quoted one."""
    import numpy as np

    from assistant.citations import SentenceCheck
    from assistant.extractive_followup import quote_leaned_on
    from assistant.library_profile import LibraryProfile

    question = "卷积神经网络为什么能靠权值共享省下大量参数？"
    first, first_quote = _quote(CNN_SECTION, "CNN 为什么能共享权值？", 1)
    second, _ = _quote(SCALING, "Why re-use training parameters?", 2)
    leaning = SentenceCheck("卷积核只计算一次，所以省参数。", "unsupported", (), (0.05, 0.35),
                            (0.01, 0.03), "The kernel computes once, so it saves parameters.")
    profile = LibraryProfile("", 10, {}, (), (), np.zeros((0, 4)))
    quoted = quote_leaned_on([leaning], [first, second], first_quote, [], question, {"en": asked},
                             profile)
    assert (quoted.citation.number == 2) == moves


PCA_VS_REGRESSION = ("- 线性回归是找`x`与`y`的关系，然后用于预测`y`\n"
                     "- `PCA`是找一个投影面，最小化data到这个投影面的投影误差")
PCA_GENERIC = ("* Principal Component Analysis (PCA) is a dimension reduction technique that "
               "projects the data into a lower dimensional space.\n"
               "* PCA finds the top principal components, the directions of largest variance.")


@pytest.mark.parametrize("heading, moves", [("主成分分析PCA与线性回归的区别", False),
                                            ("主成分分析PCA的步骤", True)])
def test_removed_sentences_do_not_move_a_quote_whose_section_is_headed_by_what_is_asked(
        heading, moves):
    """dev7:c28 (r74): the quote was the section "主成分分析PCA与线性回归的区别", and the
    model's two removed sentences, checked in English translation, leant on the English PCA
    section, whose generic lines the reply showed instead. A section whose headings name every
    subject of the question keeps the quote; one naming only some of them does not."""
    import numpy as np

    from assistant.citations import SentenceCheck
    from assistant.extractive_followup import quote_leaned_on
    from assistant.library_profile import LibraryProfile

    question = "PCA 和线性回归本质上有什么不同？"
    first, first_quote = _quote(PCA_VS_REGRESSION, heading, 1)
    second, _ = _quote(PCA_GENERIC, "Principal Component Analysis", 2)
    leaning = [SentenceCheck(f"PCA 把数据投影到低维空间{n}。", "unsupported", (), (0.1, 0.4),
                             (0.02, 0.06), "PCA projects the data into a lower dimensional space.")
               for n in range(2)]
    profile = LibraryProfile("", 10, {}, (), (), np.zeros((0, 4)))
    quoted = quote_leaned_on(leaning, [first, second], first_quote, [], question,
                             {"en": "What are the differences between Principal Component "
                                    "Analysis (PCA) and linear regression?"}, profile)
    assert (quoted.citation.number == 2) == moves


LSTM_CELL = (  # 06-2.md:187 (dev5)
    "An LSTM unit uses a cell state $c_t$ to convey the information through the unit. It "
    "regulates how information is preserved or removed from the cell state through structures "
    "called gates. The forget gate $f_t$ decides how much information we want to keep from the "
    "previous cell state $c_{t-1}$ by looking at the current input and previous hidden state, "
    "and produces a number between 0 and 1 as the coefficient of $c_{t-1}$.  "
    "$\\tanh(W_cx_t + U_ch_{t-1} + b_c)$ computes a new candidate to update the cell state, and "
    "like the forget gate, the input gate $i_t$ decides how much of the update to be applied. "
    "Finally, the output $h_t$ will be based on the cell state $c_t$, but will be put through a "
    "$\\tanh$ then filtered by the output gate $o_t$.")


def test_an_english_paragraph_is_measured_by_what_it_says_not_by_its_characters():
    """r75 dev5:c20: the paragraph on the LSTM's gates (06-2.md:187, 720 characters, as much as
    240 Chinese characters say) was cut to its last two sentences as if it were a long Chinese
    paragraph, and the forget gate's sentence the question asks about was not shown."""
    question = "How do the forget gate, the input gate and the output gate update the cell state?"
    notes = passage(1, "## LSTM\n\n" + LSTM_CELL, "LSTM", 185)
    quoted = extract_from_passage(notes, query_terms(question), question)
    assert quoted is not None and [(q.line, q.partial) for q in quoted.lines] == [(187, False)]
    assert "The forget gate $f_t$ decides how much information" in quoted.text


def test_a_sentence_that_only_names_its_source_is_not_left_at_the_end_of_the_answer():
    """r86 dev4:c14 and r75-r78 dev5:c1 ended with "根据资料[1]。": too short to be checked as a
    claim, it was shown as it stood, a citation of nothing."""
    answer = "梯度裁剪可以将梯度大小限制在一个合理的范围内[1]。根据资料[1]。\nSee passage [2]."
    checked = check_citations(answer, PASSAGES, BigramEmbedder(), "梯度裁剪是什么？")
    assert "根据资料" not in checked.text and "See passage" not in checked.text, checked.text
    assert checked.text.startswith("梯度裁剪") and checked.text.endswith("[1]。")
    assert "根据资料[1]。" in checked.non_answers


def test_a_contrast_set_in_the_questions_own_scene_is_checked_without_the_scene():
    """r86 dev4:c20: the notes' line verbatim, opened with "在自注意力机制中，", was taken out
    (a judge's "wrongly removed"): the scene's "机制" stood against the first side alone."""
    notes = ("维度较大时，向量内积容易使得 SoftMax 将概率全部分配给最大值对应的 Label。"
             "因此，一般会对其进行缩放，缩放值一般使用维度 dk 开根号，"
             "是因为点积的方差是 dk，缩放后点积的方差为常数 1，这样就可以避免梯度消失问题。")
    asked = "自注意力里做点积之后为什么还要除以根号 d_k？"
    text = "在自注意力机制中，点积的方差是 dk，而缩放后点积的方差为常数 1。"
    checked = check_citations(text, [passage(1, notes, "自注意力中为何要缩放？")],
                              BigramEmbedder(), asked)
    assert checked.text == text.replace("。", "[1]。")
    elsewhere = "在卷积网络中，点积的方差是 dk，而缩放后点积的方差为常数 1。"  # not the scene asked
    assert check_citations(elsewhere, [passage(1, notes, "自注意力中为何要缩放？")],
                           BigramEmbedder(), asked).text == ""
