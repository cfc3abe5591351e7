"""HTML inside Markdown notes: course notes built with Jekyll embed their figures as
``<div class="fig">``, ``<img src=…>`` and inline ``<svg>`` drawings, with a caption between.

Only what looks like an HTML tag counts (a letter after ``<``): "if x < 0 and y > 1" keeps
every character.

>>> strip_tags("<b>Left:</b> low learning rates")
'Left: low learning rates'
>>> strip_tags("if x < 0 and y > 1")
'if x < 0 and y > 1'
>>> is_figure_markup('<img src="/assets/loss.jpeg" width="49%">'), is_figure_markup("</div>")
(True, True)
>>> is_figure_markup("<b>Left:</b> With low learning rates the improvements will be linear.")
False
"""

from __future__ import annotations

import re

HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
MARKUP_SHARE = 0.9
"""A line at least this much tags is a figure (an ``<svg>`` with a few labels in it)."""


def strip_tags(line: str) -> str:
    """``line`` without its HTML tags (their text kept)."""
    return HTML_TAG.sub("", line)


def is_figure_markup(line: str) -> bool:
    """Whether ``line`` is HTML with little or nothing to read in it."""
    stripped = line.strip()
    if "<" not in stripped:
        return False
    left = strip_tags(stripped).strip()
    return stripped != left and len(left) <= (1 - MARKUP_SHARE) * len(stripped)
