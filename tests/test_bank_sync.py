"""Keeping the question bank in step with its library (``assistant.bank_sync``), on fakes."""

from __future__ import annotations

from fakes import FakeModelsLibrary

from assistant.bank import attach


def test_reextracting_keeps_the_definition_mcqs_made_from_the_cards(tmp_path, fake_settings):
    """``study bank reextract`` used to retire every definition MCQ (their slots are not the
    extraction rules' own) and could not bring them back."""
    from assistant.bank import QuestionBank

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "terms.md").write_text(
        "# 术语\n\n" + "".join(
            f"## 第 {n} 节\n\n{term}（{gloss}）是指{text}。\n\n"
            for n, (term, gloss, text) in enumerate((
                ("梯度裁剪", "Clipping", "在梯度的范数超过阈值时按比例缩小梯度的一种训练技巧"),
                ("早停法", "Early Stop", "在验证集上的性能不再提升时提前结束训练的一种正则方法"),
                ("词嵌入", "Embedding", "把离散的词映射为稠密低维向量的一种表示方法"),
                ("学习率预热", "Warmup", "在训练初期让学习率从很小的值逐步增大到设定值的策略"),
                ("注意力机制", "Attention", "按相关程度给序列中各位置分配权重再加权求和的计算方式"),
            ), start=1)), encoding="utf-8")
    library = FakeModelsLibrary.open(fake_settings.replace(home=tmp_path / "home"))
    try:
        attach(library)
        library.ingest([notes])
        with QuestionBank.open(library) as bank:
            before = {i.item_key for i in bank.store.items("active")
                      if i.made_by == "extracted:definition-mcq"}
            assert before
            bank.reextract()
            after = {i.item_key for i in bank.store.items("active")
                     if i.made_by == "extracted:definition-mcq"}
        assert after == before
    finally:
        library.close()
