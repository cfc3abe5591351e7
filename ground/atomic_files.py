"""Atomic file writes and checksums, shared by every step (settings, uploads, index manifests,
model files): a file holds either its old or its new content, never half of each.

Model verification stamps and ``ModelStatus`` live in ``models/`` (model provisioning).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes_done, bytes_total) while a long file operation runs."""

READ_BLOCK = 8 * 1024 * 1024


def sha256_of(path: Path, progress: ProgressCallback | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as stream:
        while block := stream.read(READ_BLOCK):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either the old or the new content, never half."""
    atomic_write_stream(path, [data])


def atomic_write_stream(path: Path, blocks: Iterable[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as stream:
            _write_all(stream, blocks)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        fsync_dir(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def replace_directory(staging: Path, target: Path) -> None:
    """Swap a fully written ``staging`` directory in as ``target``; the old copy is dropped."""
    retired = target.with_name(f".{target.name}.{os.getpid()}.old")
    if target.exists():
        os.replace(target, retired)
    os.replace(staging, target)
    fsync_dir(target.parent)
    shutil.rmtree(retired, ignore_errors=True)


def _write_all(stream: BinaryIO, blocks: Iterable[bytes]) -> None:
    for block in blocks:
        stream.write(block)
