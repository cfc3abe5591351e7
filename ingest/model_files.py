"""Shared plumbing for model files: checksums, verification stamps, atomic writes.

A full sha256 of a 1 GB file costs about a second, so a successful verification leaves a small
JSON stamp beside the file (size, mtime, sha256); later checks compare the stamp with ``stat``
and only re-hash when the file changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes_done, bytes_total) while a long file operation runs."""

READ_BLOCK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelStatus:
    """What ``study models`` shows for one model."""

    name: str
    role: str
    path: Path
    size_bytes: int
    sha256: str
    state: str  # "ok", "missing", "corrupt", "external"
    detail: str = ""


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


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def read_stamp(path: Path) -> str | None:
    """The sha256 recorded for ``path`` if the file is unchanged since it was verified."""
    try:
        stamp = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        info = path.stat()
    except (OSError, ValueError):
        return None
    if stamp.get("size") == info.st_size and stamp.get("mtime_ns") == info.st_mtime_ns:
        return stamp.get("sha256")
    return None


def write_stamp(path: Path, sha256: str) -> None:
    info = path.stat()
    stamp = {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "sha256": sha256}
    atomic_write_bytes(_stamp_path(path), json.dumps(stamp).encode())


def verified_sha256(path: Path, progress: ProgressCallback | None = None) -> str:
    """sha256 of ``path``, from its stamp when the file is unchanged, else hashed and stamped."""
    known = read_stamp(path)
    if known:
        return known
    digest = sha256_of(path, progress)
    write_stamp(path, digest)
    return digest


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


def human_size(size_bytes: int) -> str:
    size = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size_bytes} B"
