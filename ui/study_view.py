"""TEMPORARY bridge to study memory (replaced when assistant/study_memory lands)."""


def due_review_items():
    return None


def record_answer(item, response, grade) -> None:
    return None
