"""Damaged model files through the real CLI: one line naming the file and the fix command.

Covered at API level elsewhere: a truncated or same-size corrupt GGUF is refused before
llama.cpp sees it (``test_foundation.py::test_truncated_gguf_is_refused_before_loading``,
``::test_corrupt_gguf_of_the_right_size_fails_the_checksum``), truncated embedding weights
(``::test_truncated_embedding_weights_are_refused``), a GGUF that fails to load
(``test_assistant_fallback.py::test_a_corrupt_model_file_fails_to_load_into_an_unavailable_generator``);
a prompt longer than the context is trimmed, never raised
(``test_assistant_explain.py::test_a_prompt_longer_than_the_context_is_trimmed_not_an_error``,
``test_assistant_budget.py::test_prompt_longer_than_the_context_is_cut_not_raised``); one
llama.cpp context runs one completion at a time, the next queued behind a lock
(``test_assistant_explain.py::test_cancel_releases_the_lock_for_a_queued_completion``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE_NOTES
from reliability_support import CLIPPING_QUERY, assert_one_line_error, copy_library, run_study

from models import llm_file
from models.embedding_files import BUNDLED_DIR_NAME
from models.onnx_export import onnx_dir

INSTALL = "run 'study models install'"


def _model_cache_copy(source: Path, target: Path) -> Path:
    """The model cache as symlinks (gigabytes stay put), verification stamps as copies."""
    for path in sorted(source.rglob("*")):
        relative = target / path.relative_to(source)
        if path.is_dir():
            relative.mkdir(parents=True, exist_ok=True)
        elif path.name.endswith(".verified.json"):
            shutil.copy2(path, relative)
        else:
            relative.symlink_to(path)
    return target


def _replace(link: Path, data: bytes | None = None, size: int | None = None) -> None:
    """Swap a symlinked model file for a damaged private copy."""
    original = link.resolve()
    link.unlink()
    if size is not None:
        with open(link, "wb") as stream:  # sparse: right size, all zeros
            stream.truncate(size)
    else:
        link.write_bytes(data if data is not None else original.read_bytes()[:1000])


@pytest.fixture
def damaged(tmp_path, sample_library):
    """Settings over a copy of the sample library and of the model cache, to be damaged."""
    settings = copy_library(sample_library, tmp_path / "home")
    cache = _model_cache_copy(settings.model_cache, tmp_path / "models")
    return settings.replace(model_cache=cache)


def _model_id_in_state(settings) -> str:
    return (settings.home / "index" / "state.json").read_text(encoding="utf-8")


def test_a_truncated_onnx_embedder_is_an_error_not_a_silent_switch(damaged):
    """It used to fall back to the torch model: a new model id, the whole library re-embedded
    (minutes) on the next search, and the damage never mentioned."""
    model = onnx_dir(damaged) / "model.onnx"
    _replace(model)
    state = _model_id_in_state(damaged)
    result = run_study(damaged, "search", CLIPPING_QUERY)
    assert_one_line_error(result, f"{model}: missing or truncated", INSTALL)
    assert _model_id_in_state(damaged) == state  # nothing re-embedded or rebuilt


def test_a_corrupt_onnx_embedder_of_the_right_size_names_the_fix(damaged):
    model = onnx_dir(damaged) / "model.onnx"
    _replace(model, size=model.resolve().stat().st_size)
    assert_one_line_error(
        run_study(damaged, "search", CLIPPING_QUERY), f"{model}: cannot load", INSTALL
    )


@pytest.mark.parametrize("folder", ["onnx", "bundled"])
def test_a_corrupt_tokenizer_names_the_file_and_the_fix(damaged, folder):
    directory = onnx_dir(damaged) if folder == "onnx" else damaged.model_cache / BUNDLED_DIR_NAME
    tokenizer = directory / "tokenizer.json"
    data = bytearray(tokenizer.resolve().read_bytes())
    data[1000:1100] = b"#" * 100  # same size: passes the size checks, fails to parse
    _replace(tokenizer, bytes(data))
    command = ("search", CLIPPING_QUERY) if folder == "onnx" else ("ingest", str(SAMPLE_NOTES))
    assert_one_line_error(
        run_study(damaged, *command), f"{tokenizer}: unreadable", "study models install"
    )


def test_a_truncated_gguf_still_answers_from_the_notes_and_says_why(damaged):
    gguf = llm_file.bundled_path(damaged)
    _replace(gguf)
    result = run_study(damaged, "ask", CLIPPING_QUERY)
    assert result.returncode == 0, result.stderr[-2000:]
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and str(gguf) in notes[0] and INSTALL in notes[0], result.stderr
    assert "梯度裁剪" in result.stdout  # the passages are shown instead of a generated answer
    assert "Traceback" not in result.stderr and os.path.getsize(gguf) == 1000
