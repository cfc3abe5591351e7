"""The two entry points of ``models/`` on a model cache holding nothing (fast: no model is
built or opened; ``test_foundation`` and ``test_reliability_models`` cover real installs)."""

from __future__ import annotations

import pytest

import models


def test_status_of_an_empty_cache_names_each_missing_model_and_the_fix(fake_settings):
    statuses = models.status(fake_settings)
    assert [s.role for s in statuses] == ["llm", "embedding", "embedding-int8"]
    assert all(s.state == "missing" and not s.usable for s in statuses)
    for status in statuses:
        assert status.path.parent == fake_settings.model_cache
        assert str(status.path) in status.detail
    assert all("study models install" in s.detail for s in statuses[:2])


def test_a_user_embedding_model_makes_the_int8_export_external(fake_settings, tmp_path):
    own = tmp_path / "my-embedder"
    own.mkdir()
    (own / "config.json").write_text("{}", encoding="utf-8")
    by_role = {s.role: s for s in models.status(fake_settings.replace(embedding_model=str(own)))}
    assert by_role["embedding"].state == "external" and by_role["embedding"].path == own
    assert by_role["embedding-int8"].state == "external" and by_role["embedding-int8"].usable


def test_install_refuses_an_unknown_model_before_touching_the_cache(fake_settings):
    with pytest.raises(ValueError, match="unknown model group 'tts'"):
        models.install(fake_settings, only="tts")
    assert list(fake_settings.model_cache.iterdir()) == []


def test_install_steps_run_in_dependency_order():
    """The int8 export is built from the converted model, so it must come after it."""
    roles = [step.role for step in models.provision.STEPS]
    assert roles.index("embedding") < roles.index("embedding-int8")
    assert {step.group for step in models.provision.STEPS} == set(models.GROUPS)
