"""Shared fixtures and the two speed classes.

Real models (loaded once per session), the sample notes, a fresh home -- and fakes of the two
model seams (``tests/fakes.py``) for plumbing tests.

Speed classes: a test that asks for a real-model fixture (``REAL_MODEL_FIXTURES``) is marked
``slow`` here, at collection, so nobody has to remember the marker. ``make test-fast`` runs
``-m "not slow"``; under that expression ``tests/model_guard/sitecustomize.py`` watches every
Python process of the run and a test that still opens the GGUF or an e5 model fails, and so does
the run. Every test gets a ``pytest-timeout`` limit by class unless it sets its own.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import importlib.util
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from streamlit import config as streamlit_config

from ground.errors import ModelError
from ground.settings import Settings, default_model_cache

# Property tests draw the same examples on every run, so CI cannot fail on a case nobody saw
# before; explore new ones with HYPOTHESIS_PROFILE=explore (and add what it finds as @example).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

REPO_ROOT = Path(__file__).resolve().parent.parent
streamlit_config.set_option("runner.magicEnabled", False)  # as ``study ui`` (ui_cmd.MAGIC_OFF)
SAMPLE_NOTES = REPO_ROOT / "examples" / "notes"
GUARD_DIR = Path(__file__).resolve().parent / "model_guard"
_MODULE_CLOCK = pytest.StashKey[dict]()

#: fixtures that load a real model or build on one; a test using any of them is ``slow``.
REAL_MODEL_FIXTURES = frozenset(
    {
        "model_settings",
        "embedding_model_dir",
        "sample_library",
        "generator",
        "assistant",
    }
)
RUN_BUDGET_MINUTES = float(os.environ.get("STUDY_TEST_BUDGET_MINUTES", "70"))
"""Minutes after which the slow tests left are skipped, loudly: CI rejects a run past 90 min
(setup included), and a run that is cut off reports nothing. On a 2-core EPYC the tests took
60 min (session 27), so the budget only bites on a machine ~1.2x slower."""
FAST_TIMEOUT = 60  # seconds per fast test: the slowest (property tests, subprocesses) take ~10
SLOW_TIMEOUT = 1800  # a cold model load plus generation on 2 busy cores, with internal waits


def fast_run(config: pytest.Config) -> bool:
    """True under ``-m "not slow"`` (``make test-fast``): no real model may be opened."""
    return "not slow" in (config.option.markexpr or "")


def _load_guard():
    spec = importlib.util.spec_from_file_location(
        "study_model_guard", GUARD_DIR / "sitecustomize.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_configure(config: pytest.Config) -> None:
    if not fast_run(config) or hasattr(config, "_model_guard_log"):
        return
    guard = _load_guard()
    handle, name = tempfile.mkstemp(prefix="study-model-guard-", suffix=".log")
    os.close(handle)
    log = Path(name)
    config._model_guard_log = log
    roots = [str(default_model_cache())]
    if os.environ.get("STUDY_MODEL_CACHE"):
        roots.append(os.environ["STUDY_MODEL_CACHE"])
    os.environ[guard.LOG_VARIABLE] = str(log)
    os.environ[guard.ROOTS_VARIABLE] = os.pathsep.join(roots)
    python_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD_DIR), python_path]))
    guard.install()


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if uses_real_model(item) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        if not item.get_closest_marker("timeout"):
            limit = SLOW_TIMEOUT if item.get_closest_marker("slow") else FAST_TIMEOUT
            item.add_marker(pytest.mark.timeout(limit))


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_MODULE_CLOCK] = {"run": time.monotonic(), "module": None,
                                           "over_budget": 0}


def run_minutes(config: pytest.Config) -> float:
    return (time.monotonic() - config.stash[_MODULE_CLOCK]["run"]) / 60


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Past ``RUN_BUDGET_MINUTES`` of the run, a slow test is skipped, saying why, and the run
    ends with a line counting them (``pytest_terminal_summary``)."""
    if RUN_BUDGET_MINUTES and item.get_closest_marker("slow") and \
            run_minutes(item.config) > RUN_BUDGET_MINUTES:
        item.config.stash[_MODULE_CLOCK]["over_budget"] += 1
        pytest.skip(f"the run's time budget of {RUN_BUDGET_MINUTES:g} min is spent "
                    "(STUDY_TEST_BUDGET_MINUTES; 0 for none)")


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    skipped = config.stash[_MODULE_CLOCK]["over_budget"] if _MODULE_CLOCK in config.stash else 0
    if skipped:
        terminalreporter.write_sep("=", f"{skipped} slow tests NOT RUN: the run's time budget "
                                   f"of {RUN_BUDGET_MINUTES:g} min was spent", red=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """After a module's last test, print the seconds it took and the run's minutes so far, so a
    CI log cut short by its time limit still shows where the time went."""
    config = item.config
    clock = config.stash[_MODULE_CLOCK]
    if item.path != clock["module"]:
        clock["module"], clock["module_start"] = item.path, time.monotonic()
    yield
    if nextitem is None or nextitem.path != item.path:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and reporter.verbosity <= 0:
            reporter.write(f" {time.monotonic() - clock['module_start']:.0f} s, "
                           f"{run_minutes(config):.1f} min in")


def uses_real_model(item: pytest.Item) -> bool:
    """Whether the item uses one of ``REAL_MODEL_FIXTURES`` as defined here or in
    ``assistant_support`` (a test module's own fixture of the same name, say a fake
    ``assistant``, does not count)."""
    names = REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    for name in names:
        chosen = definitions.get(name)
        if not chosen or chosen[-1].func.__module__ in ("conftest", "assistant_support"):
            return True
    return False


def _guard_lines(config: pytest.Config) -> list[str]:
    log = getattr(config, "_model_guard_log", None)
    if log is None or not log.exists():
        return []
    return log.read_text(encoding="utf-8").splitlines()


@pytest.fixture(autouse=True)
def _no_model_in_fast_tests(request):
    """Under ``-m "not slow"``: fail the test during which a real model was opened."""
    before = len(_guard_lines(request.config))
    yield
    opened = _guard_lines(request.config)[before:]
    if opened:
        pytest.fail(
            "a fast test opened a real model (mark it slow or use tests/fakes.py):\n"
            + "\n".join(opened),
            pytrace=False,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    opened = _guard_lines(session.config)
    log = getattr(session.config, "_model_guard_log", None)
    if log is not None:
        log.unlink(missing_ok=True)
    if opened:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "model guard: real models opened in a fast run", red=True)
            for line in opened:
                reporter.write_line(line)


# -- the sample notes and a fresh home ------------------------------------------------------


@pytest.fixture(scope="session")
def sample_notes_dir() -> Path:
    return SAMPLE_NOTES


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh library home; STUDY_HOME points at it for code and subprocesses alike."""
    path = tmp_path / "home"
    monkeypatch.setenv("STUDY_HOME", str(path))
    return path


# -- real models (each test using one is slow) ------------------------------------------------


@pytest.fixture(scope="session")
def model_settings(tmp_path_factory) -> Settings:
    """Settings pointing at the real model cache (shared across runs) and a throwaway home."""
    env = {k: v for k, v in os.environ.items() if k != "STUDY_HOME"}
    return Settings.load(home=tmp_path_factory.mktemp("session-home"), env=env)


@pytest.fixture(scope="session")
def embedding_model_dir(model_settings) -> Path:
    """The converted bundled e5 model, converting it first if this machine has none yet."""
    from models import embedding_files

    try:
        return Path(embedding_files.resolve_embedding_model(model_settings))
    except ModelError:
        return embedding_files.install_bundled(model_settings)


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory) -> Path:
    """The directory of the bundled e5 model, for its ``tokenizer.json`` only (fast: tests using
    it never load the weights; the model guard checks that). Converted first if missing."""
    from models import embedding_files

    env = {k: v for k, v in os.environ.items() if k != "STUDY_HOME"}
    settings = Settings.load(home=tmp_path_factory.mktemp("tokenizer-home"), env=env)
    try:
        return Path(embedding_files.resolve_embedding_model(settings))
    except ModelError:
        return embedding_files.install_bundled(settings)


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory, model_settings, embedding_model_dir):
    """A real library of the five sample notes (real embedder, FAISS, BM25), built once."""
    from index.library import Library

    settings = model_settings.replace(home=tmp_path_factory.mktemp("sample-home"))
    library = Library.open(settings)
    library.ingest([SAMPLE_NOTES])
    yield library
    library.close()


# -- fakes of the model seams (fast) ----------------------------------------------------------


@pytest.fixture(scope="session")
def fake_settings(tmp_path_factory) -> Settings:
    """Settings with a throwaway home and a model cache holding no model."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDY_")}
    return Settings.load(home=tmp_path_factory.mktemp("fake-home"), env=env).replace(
        model_cache=tmp_path_factory.mktemp("no-models"), temperature=0.0, max_tokens=64
    )


