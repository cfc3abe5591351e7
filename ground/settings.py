"""One typed settings object for every layer.

Sources, later ones winning: the defaults below, ``HOME/config.toml``, ``STUDY_*`` environment
variables, then explicit overrides (CLI flags or the UI's settings page). The home directory
itself comes from the ``--home`` flag or ``STUDY_HOME`` (default ``~/.study``), since the config
file lives inside it.

>>> s = Settings.load(home="/tmp/h", env={"STUDY_TOP_K": "8"})
>>> (s.top_k, s.search_mode)
(8, 'hybrid')
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ground.errors import ConfigError

ENV_PREFIX = "STUDY_"
CONFIG_FILE_NAME = "config.toml"


def default_home() -> Path:
    return Path(os.environ.get("STUDY_HOME") or Path.home() / ".study").expanduser()


def default_model_cache() -> Path:
    return Path.home() / ".cache" / "study-assistant"


def _setting(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=default_home, metadata={"help": "library home directory"})
    model_cache: Path = field(
        default_factory=default_model_cache,
        metadata={"help": "where the bundled models are assembled and converted"},
    )
    llm_model: str = _setting("", "path to a GGUF file; empty means the bundled Qwen2.5-Coder")
    embedding_model: str = _setting(
        "", "path or name of a sentence-transformers model; empty means the bundled e5-small"
    )
    embedding_backend: str = _setting(
        "auto",
        "how embeddings are computed: auto = int8 ONNX for the bundled model once installed, "
        "else torch (fp32 sentence-transformers)",
        choices=("auto", "torch", "onnx-int8"),
    )
    max_file_mb: float = _setting(50.0, "files larger than this are skipped at ingest")
    lock_timeout: float = _setting(30.0, "seconds a second writer waits for the library")
    top_k: int = _setting(5, "passages retrieved per question")
    search_mode: str = _setting(
        "hybrid", "how passages are found", choices=("hybrid", "dense", "lexical")
    )
    temperature: float = _setting(0.0, "sampling temperature of the LLM (0: reproducible)")
    max_tokens: int = _setting(512, "longest answer the LLM may write, in tokens")
    n_ctx: int = _setting(4096, "LLM context window in tokens")
    n_threads: int = _setting(0, "CPU threads for the LLM and embedder; 0 means physical cores")
    draft_tokens: int = _setting(
        3, "at temperature 0, tokens the in-process LLM (a GGUF) guesses ahead from the prompt's "
        "own text and checks in one pass (lookup decoding, about a third faster); 0 turns it off"
    )
    llm_url: str = _setting(
        "", "base URL of an OpenAI-compatible LLM server, e.g. http://127.0.0.1:8080/v1; "
        "empty means the GGUF runs in this process"
    )
    llm_api_key: str = _setting("", "API key sent to llm_url as a Bearer token, if it wants one")
    llm_model_name: str = _setting(
        "", "model name to request from llm_url; empty means the first one it lists"
    )
    llm_timeout: float = _setting(
        120.0, "seconds to wait for llm_url to connect, start answering or send the next piece"
    )
    ui_host: str = _setting("127.0.0.1", "address the web UI listens on")
    ui_port: int = _setting(8501, "port the web UI listens on")
    bank_worker: str = _setting(
        "on", "the app makes and verifies practice questions in the background while the model "
        "is idle", choices=("on", "off")
    )
    class_mode: str = _setting(
        "off", "on: the app asks for a login (accounts from 'study users add'), each student "
        "keeps their own study history, a teacher manages the library; 'study serve' turns it on",
        choices=("off", "on")
    )
    database_url: str = _setting(
        "", "PostgreSQL URL for study history that several app servers share, e.g. "
        "postgresql://study@127.0.0.1:5432/study; empty means the library's SQLite file"
    )

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def load(
        cls,
        home: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Merge defaults, ``HOME/config.toml``, ``STUDY_*`` env vars and ``overrides``."""
        env = os.environ if env is None else env
        home_path = Path(_home_choice(home, env)).expanduser()
        values: dict[str, Any] = {"home": home_path}
        values.update(_read_config_file(home_path / CONFIG_FILE_NAME))
        for name in cls.field_names():
            env_value = env.get(ENV_PREFIX + name.upper())
            if env_value is not None and name != "home":
                values[name] = env_value
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        values["home"] = home_path
        return cls.from_values(values)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        kwargs = {}
        by_name = {f.name: f for f in fields(cls)}
        for name, raw in values.items():
            if name not in by_name:
                raise ConfigError(f"unknown setting '{name}' (known: {', '.join(by_name)})")
            kwargs[name] = _coerce(by_name[name], raw)
        return cls(**kwargs)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: _coerce(_field(k), v) for k, v in changes.items()})

    def resolved_threads(self) -> int:
        return self.n_threads if self.n_threads > 0 else physical_cores()


def _home_choice(home: str | Path | None, env: Mapping[str, str]) -> str | Path:
    """``--home``, else ``STUDY_HOME``, else ``~/.study``; an empty one is refused, since a
    script with an unset variable would otherwise work on the user's real library.

    >>> _home_choice("/tmp/h", {"STUDY_HOME": ""})
    '/tmp/h'
    """
    if home is not None:
        if not str(home).strip():
            raise ConfigError("--home is empty; name the library folder "
                              "(or leave the flag out for ~/.study)")
        return home
    from_env = env.get("STUDY_HOME")
    if from_env is not None:
        if not from_env.strip():
            raise ConfigError("STUDY_HOME is set but empty; name the library folder "
                              "(or unset it for ~/.study)")
        return from_env
    return Path.home() / ".study"


def _field(name: str) -> dataclasses.Field:
    for f in fields(Settings):
        if f.name == name:
            return f
    raise ConfigError(f"unknown setting '{name}'")


_KINDS = {"Path": Path, "str": str, "int": int, "float": float}


def _coerce(f: dataclasses.Field, raw: Any) -> Any:
    kind = _KINDS[f.type]
    try:
        value = Path(raw).expanduser() if kind is Path else kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting '{f.name}' must be {kind.__name__}, got {raw!r}") from None
    choices = f.metadata.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"setting '{f.name}' must be one of {', '.join(choices)}, got {raw!r}")
    return value


def save_config(settings: Settings, names: list[str]) -> Path:
    """Write ``names`` of ``settings`` into ``HOME/config.toml``, keeping its other keys.

    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> path = save_config(Settings.load(home=home, env={}).replace(top_k=8), ["top_k"])
    >>> Settings.load(home=home, env={}).top_k
    8
    """
    from ground.atomic_files import atomic_write_bytes

    path = settings.home / CONFIG_FILE_NAME
    values = _read_config_file(path)
    values.update({name: getattr(settings, name) for name in names})
    lines = [f"{name} = {_toml_value(value)}" for name, value in values.items()]
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None


def physical_cores() -> int:
    """Physical cores (llama.cpp and torch run best with one thread per core)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            pairs = set()
            physical_id = core_id = None
            for line in cpuinfo:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    physical_id = value.strip()
                elif key == "core id":
                    core_id = value.strip()
                elif not line.strip() and core_id is not None:
                    pairs.add((physical_id, core_id))
                    physical_id = core_id = None
            if core_id is not None:
                pairs.add((physical_id, core_id))
            if pairs:
                return len(pairs)
    except OSError:
        pass
    return max(1, (os.cpu_count() or 2))
