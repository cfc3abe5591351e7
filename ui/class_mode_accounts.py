"""The accounts of a class (``study users add``, ``study serve``): names, roles and bcrypt
password hashes in ``HOME/class_accounts.json`` (mode 0600, never in the repository).

A teacher manages the shared library (upload, remove, ingest, settings); a student reads it and
practises, with a study history of their own. The login form is streamlit-authenticator's
(``ui/auth_gate.py``); the hashes are the ones its ``Hasher`` makes and checks (bcrypt, which it
depends on), written here with bcrypt itself so the CLI does not import Streamlit.

>>> import tempfile
>>> home = Path(tempfile.mkdtemp())
>>> add_account(home, "ana", "student", "correct horse")
Account(name='ana', role='student')
>>> [a.name for a in accounts(home)], check_password(home, "ana", "correct horse")
(['ana'], True)
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt

from ground.errors import ConfigError
from ground.schema import DEFAULT_USER

ACCOUNTS_FILE_NAME = "class_accounts.json"
ROLES = ("student", "teacher")
MIN_PASSWORD_CHARS = 8
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")


@dataclass(frozen=True)
class Account:
    name: str
    role: str


def accounts_path(home: str | Path) -> Path:
    return Path(home).expanduser() / ACCOUNTS_FILE_NAME


def accounts(home: str | Path) -> list[Account]:
    users = _read(home)["users"]
    return [Account(name, entry["roles"][0]) for name, entry in sorted(users.items())]


def add_account(home: str | Path, name: str, role: str, password: str) -> Account:
    """Create (or, for an existing name, replace the password and role of) an account."""
    if not _NAME.fullmatch(name) or name == DEFAULT_USER:
        raise ConfigError(f"account name {name!r}: use 1-32 lowercase letters, digits, '.', '_' "
                          f"or '-' (not '{DEFAULT_USER}')")
    if role not in ROLES:
        raise ConfigError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_CHARS:
        raise ConfigError(f"the password for {name} is shorter than {MIN_PASSWORD_CHARS} "
                          "characters")
    data = _read(home)
    data["users"][name] = {"name": name, "password": _hash(password), "roles": [role]}
    _write(home, data)
    return Account(name, role)


def remove_account(home: str | Path, name: str) -> None:
    """Remove an account (its study history stays in the library under its name)."""
    data = _read(home)
    if data["users"].pop(name, None) is None:
        raise ConfigError(f"{accounts_path(home)}: no account named {name!r}")
    _write(home, data)


def check_password(home: str | Path, name: str, password: str) -> bool:
    entry = _read(home)["users"].get(name)
    return entry is not None and bcrypt.checkpw(password.encode(), entry["password"].encode())


def _hash(password: str) -> str:
    """As ``streamlit_authenticator.Hasher.hash`` makes it."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def credentials(home: str | Path) -> dict[str, Any]:
    """The accounts as streamlit-authenticator's ``credentials`` (a fresh copy per call: the
    library marks who is logged in inside it)."""
    return {"usernames": _read(home)["users"]}


def cookie_key(home: str | Path) -> str:
    """The secret that signs the re-login cookie, made with the first account."""
    return _read(home)["cookie_key"]


def has_teacher(home: str | Path) -> bool:
    return any(account.role == "teacher" for account in accounts(home))


def _read(home: str | Path) -> dict[str, Any]:
    path = accounts_path(home)
    if not path.is_file():
        return {"cookie_key": secrets.token_hex(32), "users": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data.get("users"), dict) or not data.get("cookie_key"):
            raise ValueError("no users or cookie key")
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not a class accounts file ({error})") from None
    return data


def _write(home: str | Path, data: dict[str, Any]) -> None:
    path = accounts_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(data, file, ensure_ascii=False, indent=1)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
