"""What the UI tests share: a practice history to seed, and the text a page shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def seed_history(settings, topics: int = 6) -> None:
    """Answers on ``topics`` topics over two weeks, from always wrong to always right."""
    from assistant.grading import Grade
    from assistant.quiz_schema import QuizItem
    from assistant.retrieval import Citation
    from ground.records import Hit
    from index.library import Library
    from memory.study_memory import StudyMemory

    patterns = ("www", "cwiw", "cw", "ccw", "pcc", "cccc")[:topics]
    verdicts = {"c": "correct", "p": "partial", "w": "incorrect", "i": "incorrect"}
    start = datetime.now(UTC) - timedelta(days=14)
    with Library.open(settings) as library, StudyMemory.open(library) as memory:
        chunks = [c for c in library.chunks() if "？" in c.heading_path[-1]]
        chosen = [chunks[i * len(chunks) // len(patterns)] for i in range(len(patterns))]
        for number, (chunk, pattern) in enumerate(zip(chosen, patterns, strict=True)):
            citation = Citation.of(1, Hit(chunk, 1.0))
            item = QuizItem("mcq", chunk.heading_path[-1], ("A", "B", "C", "D"), 0, "A", "",
                            citation, chunk.text[:200], True)
            for day, code in enumerate(pattern):
                verdict = verdicts[code]
                memory.record(item, "A" if verdict == "correct" else "B",
                              Grade(verdict, "", "A", citation),
                              now=start + timedelta(days=3 * day + number))
