"""A sentence that only leads into code is not the notes' answer to a question in words.

English course notes put "Here is a Python implementation that …:" after nearly every
explanation, and the section's code goes into a chunk of its own. The lead-in names the
question's words (the algorithm, random initialisation), so it was quoted alone, or at the end
of the list that answers, pointing at code the quote leaves out (r90 dev8:c17).
"""

from __future__ import annotations

import pytest

from assistant.budget import query_terms
from assistant.extractive import extract_from_passage
from assistant.retrieval import Passage
from ground.records import Chunk, Hit

LEAD_IN = ("Here is a Python implementation that demonstrates the core steps of the K-means "
           "algorithm and illustrates the effect of random initialization on the clustering:")
EXPLANATION = [
    "### Random Initialization",
    "",
    "K-means can converge to different solutions depending on where the centroids start.",
    "",
    "- The algorithm is typically initialized randomly.",
    "- It is run many times (say, 100 times) with different random initializations.",
    "- The clustering with the lowest cost at convergence is kept.",
    "",
    LEAD_IN,
]
CODE = ["", "```python", "import numpy as np", "", "def kmeans(X, k, seed):",
        "    rng = np.random.default_rng(seed)  # random initialization of the centroids",
        "    return X[rng.choice(len(X), k)]", "```"]
QUESTION = "K-means gives a different result on every run because of random initialization. " \
           "What should I do about it?"


def passage(lines: list[str]) -> Passage:
    text = "\n".join(lines)
    chunk = Chunk(1, 1, "/notes/clustering.md", "clustering", ("clustering", "Random "
                  "Initialization"), 1, len(lines), 0, len(text), text, "h")
    return Passage(1, Hit(chunk, 1.0), text)


def quoted_lines(lines: list[str], embedder=None) -> list[str]:
    found = extract_from_passage(passage(lines), query_terms(QUESTION), QUESTION, embedder)
    assert found is not None
    return [line.text for line in found.lines]


def test_a_section_ending_on_a_lead_in_to_its_code_is_quoted_without_it():
    """The section's chunk ends on the lead-in (its code is the next chunk's)."""
    text = quoted_lines(EXPLANATION)
    assert any("lowest cost" in line for line in text)
    assert LEAD_IN not in text


@pytest.mark.slow
def test_a_lead_in_to_code_is_not_the_paragraph_quoted(sample_library):
    """With its code in the passage, the lead-in and the code are one block that says nothing
    in words; the closest paragraph that does is the list."""
    text = quoted_lines(EXPLANATION + CODE, sample_library.embedder)
    assert any("100 times" in line for line in text)
    assert LEAD_IN not in text
