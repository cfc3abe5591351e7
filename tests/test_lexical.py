"""Keyword search: a hand-computed BM25 oracle, Chinese/English/mixed queries, persistence."""

from __future__ import annotations

import json
import math
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from ground.errors import LibraryStateError
from index.lexical import LexicalIndex, tokenize
from index.manifest import MANIFEST_NAME


def test_bm25_scores_match_a_hand_computed_case():
    """Lucene BM25, k1=1.5, b=0.75, three documents of 3, 2 and 4 tokens (avgdl = 3).

    idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)); tf part = tf / (tf + k1 (1 - b + b dl/avgdl))

    "apple" (df 1): idf = ln(1 + 2.5/1.5) = 0.980829; doc 0 has tf 2, dl 3:
        2 / (2 + 1.5) = 0.571429 -> 0.560474
    "banana cherry" (df 2 each): idf = ln(1 + 1.5/2.5) = ln 1.6 = 0.470004
        doc 0: banana tf 1, dl 3: 1 / 2.5 = 0.4 -> 0.188002
        doc 1: both tf 1, dl 2: 1 / (1 + 1.5 * 0.75) = 0.470588 each -> 0.442357
        doc 2: cherry tf 1, dl 4: 1 / (1 + 1.5 * 1.25) = 0.347826 -> 0.163480
    """
    index = LexicalIndex.build(
        [10, 11, 12], ["apple banana apple", "banana cherry", "cherry date fig elder"]
    )
    assert index.scores_of("apple") == pytest.approx({10: 0.560474, 11: 0.0, 12: 0.0}, abs=1e-5)
    expected = {10: 0.188002, 11: 0.442357, 12: 0.163480}
    assert index.scores_of("banana cherry") == pytest.approx(expected, abs=1e-5)
    assert math.log(1.6) == pytest.approx(0.470004, abs=1e-6)
    hits = index.search("banana cherry", 2)
    assert [h.id for h in hits] == [11, 10]
    assert hits[0].score == pytest.approx(0.442357, abs=1e-5)


def test_tokenizer_handles_chinese_english_and_code():
    assert tokenize("深度学习") == ["深度", "度学", "学习"]
    assert tokenize("熵") == ["熵"]
    assert tokenize("用PyTorch训练") == ["用", "pytorch", "py", "torch", "训练"]
    assert tokenize("the batch_norm of a ResNet50") == [
        "batch_norm",
        "batch",
        "norm",
        "resnet50",
        "res",
        "net50",
    ]
    assert tokenize("Ｃ++ and C# in ＧＰＵ　２") == ["c++", "c#", "gpu", "2"]
    assert tokenize("，。！？ ... ---") == []


NOTES = [
    "反向传播算法通过链式法则计算损失函数对每个参数的梯度。",
    "卷积神经网络（CNN）常用于图像识别，池化层可以降低特征图的尺寸。",
    "预训练语言模型如BERT先在大规模语料上训练，再针对下游任务微调。",
    "Gradient descent updates the weights in the direction of the negative gradient.",
    "Call torch.nn.BatchNorm2d after a convolution; batch_norm keeps activations stable.",
    "迁移学习把在一个任务上学到的知识用到另一个任务上。",
]
IDS = [101, 102, 103, 104, 105, 106]


@pytest.fixture(scope="module")
def notes_index() -> LexicalIndex:
    return LexicalIndex.build(IDS, NOTES)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("链式法则", 101),  # Chinese with no spaces, a word inside a sentence
        ("传播算", 101),  # a fragment that crosses a word boundary
        ("池化层有什么作用", 102),
        ("BERT预训练", 103),  # mixed, no space between scripts
        ("bert 微调", 103),  # case-folded English
        ("negative gradient", 104),
        ("Gradient Descent", 104),
        ("batch norm", 105),  # prose finds an identifier
        ("BatchNorm2d", 105),
        ("什么是迁移学习？", 106),
    ],
)
def test_query_finds_the_right_note(notes_index, query, expected):
    assert notes_index.search(query, 3)[0].id == expected


def test_no_shared_term_no_results(notes_index):
    assert notes_index.search("quantum chromodynamics", 5) == []
    assert notes_index.search("", 5) == []
    assert notes_index.search("的", 5) == []


def test_results_only_have_positive_scores_best_first(notes_index):
    hits = notes_index.search("梯度 gradient", 10)
    assert {h.id for h in hits} == {101, 104}
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_only_ids_filters_before_the_cut(notes_index):
    hits = notes_index.search("梯度 gradient", 1, only_ids=np.array([101]))
    assert [h.id for h in hits] == [101]


def test_build_rejects_misaligned_or_duplicate_ids():
    with pytest.raises(ValueError):
        LexicalIndex.build([1, 2], ["only one"])
    with pytest.raises(ValueError):
        LexicalIndex.build([1, 1], ["a b", "c d"])


def test_empty_library_saves_and_searches(tmp_path):
    index = LexicalIndex.build([], [])
    index.save(tmp_path)
    assert LexicalIndex.open(tmp_path, expected_count=0).search("anything", 5) == []


def test_sample_notes_answer_a_chinese_question(sample_notes_dir: Path):
    paragraphs = [
        p.strip()
        for f in sorted(sample_notes_dir.glob("*.txt"))
        for p in re.split(r"\n\s*\n", f.read_text(encoding="utf-8"))
        if p.strip()
    ]
    index = LexicalIndex.build(range(len(paragraphs)), paragraphs)
    best = paragraphs[index.search("迁移学习的实现方法", 1)[0].id]
    assert "迁移学习" in best


def test_save_open_roundtrip(notes_index, tmp_path):
    manifest = notes_index.save(tmp_path)
    assert manifest.count == len(NOTES)
    reopened = LexicalIndex.open(tmp_path, expected_count=len(NOTES))
    for query in ("链式法则", "batch norm", "BERT预训练"):
        assert reopened.search(query, 3) == notes_index.search(query, 3)


def open_error(directory: Path, **kwargs) -> str:
    with pytest.raises(LibraryStateError) as caught:
        LexicalIndex.open(directory, **kwargs)
    assert "study reindex" in str(caught.value)
    return str(caught.value)


def test_damaged_files_are_reported(notes_index, tmp_path):
    notes_index.save(tmp_path)
    for path in sorted(p for p in tmp_path.iterdir() if p.name != MANIFEST_NAME):
        original = path.read_bytes()
        path.write_bytes(original[:-3])
        assert "truncated" in open_error(tmp_path)
        damaged = bytearray(original)
        damaged[-2] ^= 0x55
        path.write_bytes(bytes(damaged))
        assert "corrupt" in open_error(tmp_path)
        path.write_bytes(original)
    assert "6" in open_error(tmp_path, expected_count=5)


def test_index_from_another_tokenizer_is_reported(notes_index, tmp_path):
    notes_index.save(tmp_path)
    manifest_path = tmp_path / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["model_id"] = "bm25s-lucene/jieba-v0"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert "jieba-v0" in open_error(tmp_path)


class _Tripwire:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_planted_pickle_is_never_read(notes_index, tmp_path, monkeypatch):
    notes_index.save(tmp_path)
    marker = tmp_path.parent / f"{tmp_path.name}-unpickled"
    for name in ("index.pkl", "corpus.pkl", "retriever.pkl"):
        (tmp_path / name).write_bytes(pickle.dumps(_Tripwire(marker)))

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used while loading the keyword index")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert LexicalIndex.open(tmp_path).search("链式法则", 1)[0].id == 101
    assert not marker.exists()
