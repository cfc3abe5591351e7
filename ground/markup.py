"""HTML inside Markdown notes: course notes built with Jekyll embed their figures as
``<div class="fig">``, ``<img src=…>`` and inline ``<svg>`` drawings, with a caption between.

Only tags of HTML's figure and text vocabulary count, and their attributes must have values:
special tokens (``<bos>``, ``<eos>``), generics (``List<String>``) and comparisons ("a<b and
c>d", ``$0<p \\le 1$``) keep every character.

>>> strip_tags('<b>Left:</b> low rates, <span class="x">high</span> rates')
'Left: low rates, high rates'
>>> strip_tags("句子以 <bos> 开始，以 <eos> 结束；if a<b and c>d; `List<String>`; $0<p \\\\le 1$")
'句子以 <bos> 开始，以 <eos> 结束；if a<b and c>d; `List<String>`; $0<p \\\\le 1$'
>>> is_figure_markup('<img src="/assets/loss.jpeg" width="49%">'), is_figure_markup("</div>")
(True, True)
>>> is_figure_markup("<b>Left:</b> With low learning rates the improvements will be linear.")
False
>>> is_figure_markup("<eos>")
False
"""

from __future__ import annotations

import re

TAG_NAMES = (
    "a abbr b big blockquote br caption center circle cite code col dd defs del details div dl "
    "dt em figcaption figure font g h1 h2 h3 h4 h5 h6 hr i iframe img ins kbd li line marker "
    "mark math ol p path picture polygon polyline pre rect s script section small source span "
    "strong style sub summary sup svg table tbody td text th thead tr tspan u ul video").split()
_ATTRIBUTE = r"""\s+[A-Za-z_:][\w:.-]*\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>=`]+)"""
HTML_TAG = re.compile(rf"</?(?:{'|'.join(TAG_NAMES)})(?:{_ATTRIBUTE})*\s*/?>", re.IGNORECASE)
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
