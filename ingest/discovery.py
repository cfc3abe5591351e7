"""Paths given to ``study ingest`` -> the files to read, plus one skip reason per path that fails.

Folders are walked recursively in name order, following symlinked folders but never into one
already visited (a symlink loop is reported once, not followed forever). Hidden entries
(``.git``, ``.DS_Store``) are ignored without a word; anything else that is not a regular file
(a FIFO would block the reader forever, a device is not a note) is skipped with a reason.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Discovery:
    files: tuple[Path, ...]  # absolute, in the order given / walked, each real file once
    skipped: tuple[tuple[Path, str], ...]


def discover(paths: list[str | Path]) -> Discovery:
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    seen_files: set[str] = set()
    visited_dirs: set[tuple[int, int]] = set()

    def visit(path: Path) -> None:
        try:
            info = os.stat(path)
        except OSError as error:
            skipped.append((path, os_reason(error)))
            return
        if stat.S_ISDIR(info.st_mode):
            if (info.st_dev, info.st_ino) in visited_dirs:
                if path.is_symlink():
                    skipped.append((path, "symlink loop (links to a folder already visited)"))
                return
            visited_dirs.add((info.st_dev, info.st_ino))
            try:
                names = sorted(os.listdir(path))
            except OSError as error:
                skipped.append((path, os_reason(error)))
                return
            for name in names:
                if not name.startswith("."):
                    visit(path / name)
        elif stat.S_ISREG(info.st_mode):
            real = os.path.realpath(path)
            if real not in seen_files:
                seen_files.add(real)
                files.append(path)
        else:
            skipped.append((path, "not a regular file"))

    for given in paths:
        visit(Path(os.path.abspath(given)))
    return Discovery(tuple(files), tuple(skipped))


def os_reason(error: OSError) -> str:
    """A short reason for an ``OSError``, worded for a ``SKIPPED`` line."""
    reasons = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ELOOP: "symlink loop",
        errno.ENOENT: "no such file or folder",
        errno.ENAMETOOLONG: "path too long",
        errno.EIO: "read error (I/O)",
    }
    return reasons.get(error.errno, error.strerror or str(error))
