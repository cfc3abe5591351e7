"""The safe renderer (``ui.note_render``): notes keep their structure, math and code; nothing
in them can fetch or execute. The browser test checks what Chromium draws from this Markdown;
these check the Markdown itself, case by case and over generated text."""

from __future__ import annotations

import re
from types import SimpleNamespace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.extractive import QuotedLine
from ui.chat_view import quote_markdown
from ui.note_render import Image, note_blocks, safe_markdown, split_used, used_lines

SAMPLE_FORMULA = (r"- **计算公式：** \( \text{F1} = 2 \times \frac{P \times R}{P + R} \)"
                  "\n- **适用场景：** 类别不均衡时。")


def prose_of(markdown: str) -> str:
    """The Markdown outside code fences and inline code spans."""
    markdown = re.sub(r"(`{3,})[^\n]*\n.*?\n\1", " ", markdown, flags=re.DOTALL)
    # a code span opens and closes on backtick runs of the same length (CommonMark)
    # (an escaped backtick opens nothing)
    return re.sub(r"(?<![`\\])(`+)(?!`).+?(?<!`)\1(?!`)", " ", markdown, flags=re.DOTALL)


def test_latex_delimiters_become_katex_dollars_and_structure_stays():
    out = safe_markdown(SAMPLE_FORMULA)
    assert r"$\text{F1} = 2 \times \frac{P \times R}{P + R}$" in out
    assert r"\(" not in out and r"\)" not in out
    assert out.startswith("- **计算公式：**")  # list and bold kept for Markdown to render
    display = safe_markdown("损失：\n\n\\[ L = -\\sum_i y_i \\log p_i \\]\n\n完。")
    assert "\n$$\nL = -\\sum_i y_i \\log p_i\n$$\n" in display


def test_dollar_math_is_kept_and_stray_dollars_are_money():
    out = safe_markdown("其中 $\\gamma \\ge 0$，价格 $5 和 $10 元，$$E=mc^2$$")
    assert "$\\gamma \\ge 0$" in out and "$E=mc^2$" in out
    assert "\\$5 和 \\$10" in out


def test_code_fences_keep_their_language_and_text():
    note = "代码：\n\n```python\nx = a ** 2  # <b>$5</b> \\(y\\)\n```\n\n完。"
    out = safe_markdown(note)
    assert "```python\nx = a ** 2  # <b>$5</b> \\(y\\)\n```" in out  # untouched inside
    tilde = safe_markdown("~~~js\nlet a = `x`;\n~~~")
    assert "```js\nlet a = `x`;\n```" in tilde
    unclosed = safe_markdown("```\n<script>x</script>")
    assert unclosed.strip().startswith("```") and unclosed.strip().endswith("```")


def test_html_images_and_links_are_disarmed():
    note = ('<script>alert(1)</script> <img src=x onerror=alert(2)> '
            '![远程](http://attacker.invalid/x.png?q=1) ![ref][r] [点我](javascript:alert(3)) '
            '<http://attacker.invalid> 见 https://attacker.invalid/a 与 www.attacker.invalid\n'
            '[r]: http://attacker.invalid/ref.png\n')
    out = safe_markdown(note)
    assert "\\<script\\>" in out and "\\<img" in out and "\\</script\\>" in out
    assert not re.search(r"(?<!\\)<", out)
    assert "远程" in out and "ref" in out and "点我" in out
    assert "](" not in out and "]:" not in out and "javascript" not in out
    assert "://" not in out and "www." not in out  # no bare URL for GFM to link


def test_markers_move_out_of_model_math_not_out_of_notes():
    answer = "交叉熵为 $L = -\\log p [2]$，且 \\( \\epsilon / K [1][3] \\) 很小。"
    out = safe_markdown(answer, markers=True)
    assert "$L = -\\log p$ [2]" in out and "$\\epsilon / K$ [1][3]" in out
    assert "x[2]" in safe_markdown("$x[2]$")  # a note's own brackets are its math


def test_resource_commands_in_math_are_disarmed():
    out = safe_markdown(r"$\href{http://attacker.invalid}{x} + \includegraphics{y.png}$")
    assert "\\href" not in out and "\\includegraphics" not in out


