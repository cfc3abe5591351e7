"""Without a usable LLM every mode still answers extractively and says why (real library)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from assistant.facade import Assistant
from assistant.generator import UnavailableGenerator, open_generator
from assistant.quiz_schema import SCHEMAS
from ground.errors import ModelError
from ui.cli import main


@pytest.fixture(scope="module")
def missing_model(tmp_path_factory, model_settings):
    path = tmp_path_factory.mktemp("no-model") / "absent.gguf"
    return model_settings.replace(llm_model=str(path))


@pytest.fixture(scope="module")
def offline(sample_library, missing_model) -> Assistant:
    return Assistant.open(sample_library, missing_model)


def test_a_missing_model_file_gives_an_unavailable_generator_naming_it(missing_model):
    generator = open_generator(missing_model)
    assert isinstance(generator, UnavailableGenerator) and not generator.available
    assert "absent.gguf" in generator.reason
    with pytest.raises(ModelError):
        generator.complete(None)


def test_a_corrupt_model_file_fails_to_load_into_an_unavailable_generator(tmp_path,
                                                                          model_settings):
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    generator = open_generator(model_settings.replace(llm_model=str(corrupt)))
    assert not generator.available and "corrupt.gguf" in generator.reason


def test_explain_shows_the_best_passages_with_locations(offline):
    explanation = offline.explain("什么是梯度裁剪？")
    assert not explanation.will_generate
    answer = explanation.finish()
    assert answer.covered and not answer.generated
    assert "生成不可用" in answer.text and "generation is unavailable" in answer.notice
    assert "[1]" in answer.text and answer.citations
    assert "梯度裁剪" in answer.citations[0].heading
    assert answer.citations[0].location.endswith(
        f":{answer.citations[0].start_line}-{answer.citations[0].end_line}")


def test_quiz_items_are_built_from_the_notes(offline, sample_library):
    items = list(offline.quiz("正则化", count=3, kind="mcq"))
    assert len(items) == 3
    chunk_ids = {chunk.id for chunk in sample_library.chunks()}
    for item in items:
        jsonschema.validate({"question": item.question, "options": list(item.options),
                             "answer_index": item.answer_index,
                             "explanation": item.explanation}, SCHEMAS["mcq"])
        assert item.citation.chunk_id in chunk_ids and not item.generated
        assert offline.grade(item, "ABCD"[item.answer_index]).correct
    short = next(offline.quiz("梯度裁剪", count=1, kind="short"))
    assert offline.grade(short, short.answer).correct  # verbatim: similarity alone suffices
    assert not offline.grade(short, "红烧肉要先炒糖色。").correct


def test_compare_fills_a_cited_definition_row(offline):
    comparison = offline.compare(["CNN", "RNN"])
    assert not comparison.generated and "unavailable" in comparison.notice
    row = comparison.rows[0]
    numbers = {c.number for c in comparison.citations}
    assert all(cell.citations and set(cell.citations) <= numbers for cell in row.cells)


def test_the_cli_answers_with_json_citations(sample_library, missing_model, capsys):
    home = str(sample_library.settings.home)
    code = main(["--home", home, "--llm-model", missing_model.llm_model,
                 "ask", "什么是梯度裁剪？", "--json"])
    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["citations"] and answer["citations"][0]["start_line"] >= 1
    assert answer["generated"] is False

    code = main(["--home", home, "--llm-model", missing_model.llm_model,
                 "quiz", "--topic", "正则化", "-n", "2", "--json"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    assert all(json.loads(line)["citation"]["source"] for line in lines)

    code = main(["--home", home, "--llm-model", missing_model.llm_model,
                 "compare", "L1", "L2", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["citations"]
