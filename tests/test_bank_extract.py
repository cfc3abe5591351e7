"""Extracted cards only where the notes give a whole answer (``assistant.bank_extract``)."""

from __future__ import annotations

import pytest

from assistant.bank_extract import extract_cards
from ground.records import Chunk


def chunk_of(text: str, heading: str = "题目") -> Chunk:
    return Chunk(1, 1, "/n/a.md", "T", ("T", heading), 10, 10 + text.count("\n"), 0, len(text),
                 text, "h")


def flashcards(text: str, heading: str, continued: bool = False) -> list[str]:
    return [d.item.answer for d in extract_cards(chunk_of(text, heading), continued)
            if d.item.kind == "flashcard"]


WHOLE = "#### 什么是梯度裁剪？\n\n梯度裁剪在梯度范数超过阈值时按比例缩小梯度，防止梯度爆炸。\n"


def test_a_whole_answer_makes_a_flashcard():
    assert flashcards(WHOLE, "什么是梯度裁剪？") == [
        "梯度裁剪在梯度范数超过阈值时按比例缩小梯度，防止梯度爆炸。"]


def test_an_answer_that_goes_on_in_the_next_passage_makes_none():
    assert flashcards(WHOLE, "什么是梯度裁剪？", continued=True) == []


@pytest.mark.parametrize("heading, text", [
    ("什么是Transformer？请说明其应用。",  # a lead-in with nothing after it
     "#### 什么是Transformer？请说明其应用。\n\nTransformer 是基于自注意力的模型。\n\n"
     "- **应用：** Transformer 在自然语言处理中应用广泛，包括：\n"),
    ("什么是GAN的客观评价？",  # the answer announces the next sections
     "#### 什么是GAN的客观评价？\n\n主观评价需要大量人力，且容易误判。\n\n"
     "因此，就有许多学者提出了GAN的客观评价方法。\n"),
    ("为什么正则化有利于预防过拟合？",  # the back points at figures
     "#### 为什么正则化有利于预防过拟合？\n\n左图是高偏差，右图是高方差，中间是刚好合适。\n"),
])
def test_a_back_that_is_not_the_whole_answer_makes_no_flashcard(heading, text):
    assert flashcards(text, heading) == []


def test_a_back_shortened_inside_a_list_makes_no_flashcard():
    steps = "".join(f"{n}. **第{n}步：** " + "这一步要做的事情说得比较详细，" * 4 + "然后继续。\n"
                    for n in range(1, 9))
    text = f"#### 如何实现强化学习？\n\n实现步骤如下，共八步，每一步都很重要。\n\n{steps}"
    assert flashcards(text, "如何实现强化学习？") == []


@pytest.mark.parametrize("intro_sentences", [1, 4, 12])
def test_a_definition_question_keeps_its_definition_or_makes_no_flashcard(intro_sentences):
    intro = "通常分类系统会给出未知样本在每个已知类别上的概率，其中最大的就是最可能的类别。"
    text = (f"#### 什么是TOP5错误率？\n\n{intro * intro_sentences}TOP5错误率，即预测最可能的"
            "五类都不是该样本类别的错误率。\n")
    cards = flashcards(text, "什么是TOP5错误率？")
    assert all("即预测最可能的五类" in back for back in cards), cards
    assert bool(cards) == (intro_sentences < 12)  # too long for a card: none, never a cut one


def test_the_back_is_the_whole_answer_with_its_sub_headings_and_no_control_characters():
    text = ("## 6.13 RNN 的典型应用？\n\n应用有四类，都处理序列。\n\n### 语言模型\n\n"
            "- 预测下一个词\n\n### 机器翻译\n\n- 源语言\b到目标语言\n\n"
            "## 6.14 下一题？\n\n不是答案。\n")
    assert flashcards(text, "6.13 RNN 的典型应用？") == [
        "应用有四类，都处理序列。\n语言模型\n- 预测下一个词\n机器翻译\n- 源语言到目标语言"]


def test_an_answer_that_is_mostly_images_makes_no_flashcard():
    text = ("#### 为什么正则化能防止过拟合？\n\n![](a.png)\n\n![](b.png)\n\n"
            "高偏差与高方差的对比，中间刚好合适。\n")
    assert flashcards(text, "为什么正则化能防止过拟合？") == []


def test_a_cloze_whose_clue_also_fits_a_sibling_item_is_not_made():
    text = ("#### 常见的激活函数有哪些？\n\n**2. ReLU函数**\n- **形式：** max(0, x)\n"
            "- **作用：** 提高训练速度，减少梯度消失问题。\n\n**5. sigmoid 函数（修正版）**\n"
            "- **形式：** 带参数的 sigmoid\n- **作用：** 提高训练速度，减少过拟合。\n\n"
            "**6. tanh 函数**\n- **作用：** 输出值关于原点对称，便于下一层学习。\n")
    answers = [d.item.answer for d in extract_cards(chunk_of(text, "常见的激活函数有哪些？"))
               if d.item.kind == "cloze"]
    assert answers == ["ReLU函数", "tanh 函数"]  # ReLU: "减少梯度消失问题" is its own


def test_a_sibling_in_another_passage_of_the_section_counts_too():
    first = "#### 激活函数？\n\n**2. ReLU函数**\n- **作用：** 提高训练速度，减少梯度消失问题。\n"
    second = "**5. sigmoid 函数（修正版）**\n- **作用：** 提高训练速度，减少过拟合。\n"
    answers = [d.item.answer for d in extract_cards(chunk_of(second, "激活函数？"), False,
                                                    first + second) if d.item.kind == "cloze"]
    assert answers == []
    assert [d.item.answer for d in extract_cards(chunk_of(second, "激活函数？"))
            if d.item.kind == "cloze"] == ["sigmoid 函数（修正版）"]


def test_an_answer_with_a_display_formula_makes_no_flashcard():
    text = ("### 归一化有哪些类型？\n\n1. 线性归一化\n\n$$\nx' = (x - min) / (max - min)\n$$\n\n"
            "适用范围：数值比较集中的情况。\n\n2. 非线性归一化\n\n"
            "适用范围：数据分化比较大的场景。\n")
    assert flashcards(text, "归一化有哪些类型？") == []
    assert flashcards(text.replace("$$\nx' = (x - min) / (max - min)\n$$\n\n", ""),
                      "归一化有哪些类型？") != []


def test_a_lead_in_followed_by_its_example_paragraph_is_a_whole_answer():
    text = ("## 为什么需要RNN？\n\n一般的神经网络只处理单个输入，但有些任务的输入前后相关。"
            "比如：\n\n理解一句话要处理整个词序列，RNN就由此诞生了。\n")
    assert len(flashcards(text, "为什么需要RNN？")) == 1
    figure = text.replace("比如：\n\n", "它的结构：\n\n![](a.png)\n\n")
    assert flashcards(figure, "为什么需要RNN？") == []