def test_a_notes_own_picture_is_kept_and_nothing_outside_its_folder(tmp_path):
    folder = tmp_path / "notes"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "lstm.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    note = "前\n![LSTM 结构](img/lstm.png)\n![秘密](../secret.png)\n![远程](http://x.invalid/a.png)"
    blocks = note_blocks(note, folder)
    images = [b for b in blocks if isinstance(b, Image)]
    assert images == [Image((folder / "img" / "lstm.png").resolve(), "LSTM 结构")]
    text = "".join(b for b in blocks if isinstance(b, str))
    assert "秘密" in text and "远程" in text and "secret.png" not in text
    assert not any(isinstance(b, Image) for b in note_blocks(note, None))


def test_the_used_lines_are_found_from_the_compacted_excerpt():
    passage = ("#### 5. 什么是 F1？\n\n**题目：** F1 怎么算？\n\n"
               + SAMPLE_FORMULA + "\n\n**解析：** 调和平均数。")
    excerpt = "题目： F1 怎么算？\n- 计算公式： \\( \\text{F1} = 2 \\times \\frac{P \\times R}…"
    first, last = used_lines(passage, excerpt)
    lines = passage.split("\n")
    assert lines[first].startswith("**题目：**") and "计算公式" in lines[last]
    before, used, after = split_used(passage, excerpt)
    assert "\\frac" in used and "解析" in after and "#### 5." in before
    fenced = "说明。\n```py\na = 1\nresult = compute(a)\n```\n后记。"
    used = split_used(fenced, "result = compute(a)")[1]
    assert used == "```py\na = 1\nresult = compute(a)\n```"  # a fence stays whole


def test_escaped_brackets_stay_text_and_an_escaped_backslash_does_not_hide_a_link():
    assert safe_markdown("a\\[x](y)") == "a\\[x]\\(y)"  # Markdown shows it literally: a[x](y)
    assert safe_markdown("a\\\\[x](http://e.invalid)") == "a\\\\x"  # a real link: text
    assert safe_markdown("[](http://e.invalid)") == ""


def test_a_backtick_run_is_never_split_into_a_code_span():
    assert "\\<script" in safe_markdown("<```<script>`")  # ``` cannot close with `


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(list("<>![]()$`\\*_#|:/.-ahimgs=\"' \n公式") +
                                ["<script>", "<img ", "onerror=", "http://", "](", "```",
                                 "\\(", "\\)", "\\[", "\\]", "$$"]),
                max_size=40).map("".join))
@example("`<````<script>`")  # one code span: runs of 1 close it, not the run of 4
@example("\\(```\\)`<script>`")  # escaped backticks, then a code span
@example("[](()")  # an unbalanced target, left as text
@example("[  \n]()")  # a link whose text spans lines (session 4)
@example("$$```$$```<script>```")  # found by hypothesis in session 4
def test_no_generated_text_yields_html_or_a_link(text):
    out = safe_markdown(text)
    prose = prose_of(out)
    math_free = re.sub(r"\$\$.*?\$\$|\$[^$\n]+?\$", " ", prose.replace("\\$", ""), flags=re.DOTALL)
    assert not re.search(r"(?<!\\)<[A-Za-z/!?]", math_free), (text, out)
    live = r"(?<!\\)(?:\\\\)*!?\[[^\]]*\]\([^)]*\)"  # not after an escaping backslash
    assert not re.search(live, math_free), (text, out)


def test_a_quoted_table_shows_as_a_table_and_other_lines_keep_their_numbers():
    """dev2:c7 (judges r13): the quote of 3.6.11 (a table; the quote skips its rule line) showed
    as raw "| 名称 | 特点 |" rows after "> 870: " prefixes."""
    quote = SimpleNamespace(lines=(
        QuotedLine(868, "BN 与 GN 的比较如下："),
        QuotedLine(870, "| 名称 | 特点 |"),
        QuotedLine(872, "| BN | 批量变小时误差迅速增加 |"),
        QuotedLine(873, "| GN | 与批量大小无关 |")))
    shown = quote_markdown(quote)
    assert shown.startswith("> 868: BN 与 GN 的比较如下：")
    table = shown.split("\n\n", 1)[1].split("\n")
    assert table == ["| 名称 | 特点 |", "| --- | --- |", "| BN | 批量变小时误差迅速增加 |",
                     "| GN | 与批量大小无关 |"]


