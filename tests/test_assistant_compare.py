"""Compare mode with the real model: one retrieval per concept, a cited cell per row."""

from __future__ import annotations

import re

import jsonschema
import pytest
from assistant_support import assistant_fixture, generator_fixture  # noqa: F401 (fixtures)

from assistant.compare import EMPTY, compare_schema
from assistant.prompts import COMPARE_ASPECTS
from ground.errors import ConfigError


@pytest.fixture(scope="module")
def comparison(assistant):
    """One comparison, read by the tests below (each costs the model ~2.5 min on 2 cores)."""
    return assistant.compare(["L1 正则化", "L2 正则化"])


def test_compare_writes_a_table_with_citations_in_each_row(comparison):
    assert comparison.generated and comparison.language == "zh"
    assert [row.aspect for row in comparison.rows] == list(COMPARE_ASPECTS)
    numbers = {c.number: c for c in comparison.citations}
    for row in comparison.rows:
        assert len(row.cells) == 2
        for cell in row.cells:
            assert cell.text == EMPTY or (cell.citations and set(cell.citations) <= set(numbers))
    filled = [cell for row in comparison.rows for cell in row.cells if cell.text != EMPTY]
    assert len(filled) >= 5
    assert any("正则化" in numbers[n].heading for cell in filled for n in cell.citations)
    table = comparison.markdown()
    assert table.startswith("| | L1 正则化 | L2 正则化 |") and "[1]" in table


def shared_wording(claim: str, source: str) -> float:
    """The share of ``claim``'s CJK character pairs and Latin words found in ``source``."""
    han = "".join(c if "\u4e00" <= c <= "\u9fff" else " " for c in claim)
    words = {run[i:i + 2] for run in han.split() for i in range(len(run) - 1)}
    words |= set(re.findall(r"[a-z]{3,}", claim.lower()))
    return sum(w in source.lower() for w in words) / len(words) if words else 1.0


def test_each_filled_cell_says_what_its_cited_passage_says(comparison):
    """Not the grammar's shape: the cell's words come from the passage it cites."""
    by_number = {p.number: p for p in comparison.passages}
    filled = [(row.aspect, cell) for row in comparison.rows for cell in row.cells
              if cell.text != EMPTY]
    assert filled
    for aspect, cell in filled:
        source = " ".join(by_number[n].text for n in cell.citations)
        assert shared_wording(cell.text, source) >= 0.5, (aspect, cell, source[:300])


def test_each_cell_may_only_cite_its_own_concepts_passages():
    schema = compare_schema(["CNN", "RNN"], [[1, 2], [3]])
    cell = {"text": "卷积", "source": 1}
    column = {"concept": "CNN"} | {aspect: cell for aspect in COMPARE_ASPECTS}
    other = {"concept": "RNN"} | {aspect: {"text": "循环", "source": 3} for aspect in
                                  COMPARE_ASPECTS}
    jsonschema.validate({"columns": [column, other]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"columns": [column, other | {"purpose": cell}]}, schema)


def test_compare_needs_two_to_four_concepts(assistant):
    with pytest.raises(ConfigError):
        assistant.compare(["CNN"])
