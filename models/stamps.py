"""Verification stamps: a model file is hashed once, then trusted while it is unchanged.

A full sha256 of a 1 GB file costs about a second, so a successful verification leaves a small
JSON stamp beside the file (size, mtime, sha256); later checks compare the stamp with ``stat``
and only re-hash when the file changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from ground.atomic_files import ProgressCallback, atomic_write_bytes, sha256_of


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
