"""Paths given to ``study ingest`` -> the files to read, plus one skip reason per path that fails.

Folders are walked recursively in name order. Symlinks are followed only while they stay inside
the folder that was given: a link to ``/etc/passwd`` (or to any file or folder outside) is
skipped with a reason, so the library holds only what lives under the folders the user named. A
symlinked folder inside is walked, but never one already visited (a symlink loop is reported
once, not followed forever). Hidden entries (``.git``, ``.DS_Store``) are ignored without a
word; anything else that is not a regular file (a FIFO would block the reader forever, a device
is not a note) is skipped with a reason.

File names are whatever bytes the OS holds. Python hands a name that is not UTF-8 (a zip made on
Chinese Windows unpacks with GBK names) over as a ``str`` with lone surrogates, which SQLite, JSON
and the terminal all refuse. :func:`stored_path` turns such a path into the text the library
stores and shows (each undecodable byte as ``\\xNN``); :func:`os_path` turns it back for the OS.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")


@dataclass(frozen=True)
class Discovery:
    files: tuple[Path, ...]  # absolute, in the order given / walked, each real file once
    skipped: tuple[tuple[Path, str], ...]


def stored_path(path: str | os.PathLike) -> str:
    """A path as text the library can store: undecodable bytes become ``\\xNN``.

    >>> stored_path(os.fsdecode(b"/notes/\\xff\\xfe.md"))
    '/notes/\\\\xff\\\\xfe.md'
    >>> stored_path("/notes/梯度.md")
    '/notes/梯度.md'
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def os_path(source: str) -> str:
    """The path the OS knows for a ``stored_path`` (the inverse; clean paths are unchanged).

    >>> os.fsencode(os_path(stored_path(os.fsdecode(b"/n/\\xcc.md"))))
    b'/n/\\xcc.md'
    """
    if "\\x" not in source:
        return source
    return _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), source)


def readable_name(name: str) -> str:
    """A file name for people: a non-UTF-8 name decoded as GB18030 when it is valid GB18030
    (the usual legacy encoding of Chinese names), else with ``\\xNN`` escapes.

    >>> readable_name(os.fsdecode("梯度".encode("gbk")))
    '梯度'
    """
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def discover(paths: list[str | Path]) -> Discovery:
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    seen_files: set[str] = set()
    visited_dirs: set[tuple[int, int]] = set()

    def visit(path: Path, root: str) -> None:
        try:
            info = os.stat(path)
        except OSError as error:
            skipped.append((path, os_reason(error)))
            return
        real = os.path.realpath(path)
        if not _inside(real, root):
            skipped.append((path, f"symlink leads outside {root} (to {real}); not followed"))
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
                    visit(path / name, root)
        elif stat.S_ISREG(info.st_mode):
            if real not in seen_files:
                seen_files.add(real)
                files.append(path)
        else:
            skipped.append((path, "not a regular file"))

    for given in paths:
        absolute = Path(os.path.abspath(given))
        visit(absolute, os.path.realpath(absolute))  # what the user named is trusted as given
    return Discovery(tuple(files), tuple(skipped))


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def is_under(source: str, roots: list[str]) -> bool:
    """Whether the stored path ``source`` is one of ``roots`` or inside one of them."""
    return any(_inside(source, root) for root in roots)


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
