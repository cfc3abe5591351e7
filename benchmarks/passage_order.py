"""Which order of the retrieved sections puts the gold one first (no LLM).

    python -m benchmarks.passage_order --sample-home H1 --dev2-home H2

For every covered question of both dev sets whose gold section is among the top 8 hits, how
often each ordering puts it first (and within the first two or three): the retriever's own
order, the closeness (e5 cosine) of each hit's quoted answer block, of its heading, of its
whole text, and sums. Behind ``assistant.explain.choose_passages`` (28 Nov: retriever 44/68
and 31/46 first; answer-block closeness 37/68 and 20/46).
"""

from __future__ import annotations

import argparse

import numpy as np

from assistant.budget import query_terms
from assistant.extractive import extract_from_passage
from assistant.retrieval import Passage
from benchmarks.bench_answers import gold_chunks, load_questions, open_library


def features(library, item) -> dict:
    question = item["query"]
    hits = library.search(question, k=8)
    gold = {c.id for c in gold_chunks(library, item)}
    terms = query_terms(question)
    blocks = [extract_from_passage(Passage(i, h, h.chunk.text), terms, question)
              for i, h in enumerate(hits, 1)]
    heads = [h.chunk.heading_path[-1] if h.chunk.heading_path else h.chunk.title for h in hits]
    texts = heads + [(b.text if b else h.chunk.text)[:240] for b, h in zip(blocks, hits,
                                                                          strict=True)]
    texts += [h.chunk.text[:1500] for h in hits]
    vectors = np.asarray(library.embedder.embed_passages(texts))
    closeness = vectors @ np.asarray(library.embedder.embed_query(question))
    n = len(hits)
    return {"gold": [h.chunk.id in gold for h in hits], "heading": closeness[:n],
            "block": closeness[n:2 * n], "chunk": closeness[2 * n:]}


ORDERS = {
    "retriever": lambda f: -np.arange(len(f["gold"])),
    "answer block": lambda f: f["block"],
    "heading": lambda f: f["heading"],
    "whole chunk": lambda f: f["chunk"],
    "heading + block": lambda f: f["heading"] + f["block"],
    "heading + block + chunk - 0.02 rank": lambda f: f["heading"] + f["block"] + f["chunk"]
    - 0.02 * np.arange(len(f["gold"])),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample-home", required=True)
    parser.add_argument("--dev2-home", required=True)
    args = parser.parse_args()
    for name, home in (("sample", args.sample_home), ("dev2", args.dev2_home)):
        library, _ = open_library(home)
        rows = [features(library, item) for item in load_questions(name) if item["covered"]]
        rows = [r for r in rows if any(r["gold"])]
        for order, score in ORDERS.items():
            ranks = [np.argsort(-np.asarray(score(r)), kind="stable") for r in rows]
            within = [sum(any(r["gold"][i] for i in rank[:k]) for r, rank in
                          zip(rows, ranks, strict=True)) for k in (1, 2, 3)]
            print(f"{name:6s} {order:38s} first {within[0]}/{len(rows)}, "
                  f"in two {within[1]}, in three {within[2]}")


if __name__ == "__main__":
    main()
