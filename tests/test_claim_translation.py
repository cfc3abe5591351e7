"""A Chinese sentence of an explanation checked against an English passage of the prompt, through
the real model's translation of the sentence and the real e5 embedder (``claim_translation``)."""

from __future__ import annotations

from assistant_support import generator_fixture  # noqa: F401 (fixture)

from assistant.citations import check_citations, marker_numbers
from assistant.claim_translation import checked_in_both_languages
from assistant.generator import Generator
from assistant.library_profile import profile_of
from assistant.retrieval import Passage
from ground.records import Chunk, Hit

KNN = ("KNN is a lazy learner: it does no training, but making a prediction is expensive.\n"
       "With K=1 or a small K the model overfits and has high variance; as K grows toward the "
       "number of training points it underfits and has high bias.")
QUESTION = "最近邻分类里，邻居个数取得太小或者太大，分别会出现什么问题？"
RIGHT = "邻居个数取得太小时，模型会过拟合，方差很高。"
WRONG = "邻居个数取得太小时，模型需要的内存会成倍增加。"
TURNED = "邻居个数取得太大时，模型不会欠拟合。"  # every word is the passage's; it negates it


def knn_passage() -> Passage:
    chunk = Chunk(1, 1, "/notes/ds.md", "ds", ("Data Science", "KNN"), 316, 318, 0, len(KNN),
                  KNN, "h")
    return Passage(1, Hit(chunk, 1.0), KNN)


def test_a_chinese_sentence_is_kept_when_its_translation_is_in_the_english_passage(
        sample_library, generator):
    passages = [knn_passage()]
    profile = profile_of(sample_library)
    text = RIGHT + WRONG + TURNED
    alone = check_citations(text, passages, sample_library.embedder, QUESTION, profile)
    assert set(alone.unsupported) == {RIGHT, WRONG, TURNED}  # no Chinese word is in the passage
    checked = checked_in_both_languages(text, passages, sample_library.embedder, QUESTION,
                                        profile, generator)
    assert checked.unsupported == (WRONG, TURNED), checked.checks
    assert "过拟合" in checked.text and marker_numbers(checked.text) == [1]


class NoModel(Generator):
    """A generator that must not be asked (plumbing: the check's own decision is tested)."""

    def stream(self, prompt, cancel=None):
        raise AssertionError("the model was asked to translate")


def test_no_translation_is_asked_when_the_passages_share_the_question_language(sample_library):
    text = "With a small K the model needs ten times the memory."
    checked = checked_in_both_languages(text, [knn_passage()], sample_library.embedder,
                                        "What goes wrong with a small K in KNN?",
                                        profile_of(sample_library), NoModel())
    assert checked.unsupported == (text,)
