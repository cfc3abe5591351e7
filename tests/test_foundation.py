"""The foundation: settings precedence, the `study` CLI skeleton, model files and their errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from ground.errors import ConfigError, ModelError
from ground.settings import Settings
from models import embedding_files, llm_file

STUDY = [sys.executable, "-m", "ui.cli"]


def run_study(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*STUDY, *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})}, cwd=Path(__file__).resolve().parent.parent,
    )


# --- settings ---------------------------------------------------------------------------

def test_settings_precedence_defaults_file_env_flags(tmp_path):
    (tmp_path / "config.toml").write_text('top_k = 7\nsearch_mode = "dense"\ntemperature = 0.5\n')
    env = {"STUDY_SEARCH_MODE": "lexical", "STUDY_TEMPERATURE": "0.9"}
    settings = Settings.load(home=tmp_path, env=env, overrides={"temperature": "0.1"})
    assert settings.top_k == 7  # config file beats default
    assert settings.search_mode == "lexical"  # env beats config file
    assert settings.temperature == 0.1  # flag beats env
    assert settings.max_tokens == 512  # default
    assert settings.home == tmp_path


def test_settings_home_from_env(tmp_path):
    assert Settings.load(env={"STUDY_HOME": str(tmp_path)}).home == tmp_path


@pytest.mark.parametrize(
    ("values", "message"),
    [({"top_k": "many"}, "top_k"), ({"search_mode": "psychic"}, "search_mode"),
     ({"no_such": 1}, "unknown setting")],
)
def test_settings_reject_bad_values(values, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_values(values)


def test_bad_config_file_is_one_line_error(tmp_path):
    (tmp_path / "config.toml").write_text("top_k = = 3\n")
    result = run_study("--home", str(tmp_path), "models", "--json")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "config.toml: not valid TOML" in result.stderr


# --- CLI skeleton -----------------------------------------------------------------------

def test_version_and_help():
    version = run_study("--version")
    assert version.returncode == 0 and version.stdout.startswith("study ")
    help_text = run_study("--help").stdout
    for command in ("models", "ui", "--home", "--top-k", "--llm-model", "--embedding-model"):
        assert command in help_text


def test_every_command_of_the_product_card_is_real():
    for name in ("doctor", "review", "progress", "history", "ask", "quiz", "compare"):
        result = run_study(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert "not available yet" not in result.stdout + result.stderr


# --- models -----------------------------------------------------------------------------

def test_models_lists_both_installed_models(model_settings, embedding_model_dir):
    result = run_study("models", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["role"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["llm"]["state"] == "ok"
    assert rows["llm"]["size_bytes"] == llm_file.BUNDLED_SIZE
    assert rows["llm"]["sha256"] == llm_file.BUNDLED_SHA256
    assert rows["embedding"]["state"] == "ok"
    assert rows["embedding"]["size_bytes"] > 100_000_000
    table = run_study("models").stdout
    assert "1.0 GiB" in table and "multilingual-e5-small" in table


def test_bundled_gguf_is_the_qwen_coder_model(model_settings):
    from llama_cpp import Llama

    path = llm_file.resolve_llm_path(model_settings)
    with closing(Llama(model_path=str(path), vocab_only=True, verbose=False)) as llm:
        metadata = dict(llm.metadata)
    assert metadata["general.name"] == "Qwen2.5 Coder 1.5B Instruct GGUF"
    assert "tokenizer.chat_template" in metadata


def test_missing_models_name_the_fix(tmp_path):
    result = run_study("--model-cache", str(tmp_path / "empty"), "models")
    assert result.returncode == 1
    assert "LLM model not installed; run 'study models install'" in result.stdout
    assert "embedding model not installed; run 'study models install'" in result.stdout


def test_truncated_gguf_is_refused_before_loading(tmp_path):
    settings = Settings.load(home=tmp_path, env={}, overrides={"model_cache": tmp_path})
    truncated = llm_file.bundled_path(settings)
    truncated.write_bytes(b"GGUF" + b"\0" * 1000)
    with pytest.raises(ModelError, match=r"truncated or corrupt .* run 'study models install'"):
        llm_file.resolve_llm_path(settings)


def test_corrupt_gguf_of_the_right_size_fails_the_checksum(tmp_path):
    settings = Settings.load(home=tmp_path, env={}, overrides={"model_cache": tmp_path})
    corrupt = llm_file.bundled_path(settings)
    with open(corrupt, "wb") as stream:  # sparse file: right size, wrong bytes
        stream.truncate(llm_file.BUNDLED_SIZE)
    with pytest.raises(ModelError, match="checksum mismatch"):
        llm_file.resolve_llm_path(settings)


def test_user_gguf_path_is_checked(tmp_path):
    missing = Settings.from_values({"home": tmp_path, "llm_model": str(tmp_path / "no.gguf")})
    with pytest.raises(ModelError, match="no.gguf: GGUF model file not found"):
        llm_file.resolve_llm_path(missing)
    (tmp_path / "fake.gguf").write_bytes(b"not a model")
    fake = missing.replace(llm_model=str(tmp_path / "fake.gguf"))
    with pytest.raises(ModelError, match="fake.gguf: not a GGUF file"):
        llm_file.resolve_llm_path(fake)


def test_truncated_embedding_weights_are_refused(tmp_path, embedding_model_dir):
    settings = Settings.load(home=tmp_path, env={}, overrides={"model_cache": tmp_path})
    copy = embedding_files.bundled_dir(settings)
    shutil.copytree(embedding_model_dir, copy)
    weights = next(copy.glob("*.safetensors"))
    with open(weights, "r+b") as stream:
        stream.truncate(1000)
    with pytest.raises(ModelError, match=r"safetensors: missing or truncated; run 'study models"):
        embedding_files.resolve_embedding_model(settings)
    assert embedding_files.embedding_status(settings).state == "corrupt"


def test_user_embedding_model_path_is_checked(tmp_path):
    settings = Settings.from_values({"home": tmp_path, "embedding_model": str(tmp_path / "nope")})
    with pytest.raises(ModelError, match="nope: embedding model not found"):
        embedding_files.resolve_embedding_model(settings)
