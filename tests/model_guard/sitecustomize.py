"""The fast suite's guard: opening the GGUF or an embedding model fails the test and the run.

``pytest -m "not slow"`` (``make test-fast``) sets ``STUDY_MODEL_GUARD`` to a log file and puts
this directory first on ``PYTHONPATH``, so every Python process of the run -- pytest itself and
the CLI or app subprocesses tests start -- imports this module at start-up (``site`` imports
``sitecustomize``). It then wraps the three real loaders as they are imported:
``llama_cpp.Llama`` (the GGUF), ``onnxruntime.InferenceSession`` (the int8 e5 export) and
``sentence_transformers.SentenceTransformer`` (the torch e5). A call that would open a real model
appends one line to the log and raises ``ModelOpenedInFastTest``, a ``BaseException`` so that no
product fallback (``except Exception`` -> "generation unavailable") can hide it; conftest fails
the test that wrote the line, and the session if anything did.

"Real model": any ``SentenceTransformer``; a GGUF or ONNX file inside the model cache
(``STUDY_MODEL_GUARD_ROOTS``) or bigger than ``MODEL_BYTES``. Tests that hand a loader a tiny
broken file, to check the error message, still run.
"""

from __future__ import annotations

import os
import sys

# Nothing else is imported at start-up: this runs in every child process of the run, including
# the parser sandbox, whose tests set memory limits tight enough to notice an extra import.

LOG_VARIABLE = "STUDY_MODEL_GUARD"
ROOTS_VARIABLE = "STUDY_MODEL_GUARD_ROOTS"
MODEL_BYTES = 20_000_000


class ModelOpenedInFastTest(BaseException):
    """A test outside the ``slow`` class opened a real model."""


def _is_real_model(path: object) -> bool:
    from pathlib import Path

    if not isinstance(path, (str, os.PathLike)):
        return isinstance(path, (bytes, bytearray)) and len(path) >= MODEL_BYTES
    target = Path(path).expanduser()
    roots = [Path(r) for r in os.environ.get(ROOTS_VARIABLE, "").split(os.pathsep) if r]
    resolved = target.resolve()
    if any(resolved.is_relative_to(root.resolve()) for root in roots):
        return True
    try:
        return target.is_file() and target.stat().st_size >= MODEL_BYTES
    except OSError:
        return False


def refuse(what: str, path: object) -> None:
    """Log the attempt and raise, so both the test and the session fail."""
    line = f"pid {os.getpid()}: {what} {path}\n"
    log = os.environ.get(LOG_VARIABLE)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(line)
    raise ModelOpenedInFastTest(
        f"a fast test opened a real model: {line.strip()} "
        "(use the fakes in tests/fakes.py, or a real-model fixture, "
        "which marks the test slow)"
    )


def _guard_init(cls: type, what: str, always: bool = False) -> None:
    import functools

    original = cls.__init__
    if getattr(original, "_model_guard", False):
        return

    @functools.wraps(original)
    def guarded(self, *args, **kwargs):
        path = args[0] if args else next(iter(kwargs.values()), None)
        if always or _is_real_model(path):
            self._model_guard_refused = True
            refuse(what, path)
        original(self, *args, **kwargs)

    guarded._model_guard = True
    cls.__init__ = guarded
    finalizer = getattr(cls, "__del__", None)
    if finalizer is not None:  # a refused object was never set up: nothing to release

        @functools.wraps(finalizer)
        def release(self):
            if getattr(self, "_model_guard_refused", False):
                return
            finalizer(self)

        cls.__del__ = release


PATCHES = {
    "llama_cpp.llama": lambda m: _guard_init(m.Llama, "llama_cpp.Llama"),
    "onnxruntime.capi.onnxruntime_inference_collection": lambda m: _guard_init(
        m.InferenceSession, "onnxruntime.InferenceSession"
    ),
    "sentence_transformers.SentenceTransformer": lambda m: _guard_init(
        m.SentenceTransformer, "SentenceTransformer", always=True
    ),
}


class _PatchAfterImport:
    """Finds nothing itself; wraps the real loader of a guarded module to patch it once run."""

    _busy = False  # a finder asked below may itself call importlib.util.find_spec

    def find_spec(self, name, path, target=None):
        if name not in PATCHES or self._busy:
            return None
        self._busy = True
        try:
            return self._wrapped_spec(name, path, target)
        finally:
            self._busy = False

    def _wrapped_spec(self, name, path, target):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                loader = spec.loader
                original_exec = loader.exec_module

                def exec_module(module, _exec=original_exec):
                    _exec(module)
                    PATCHES[name](module)

                loader.exec_module = exec_module
                return spec
        return None


def install() -> None:
    """Guard the loaders now (those already imported) and on import (the others)."""
    for name, patch in PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    if not any(isinstance(f, _PatchAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchAfterImport())


if os.environ.get(LOG_VARIABLE):
    install()
