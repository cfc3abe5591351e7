"""The embedder seam and its backends, on the real bundled model (no fakes).

Every backend runs the same contract; the fp32 ``SentenceTransformer.encode`` is the oracle.
The int8 tolerance (cosine >= 0.99) sits below what bench_embed.py measures on the sample
notes (min ~0.995, mean ~0.997).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest
from fakes import HashEmbedder

from ground.errors import ConfigError
from index.embedder import Embedder, EmbedKind, create_embedder, length_sorted_batches
from index.embedding_cache import CACHE_FILE_NAME, EmbeddingCache, embed_passages_cached

pytestmark = pytest.mark.slow

INT8_MIN_COSINE = 0.99

PASSAGES = [
    "梯度裁剪（Gradient Clipping）是在反向传播后把梯度的范数限制在阈值以内，防止梯度爆炸。",
    "Dropout 在训练时随机丢弃一部分神经元，以减少过拟合。",
    "学习率预热（warmup）在训练初期逐步增大学习率，使优化更稳定。",
    "Batch normalization normalizes activations over the mini-batch to speed up training.",
    "The attention mechanism weighs every token of the input when computing each output.",
]
GRADIENT_CLIPPING = 0


@pytest.fixture(scope="module")
def onnx_settings(model_settings, embedding_model_dir):
    """Settings whose bundled model has its int8 export (built once per machine, ~1 min)."""
    from models.onnx_export import install_onnx_int8, onnx_int8_installed

    if not onnx_int8_installed(model_settings):
        install_onnx_int8(model_settings)
    return model_settings


@pytest.fixture(scope="module")
def fp32_model(embedding_model_dir):
    """The oracle: plain sentence-transformers, fp32."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(embedding_model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def onnx_embedder(onnx_settings) -> Embedder:
    return create_embedder(onnx_settings.replace(embedding_backend="onnx-int8"))


@pytest.fixture(scope="module")
def torch_embedder(fp32_model, embedding_model_dir) -> Embedder:
    from index.embed_torch import TorchEmbedder

    return TorchEmbedder(fp32_model, "test-e5/torch-fp32")


@pytest.fixture(params=["onnx-int8", "torch"])
def embedder(request) -> Embedder:
    return request.getfixturevalue(request.param.replace("-int8", "") + "_embedder")


