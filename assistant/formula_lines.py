"""A quote of several formulas is translated around them: the model gets the quote's prose
lines numbered, the formula lines left out, and the reply's lines get the quote's own formula
lines back in their places.

Asked to translate the Xavier derivation (formula lines drawn as images between short Chinese
lines), the 1.5B model read every formula aloud ("the variance of [W^i] is equal to 2 divided
by the sum of [n_i] and [n_{i+1}]"), garbled the step "❺❻两式相加得" into "In the same way",
repeated one sentence until the token limit and never reached c = √6/√(n_i + n_{i+1}), the
result asked about (r62 dev7:c2, judged ❌ with a bad citation). Given the prose lines
numbered, it gave one numbered line for each, in 6.8 s (answers.md, Session 48). A quote with
one formula line or block is translated whole as before: the model copies a lone formula
(dev3:c31, dev6:c1, dev6:c7, dev7:c0 read in the same run), and numbering costs a faithful
line now and then (dev7:c0's "the gradient BP computes" became "the numerical gradient …").
A formula inside a prose line stays in it: put back in a gap the model moved, it said what
the notes do not ("moves along $b$ axis" for "沿 $Y$ 轴", dev6:c0).

>>> layout = formula_layout("所以：$c^2/3$\\n$$\\nx = 1\\n$$\\n求出：\\n$c = 2$")
>>> print(layout.prompt_text())
1. 所以：$c^2/3$
2. 求出：
>>> print(layout.filled("1. So: $c^2/3$\\n2. Solving:"))
So: $c^2/3$
$$
x = 1
$$
Solving:
$c = 2$
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ground.fences import fenced_blocks

FORMULA_LINES = 2  # formula lines (or blocks) from which the model reads them aloud
_FORMULA = re.compile(r"\$\$[^$\n]+\$\$|\$[^$\n]+\$")
_NUMBERED = re.compile(r"^\s*(?:\[\d+\]\s*)?(\d{1,3})[.．、)]\s?(.*)$")  # "[1] 1." too
PROMPT_TAG = re.compile(r"^\s*<\s*/?\s*passage\b[^>]*>\s*$", re.IGNORECASE)
"""A line that only repeats the prompt's passage tag ("</passage>" after the last line)."""
_NO_WORD = re.compile(r"[\W_]*")  # a line with no letter, digit or Han character


@dataclass(frozen=True)
class FormulaLayout:
    """A quote's lines (``source_text``): which the model translates (``prose``), the rest
    (formula lines and blocks) copied."""

    lines: tuple[str, ...]
    prose: tuple[int, ...]

    def prompt_text(self) -> str:
        """The prose lines, numbered from 1."""
        return "\n".join(f"{number}. {self.lines[index]}"
                         for number, index in enumerate(self.prose, start=1))

    def filled(self, reply: str) -> str | None:
        """The quote's lines with each prose line replaced by its numbered translation, or
        None when the reply's numbers are not 1, 2, … (a line merged or left out: where the
        formulas go is then unknown). A reply that stops early gives the lines up to its last
        number."""
        translated = _numbered_lines(reply)
        if not translated or sorted(translated) != list(range(1, len(translated) + 1)) or \
                len(translated) > len(self.prose):
            return None
        last = self.prose[len(translated) - 1]
        if len(translated) == len(self.prose):
            last = len(self.lines) - 1  # the formula lines after the last prose line too
        return "\n".join(translated[self.prose.index(index) + 1] if index in self.prose
                         else self.lines[index] for index in range(last + 1))


def formula_layout(source: str) -> FormulaLayout | None:
    """The layout of a quote's lines (``source``, as the model reads them) when they hold
    ``FORMULA_LINES`` formula lines or blocks or more, else None (the quote is translated as it
    is).

    >>> formula_layout("所以：\\n$c = 2$\\n```\\nx = 1\\n```") is None  # one formula
    True
    """
    lines = [line for line in source.split("\n") if line.strip()]
    blocks = fenced_blocks(lines, formulas=("$$",), any_indent=True)  # code is copied too
    copied = {index for block in blocks for index in range(block.first, block.last + 1)}
    alone = [index for index, line in enumerate(lines)
             if index not in copied and is_formula_line(line)]
    prose = tuple(index for index in range(len(lines)) if index not in copied
                  and index not in alone)
    formulas = len(alone) + sum(block.kind == "$$" for block in blocks)
    if formulas < FORMULA_LINES or not prose:
        return None
    return FormulaLayout(tuple(lines), prose)


def is_formula_line(line: str) -> bool:
    """A line holding formulas and nothing else (a list mark and punctuation aside).

    >>> is_formula_line("- $c^2/3$，"), is_formula_line("所以 $c$")
    (True, False)
    """
    return bool(_FORMULA.search(line)) and bool(_NO_WORD.fullmatch(_FORMULA.sub("", line)))


def _numbered_lines(reply: str) -> dict[int, str]:
    """The reply's lines by their number; an unnumbered line goes on the line before it (a
    preface before the first is left out, and the prompt's tag after the last, r62b dev7:c2);
    a number given twice makes the reply unreadable.

    >>> _numbered_lines("Sure:\\n1. So:\\n2. Solving\\nfor c:\\n</passage>")
    {1: 'So:', 2: 'Solving for c:'}
    """
    numbered: dict[int, str] = {}
    current = None
    for line in reply.strip().split("\n"):
        match = _NUMBERED.match(line)
        if match:
            current = int(match.group(1))
            if current in numbered:
                return {}
            numbered[current] = match.group(2).strip()
        elif current is not None and line.strip() and not PROMPT_TAG.match(line):
            numbered[current] += " " + line.strip()
    return numbered


class FilledStream:
    """The reply streamed as the student should read it: each numbered line once it is
    complete, the formula lines after it shown (not "1. So:" alone).

    >>> stream = FilledStream(formula_layout("所以：\\n$$x$$\\n求出：\\n$y$"))
    >>> stream.feed("1. So:"), stream.feed("\\n2. Sol"), stream.feed("ving:"), stream.flush()
    ('', 'So:\\n', '', '$$x$$\\nSolving:\\n$y$')
    """

    def __init__(self, layout: FormulaLayout):
        self.layout = layout
        self._text = ""
        self._shown = ""

    def feed(self, piece: str) -> str:
        """What ``piece`` completes, to show after what was shown."""
        self._text += piece
        if "\n" not in piece:
            return ""
        return self._more(self._text[:self._text.rfind("\n")], "\n")

    def flush(self) -> str:
        """The rest, once the whole reply is in."""
        return self._more(self._text, "")

    def _more(self, reply: str, end: str) -> str:
        filled = self.layout.filled(reply)
        if filled is None or not (filled + end).startswith(self._shown):
            return ""  # the checked answer will show what is right
        more = (filled + end)[len(self._shown):]
        self._shown += more
        return more