@pytest.fixture(scope="session")
def fake_library(tmp_path_factory, fake_settings):
    """The five sample notes in a real library (SQLite, FAISS, BM25) over the fake embedder."""
    from fakes import FakeModelsLibrary

    library = FakeModelsLibrary.open(
        fake_settings.replace(home=tmp_path_factory.mktemp("fake-sample-home"))
    )
    library.ingest([SAMPLE_NOTES])
    yield library
    library.close()


@pytest.fixture
def scripted():
    """A ``ScriptedGenerator`` with nothing enqueued: each test scripts its own replies."""
    from fakes import ScriptedGenerator

    return ScriptedGenerator()


@pytest.fixture
def fake_models(monkeypatch, scripted):
    """Every ``Library`` and generator opened in this process uses the fakes (for CLI and
    AppTest flows, which open their own); returns the ``ScriptedGenerator`` to script."""
    import streamlit as st
    from fakes import HashEmbedder, fake_token_counter

    import assistant.facade
    import assistant.generator
    import index.embedder
    import index.library
    import ui.resources

    monkeypatch.setattr(index.embedder, "create_embedder", lambda settings: HashEmbedder())
    monkeypatch.setattr(index.library, "resolve_embedding_model", lambda settings: "fake")
    monkeypatch.setattr(index.library, "load_token_counter", lambda d: fake_token_counter())
    for module in (assistant.generator, assistant.facade, ui.resources):
        monkeypatch.setattr(module, "open_generator", lambda settings: scripted)
    st.cache_resource.clear()  # nothing the real models made may be served from the cache
    yield scripted
    st.cache_resource.clear()
