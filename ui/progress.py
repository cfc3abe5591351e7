"""Terminal progress bars for long work (the UI uses ``st.progress`` instead)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def terminal_progress(description: str, unit: str = "B") -> Iterator[Callable[[int, int], None]]:
    """Yield a ``(done, total)`` callback drawing a bar on stderr; the bar appears on the
    first call, so work that turns out to be unneeded draws nothing."""
    bar: tqdm | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(desc=description, unit=unit, unit_scale=unit == "B", file=sys.stderr,
                       dynamic_ncols=True, leave=True, mininterval=0.5, total=total,
                       initial=done)
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