def test_bold_closed_after_a_space_renders_bold_not_as_asterisks():
    """第十三章_优化算法.md:84 writes "**（2）动量 **" (r49 dev2:c29): CommonMark, which the chat's
    renderer follows, shows such asterisks as written. The quote now renders it bold, and
    a line with two bold spans keeps both."""
    from markdown_it import MarkdownIt  # CommonMark (installed with rich, a Streamlit dependency)

    html = MarkdownIt("commonmark").render(
        safe_markdown("**（2）动量 **\n\n**a** b **c**\n\nsee **a**, then **b**"))
    assert "<strong>（2）动量</strong>" in html and "**" not in html
    assert "<strong>a</strong> b <strong>c</strong>" in html
    assert "see <strong>a</strong>, then <strong>b</strong>" in html


def _answer_with_unsupported():
    import streamlit as st

    from assistant.explain import Answer
    from ui.chat_view import show_answer

    st.session_state.setdefault("language", "en")
    show_answer(Answer("Why?", "en", "Sigmoid saturates at both ends[1].", (), True, True,
                       unsupported=("The derivative of sigmoid is 1 - σ².",)))


def test_sentences_taken_out_of_an_answer_are_out_of_sight_until_opened():
    """r49 dev2:c50 and c19: the list of sentences the check took out stood in a warning box,
    read as part of the answer: half were true (told "unsupported"), half false (the wrong
    derivative). They now sit in a closed expander that says what they are."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_answer_with_unsupported).run()
    assert not app.exception
    assert not app.warning
    assert len(app.expander) == 1
    assert app.expander[0].label.startswith("1 sentence(s) taken out of the answer")
    assert app.expander[0].proto.expanded is False
    assert "1 - σ²" in app.expander[0].markdown[0].value


def test_a_formula_drawn_as_an_image_shows_as_its_formula_and_no_address():
    note = (r"- 更新：![{\theta _j} = {\theta _j} - \alpha](http://chart.apis.google.com/chart?"
            r"cht=tx&chl=%7B%5Ctheta%7D) 其中 ![\alpha ](http://latex.codecogs.com/gif.latex?"
            r"%5Calpha) 为学习速率，见 ![图](http://evil.invalid/x.png)")
    out = safe_markdown(note)
    assert r"${\theta _j} = {\theta _j} - \alpha$" in out and r"$\alpha$" in out
    assert "图" in out and "://" not in out and "codecogs" not in out and "chart" not in out


def _refusal_with_mentions():
    import streamlit as st

    from assistant.explain import Answer
    from assistant.extractive import ExtractiveAnswer, QuotedLine
    from assistant.retrieval import Citation
    from ui.chat_view import show_answer

    st.session_state.setdefault("language", "en")
    mention = ExtractiveAnswer(Citation(1, 3, "/notes/a.md", "ML > Regularization", 270, 280),
                               (QuotedLine(274, "4. 早停法 (Early Stop) ![图](http://evil.invalid/x.png)"),),
                               "passage")
    show_answer(Answer("早停法是根据什么停止训练的？", "zh", "笔记中没有讲解：早停法。", (), False,
                       False, untreated=("早停法",), mentions=(mention,)))


def test_a_refusal_shows_where_the_notes_mention_the_name_in_passing():
    """The lines a refusal quotes (``Answer.mentions``) show under their own caption, with
    their line numbers, and fetch nothing."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_refusal_with_mentions).run()
    assert not app.exception
    captions = [c.value for c in app.caption]
    assert any(c.startswith("Where your notes mention it in passing") and "274" in c
               for c in captions)
    shown = "\n".join(m.value for m in app.markdown)
    assert "> 274: 4. 早停法 (Early Stop)" in shown and "://" not in shown
