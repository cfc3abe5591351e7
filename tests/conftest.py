"""Shared fixtures: real models (loaded once per session), the sample notes, a fresh home."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from pathlib import Path

import pytest

from ingest.errors import ModelError
from ingest.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_NOTES = REPO_ROOT / "examples" / "notes"


@pytest.fixture(scope="session")
def sample_notes_dir() -> Path:
    return SAMPLE_NOTES


@pytest.fixture(scope="session")
def model_settings(tmp_path_factory) -> Settings:
    """Settings pointing at the real model cache (shared across runs) and a throwaway home."""
    env = {k: v for k, v in os.environ.items() if k != "STUDY_HOME"}
    return Settings.load(home=tmp_path_factory.mktemp("session-home"), env=env)


@pytest.fixture(scope="session")
def embedding_model_dir(model_settings) -> Path:
    """The converted bundled e5 model, converting it first if this machine has none yet."""
    from index import embedding_files

    try:
        return Path(embedding_files.resolve_embedding_model(model_settings))
    except ModelError:
        return embedding_files.install_bundled(model_settings)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh library home; STUDY_HOME points at it for code and subprocesses alike."""
    path = tmp_path / "home"
    monkeypatch.setenv("STUDY_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory, model_settings, embedding_model_dir):
    """A real library of the five sample notes (real embedder, FAISS, BM25), built once."""
    from index.library import Library

    settings = model_settings.replace(home=tmp_path_factory.mktemp("sample-home"))
    library = Library.open(settings)
    library.ingest([SAMPLE_NOTES])
    yield library
    library.close()
