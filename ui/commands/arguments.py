"""Argument types shared by the ``study`` subcommands."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An argparse type for counts such as ``-k`` and ``-n``: 0 or -1 is refused in one line.

    >>> positive_int("3"), positive_int(" 7 ")
    (3, 7)
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
