"""The last self-test's figures, kept in the library home so ``study ingest`` can show them.

Written atomically: a crash while saving leaves the previous figures, never half a file.
"""

from __future__ import annotations

import json
from pathlib import Path

from ground.atomic_files import atomic_write_bytes
from index.evaluation import Scores

SELF_EVAL_FILE = "self_eval.json"


def save_self_eval(home: Path, scores: Scores) -> None:
    record = {
        "questions": scores.questions,
        "recall_at_1": scores.hit_at_1,
        "recall_at_5": scores.hit_at_5,
        "mrr_at_10": scores.mrr_at_10,
    }
    atomic_write_bytes(home / SELF_EVAL_FILE, json.dumps(record).encode("utf-8"))


def load_self_eval(home: Path) -> Scores | None:
    """The figures of the last ``Library.self_test()`` in ``home``, or None if there are none."""
    try:
        record = json.loads((home / SELF_EVAL_FILE).read_text(encoding="utf-8"))
        return Scores(
            "self",
            int(record["questions"]),
            float(record["recall_at_1"]),
            float(record["recall_at_5"]),
            float(record["mrr_at_10"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
