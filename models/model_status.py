"""What ``study models`` and the Settings page show for one model file or directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelStatus:
    """One model: where it is, how big, its checksum, and whether it can be used."""

    name: str
    role: str  # "llm", "embedding", "embedding-int8"
    path: Path
    size_bytes: int
    sha256: str
    state: str  # "ok", "missing", "corrupt", "external"
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.state in ("ok", "external")


def human_size(size_bytes: int) -> str:
    """A size for people to read.

    >>> human_size(512), human_size(1_117_320_768)
    ('512 B', '1.0 GiB')
    """
    size = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size_bytes} B"
