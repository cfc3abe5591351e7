"""A hard-wrapped note is quoted as much as the same note with one line per sentence.

English notes are often wrapped at a fixed width (d2l's sections, the data-science Q&A), so a
sentence takes two or three lines. The quote's line limit counts sentences, not the lines they
are wrapped on, and an item wrapped over two lines is still an item the next one finishes.
"""

from __future__ import annotations

import pytest

from assistant.budget import query_terms
from assistant.extractive import extract_from_passage
from assistant.retrieval import Passage
from ground.records import Chunk, Hit

KNN = "\n".join([
    "### KNN",
    "",
    "* Given a data point, we compute the K nearest data points (neighbors) using certain",
    "distance metric (e.g., Euclidean metric). For classification, we take the majority label",
    "of neighbors; for regression, we take the mean of the label values.",
    "* Note for KNN we don't train a model; we simply compute during",
    "inference time. This can be computationally expensive since each of the test example",
    "need to be compared with every training example to see how close they are.",
    "* There are approximation methods can have faster inference time by",
    "partitioning the training data into regions (e.g., [annoy](https://github.com/spotify/annoy))",
    "* When K equals 1 or other small number the model is prone to overfitting (high variance),"
    " while",
    "when K equals number of data points or other large number the model is prone to "
    "underfitting (high bias)",
])

GATES = "\n".join([
    "### Input Gate, Forget Gate, and Output Gate",
    "",
    "The data feeding into the LSTM gates are",
    "the input at the current time step and",
    "the hidden state of the previous time step.",
    "Three fully connected layers with sigmoid activation functions",
    "compute the values of the input, forget, and output gates.",
    "As a result of the sigmoid activation,",
    "all values of the three gates",
    "are in the range of $(0, 1)$.",
    "Additionally, we require an *input node*,",
    "typically computed with a *tanh* activation function.",
    "Intuitively, the *input gate* determines how much",
    "of the input node's value should be added",
    "to the current memory cell internal state.",
    "The *forget gate* determines whether to keep",
    "the current value of the memory or flush it.",
])


def passage(text: str) -> Passage:
    chunk = Chunk(1, 1, "/notes/wrapped.md", "wrapped", ("wrapped",), 1,
                  text.count("\n") + 1, 0, len(text), text, "h")
    return Passage(1, Hit(chunk, 1.0), text)


def quoted(text: str, question: str, embedder=None) -> str:
    found = extract_from_passage(passage(text), query_terms(question), question, embedder)
    assert found is not None
    return found.text


def test_a_list_of_wrapped_items_is_quoted_to_its_last_item():
    text = quoted(KNN, "What goes wrong when K in KNN is too small or too large?")
    assert "prone to overfitting" in text
    assert "underfitting (high bias)" in text


@pytest.mark.slow
def test_a_wrapped_paragraph_is_quoted_to_the_sentence_that_answers(sample_library):
    text = quoted(GATES, "What do the input gate and the forget gate of an LSTM control?",
                  sample_library.embedder)
    assert "input gate* determines how much" in text
    assert "forget gate* determines whether to keep" in text


DROPOUT = "\n".join([
    "### Dropout in Practice",
    "",
    "Let's think briefly about what we expect from a good predictive model.",
    "We want it to perform well on unseen data, and classical theory",
    "suggests that to close the gap we should aim for a simple model.",
    "Simplicity can come in the form of a small number of dimensions,",
    "or of a small norm of the parameters, as weight decay has it.",
    "Another useful notion of simplicity is smoothness, i.e., that the",
    "function should not be sensitive to small changes to its inputs.",
    "",
    "Then, Srivastava et al. developed a clever idea for how to apply",
    "this to the internal layers of a network, too.",
    "The method is called *dropout* because we literally",
    "*drop out* some neurons during training.",
    "Throughout training, on each iteration, standard dropout zeroes out",
    "some fraction of the nodes in each layer before the next one is computed.",
    "",
    "Bishop showed that training with input noise is equivalent to",
    "Tikhonov regularization, which is one reason the idea works at all,",
    "and the rest of this section shows how to implement it from scratch",
    "with a mask drawn afresh for every example in every minibatch.",
])


def test_a_definition_wrapped_over_two_lines_is_quoted_to_its_end():
    text = quoted(DROPOUT, "What is dropout?")
    assert "*drop out* some neurons during training." in text


SHORT_SECTION = "\n".join([
    "### Minibatch Stochastic Gradient Descent",
    "",
    "Gradient descent over the whole dataset and stochastic gradient",
    "descent over one example are the two extremes.",
    "A minibatch averages the gradients of a few examples, which gives",
    "a better estimate of the full gradient than one example does.",
    "It also lets the hardware compute the examples",
    "of a minibatch in parallel.",
    "The update is w <- w - eta * g_B, with g_B the mean gradient",
    "over the minibatch B.",
    "[back to top](#contents)",
])


def test_a_short_wrapped_section_is_quoted_whole_without_its_navigation():
    text = quoted(SHORT_SECTION, "Why do we use minibatches instead of single examples?")
    assert "two extremes" in text and "over the minibatch B." in text
    assert "back to top" not in text