def test_rows_are_unit_float32(embedder):
    vectors = embedder.embed_batch(PASSAGES, "passage")
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(PASSAGES), embedder.dim) == (len(PASSAGES), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_query("梯度裁剪").shape == (384,)
    assert embedder.embed_batch([], "query").shape == (0, 384)
    assert embedder.embed_passages([]).shape == (0, 384)


def test_query_and_passage_prompts_differ(embedder):
    text = "什么是梯度裁剪？"
    as_query = embedder.embed_batch([text], "query")[0]
    as_passage = embedder.embed_batch([text], "passage")[0]
    assert float(as_query @ as_passage) < 0.99


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_matches_sentence_transformers_fp32(embedder, fp32_model, kind: EmbedKind):
    expected = fp32_model.encode(PASSAGES, prompt_name=kind, normalize_embeddings=True)
    cosines = np.sum(embedder.embed_batch(PASSAGES, kind) * expected, axis=1)
    floor = INT8_MIN_COSINE if embedder.model_id.endswith("onnx-int8") else 0.99999
    assert cosines.min() >= floor, cosines


def test_embed_passages_keeps_input_order(embedder):
    texts = [PASSAGES[1], PASSAGES[0] * 6, PASSAGES[3], "短", PASSAGES[2]]
    batched = embedder.embed_passages(texts)
    one_by_one = np.stack([embedder.embed_batch([t], "passage")[0] for t in texts])
    # int8 activations are quantized per batch, so batch-mates move a vector a little
    assert np.sum(batched * one_by_one, axis=1).min() > 0.995


def test_progress_reports_every_batch(onnx_embedder):
    seen: list[tuple[int, int]] = []
    onnx_embedder.embed_passages(
        PASSAGES * 30, progress=lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (150, 150)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize(
    ("query", "lang"), [("梯度裁剪是什么？", "zh"), ("what is gradient clipping?", "en")]
)
def test_chinese_and_english_queries_find_gradient_clipping(embedder, query, lang):
    scores = embedder.embed_passages(PASSAGES) @ embedder.embed_query(query)
    assert int(np.argmax(scores)) == GRADIENT_CLIPPING, (lang, scores)


def test_token_counts_match_the_models_tokenizer(onnx_embedder, fp32_model):
    texts = ["passage: " + t for t in PASSAGES] + ["passage: " + "很长的文本。" * 400]
    expected = [
        len(ids)
        for ids in fp32_model.tokenizer(texts, truncation=True, max_length=512)["input_ids"]
    ]
    assert (
        onnx_embedder.token_counts([t.removeprefix("passage: ") for t in texts], "passage")
        == expected
    )


def test_length_sorted_batches_respect_the_budget():
    counts = [5, 300, 40, 512, 7, 7, 120, 64]
    batches = length_sorted_batches(counts, token_budget=600, max_batch_size=3)
    assert sorted(i for batch in batches for i in batch) == list(range(len(counts)))
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * max(counts[i] for i in batch) <= 600
    longest_first = [counts[batch[0]] for batch in batches]
    assert longest_first == sorted(longest_first, reverse=True)


class CountingEmbedder(Embedder):
    """Delegates to a real embedder and counts the texts that cross the seam."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner.model_id, inner.dim)
        self.inner = inner
        self.embedded = 0

    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed_batch(texts, kind)


def test_cache_embeds_only_new_or_changed_passages(onnx_embedder, tmp_path):
    counting = CountingEmbedder(onnx_embedder)
    with EmbeddingCache.open(tmp_path, counting.model_id, counting.dim) as cache:
        first = embed_passages_cached(counting, cache, PASSAGES)
        assert counting.embedded == len(PASSAGES)
        again = embed_passages_cached(counting, cache, PASSAGES)
        assert counting.embedded == len(PASSAGES)
        np.testing.assert_array_equal(first, again)
        edited = (
            PASSAGES[:2] + ["Dropout 随机丢弃神经元（已修改）。"] + PASSAGES[3:] + [PASSAGES[0]]
        )
        embed_passages_cached(counting, cache, edited)
        assert counting.embedded == len(PASSAGES) + 1
    with EmbeddingCache.open(tmp_path, counting.model_id, counting.dim) as reopened:
        reused = embed_passages_cached(counting, reopened, PASSAGES)
        assert counting.embedded == len(PASSAGES) + 1
        np.testing.assert_array_equal(first, reused)
        assert len(reopened) == len(PASSAGES) + 1
        assert reopened.retain([]) == len(PASSAGES) + 1
        assert len(reopened) == 0


def test_cache_is_keyed_by_model_and_never_pickled(onnx_embedder, tmp_path):
    with EmbeddingCache.open(tmp_path, onnx_embedder.model_id, onnx_embedder.dim) as cache:
        vectors = embed_passages_cached(onnx_embedder, cache, PASSAGES[:2], ["a", "b"])
    with EmbeddingCache.open(tmp_path, "another-model/torch-fp32", onnx_embedder.dim) as other:
        assert other.get(["a", "b"]) == {}
    with sqlite3.connect(tmp_path / CACHE_FILE_NAME) as db:
        rows = dict(db.execute("SELECT content_hash, vector FROM embeddings").fetchall())
    assert set(rows) == {"a", "b"}
    for key, row in zip(["a", "b"], vectors, strict=True):
        assert len(rows[key]) == 4 * onnx_embedder.dim
        assert not rows[key].startswith(b"\x80")  # pickle's PROTO opcode
        np.testing.assert_array_equal(np.frombuffer(rows[key], dtype="<f4"), row)


def test_factory_resolves_backends(onnx_settings, tmp_path):
    from index.embedder import resolve_backend

    assert resolve_backend(onnx_settings.replace(embedding_backend="auto")) == "onnx-int8"
    assert resolve_backend(onnx_settings.replace(embedding_backend="torch")) == "torch"
    user_model = onnx_settings.replace(embedding_backend="auto", embedding_model=str(tmp_path))
    assert resolve_backend(user_model) == "torch"
    with pytest.raises(ConfigError, match="embedding_backend"):
        onnx_settings.replace(embedding_backend="openvino")


def test_onnx_backend_loads_without_torch(onnx_settings):
    """What every CLI call pays: the int8 path must not import torch or transformers."""
    code = (
        "import sys; from ground.settings import Settings;"
        "from index.embedder import create_embedder;"
        f"s = Settings.load(overrides={{'model_cache': {str(onnx_settings.model_cache)!r},"
        " 'embedding_backend': 'auto'});"
        "e = create_embedder(s); v = e.embed_query('梯度裁剪');"
        "print(e.model_id, v.shape, 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    model_id, *_, torch_loaded, transformers_loaded = result.stdout.split()
    assert model_id.endswith("/onnx-int8")
    assert (torch_loaded, transformers_loaded) == ("False", "False")


class RecordingEmbedder(HashEmbedder):
    """The fake embedder, keeping every text it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        self.texts += texts
        return super().embed_batch(texts, kind)


def test_a_remembering_embedder_embeds_each_distinct_text_once():
    from index.embedder import RememberingEmbedder

    inner = RecordingEmbedder()
    remembering = RememberingEmbedder(inner)
    first = remembering.embed_passages(["梯度裁剪", "权重衰减", "梯度裁剪"])
    again = remembering.embed_passages(["权重衰减", "批归一化"])
    assert np.array_equal(first[0], first[2]) and np.array_equal(first[1], again[0])
    assert sorted(inner.texts) == sorted(["批归一化", "权重衰减", "梯度裁剪"])
    np.testing.assert_array_equal(again, inner.embed_batch(["权重衰减", "批归一化"], "passage"))
    remembering.embed_query("梯度裁剪")  # a query is embedded as a query, not as the passage
    assert inner.texts.count("梯度裁剪") == 2


def test_the_quote_weighs_paragraphs_as_read_not_their_image_addresses():
    """dev7: paragraphs of formula images were weighed by their percent-encoded addresses
    (512 tokens, cut short: one quote took 0.38 s). The quote's embedder reads the TeX."""
    from assistant.budget import query_terms
    from assistant.extractive import extract_from_passage
    from assistant.retrieval import Passage
    from ground.records import Chunk, Hit

    image = ("![C = \\frac{m}{\\lambda}](http://chart.apis.google.com/chart?cht=tx&chl="
             "C%20%3D%20%5Cfrac%7Bm%7D%7B%5Clambda%7D)")
    others = [f"第{i}点：核函数把样本映射到更高维的空间，再用线性的决策边界把两类分开，"
              "间隔越大，分类器对新样本越稳健。" for i in range(8)]
    text = "\n\n".join(["SVM 的代价函数里，C 乘在误差项前面，误差越大代价越高。", *others,
                         f"可以认为这里的 {image}，只是表达形式问题。"]) + "\n"
    chunk = Chunk(1, 1, "/notes/svm.md", "svm", ("svm", "代价函数"), 1, text.count("\n"), 0,
                  len(text), text, "h1")
    question = "SVM 里的 C 和正则化参数 lambda 是什么关系？"
    embedder = RecordingEmbedder()
    quoted = extract_from_passage(Passage(1, Hit(chunk, 1.0), text), query_terms(question),
                                  question, embedder)
    assert quoted is not None and embedder.texts
    assert not any("chart.apis.google.com" in weighed for weighed in embedder.texts)
    assert any("$C = \\frac{m}{\\lambda}$" in weighed for weighed in embedder.texts)
