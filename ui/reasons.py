"""The library's and the assistant's English reasons, in the interface language.

Skip reasons and notices are written in English by the layers below (the CLI prints them as
they are); the app shows them through the label table. A reason no pattern knows is shown
inside a translated frame, so the student still learns the detail.
"""

from __future__ import annotations

import re

from ui.texts import language, t

REASON_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), key) for pattern, key in (
        (r"NUL (bytes|characters)", "reason_nul"),
        (r"^binary file", "reason_binary"),
        (r"^cannot decode text", "reason_decode"),
        (r"^no text|holds only whitespace|no readable text|empty", "reason_empty"),
        (r"^unsupported format", "reason_format"),
        (r"Word document", "reason_word"),
        (r"PDF", "reason_pdf"),
        (r"too large", "reason_too_large"),
        (r"took over .* s\b|timed? ?out", "reason_timeout"),
        (r"permission denied", "reason_denied"),
        (r"no such file|does not exist|not found", "reason_missing"),
        (r"no space|disk is full|disk full", "reason_disk_full"),
        (r"could not be parsed|parser", "reason_parse"),
    )
)

_NOTICES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^generation is unavailable:?\s*(?P<detail>.*)$", re.DOTALL), "no_model_short"),
    (re.compile(r"^the notes say nothing about:\s*(?P<detail>.*)$", re.DOTALL), "notes_silent_on"),
    (re.compile(r"^the model's table was incomplete", re.DOTALL), "comparison_incomplete"),
)


def reason_text(reason: str) -> str:
    """A skip reason or error in the interface language.

    The English interface shows the original, which is already the most precise wording.
    """
    if language() == "en":
        return reason
    for pattern, key in REASON_PATTERNS:
        if pattern.search(reason):
            return t(key)
    return t("reason_other", detail=reason)


def notice_text(notice: str) -> str:
    """An answer's or comparison's notice in the interface language."""
    if not notice or language() == "en":
        return notice
    for pattern, key in _NOTICES:
        match = pattern.search(notice)
        if match:
            detail = match.groupdict().get("detail", "")
            if key == "no_model_short":
                return t("no_model", reason=reason_text(detail) if detail else
                         t("generation_unavailable"))
            return t(key, concepts=detail)
    return notice
