"""Files uploaded through the app, stored under the library home where nothing can escape it.

An upload's name is untrusted (``../../.bashrc``, ``C:\\x``, control characters): it is never
joined into a path as given. Each upload gets a generated directory, ``HOME/uploads/<id>/``,
holding the file under a sanitized name (letters of any script, digits, ``-_.`` and spaces) so
citations still read like the student's own file name. The original name is kept only as
display text by the caller.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import uuid
from pathlib import Path

from ground.atomic_files import atomic_write_bytes
from ground.errors import IngestError

UPLOADS_DIR = "uploads"
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w\-. ]+", re.UNICODE)


def safe_file_name(name: str) -> str:
    """A file name that is one path component, not hidden, and keeps the extension.

    >>> safe_file_name("../../etc/passwd")
    'passwd'
    >>> safe_file_name("笔记 第1章.md")
    '笔记 第1章.md'
    >>> safe_file_name("..\\\\..\\\\evil<script>.md")
    'evil_script_.md'
    >>> safe_file_name("...")
    'upload'
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" .")
    stem, dot, extension = base.rpartition(".")
    if dot and len(base) > MAX_NAME_CHARS:
        base = stem[: MAX_NAME_CHARS - len(extension) - 1] + "." + extension
    return base[:MAX_NAME_CHARS] or "upload"


def uploads_root(home: Path) -> Path:
    return Path(home) / UPLOADS_DIR


def save_upload(home: Path, name: str, data: bytes, max_bytes: int) -> Path:
    """Write ``data`` to ``HOME/uploads/<id>/<safe name>`` and return the path.

    Refuses (``IngestError``, one line naming the file) an upload over ``max_bytes`` before
    writing anything. The file appears complete or not at all (temp file, fsync, rename).
    """
    if len(data) > max_bytes:
        raise IngestError(
            f"{name}: too large ({len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)"
        )
    folder = uploads_root(home) / uuid.uuid4().hex
    folder.mkdir(parents=True)
    target = folder / safe_file_name(name)
    atomic_write_bytes(target, data)
    return target


def discard_upload(home: Path, path: Path) -> None:
    """Delete an upload's directory (a skipped file is not kept). Only ever under uploads/."""
    folder = Path(path).resolve().parent
    root = uploads_root(home).resolve()
    if folder.parent == root:
        shutil.rmtree(folder, ignore_errors=True)
