"""``study ui``: start the Streamlit app on loopback. Another address is served only with
login on (``class_mode``, which ``study serve`` sets): an open app beyond this machine would
let anyone read the notes and change the library."""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import sys
from dataclasses import fields
from pathlib import Path

from ground.errors import ConfigError
from ground.settings import ENV_PREFIX, Settings

APP_PATH = Path(__file__).resolve().parent.parent / "app.py"


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("ui", help="start the study app in the browser")
    parser.set_defaults(handler=start_ui)


def streamlit_command(settings: Settings) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.address", settings.ui_host,
        "--server.port", str(settings.ui_port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--server.maxUploadSize", str(max(1, math.ceil(settings.max_file_mb))),
        "--client.toolbarMode", "minimal",
        "--runner.magicEnabled", "false",  # see MAGIC_OFF
    ]


MAGIC_OFF = """The app writes nothing through Streamlit's "magic" (a bare expression shown on the
page), and magic parses each script run with ``ast.parse`` in the session's thread: on
CPython 3.11.7, two parses at once can fail with "AST constructor recursion depth mismatch"
(gh-106905), seen as a script compilation error in the app's tests."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only reaches this machine.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.0.0.5")]
    [True, True, True, False, False]
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def start_ui(args: argparse.Namespace, settings: Settings) -> int:
    if not is_loopback(settings.ui_host) and settings.class_mode != "on":
        raise ConfigError(f"ui_host {settings.ui_host} is reachable beyond this machine; serve "
                          "it with login on: 'study serve --host ...' (accounts: 'study users "
                          "add')")
    env = dict(os.environ)  # the app re-reads Settings; pass every resolved value along
    env.update({ENV_PREFIX + f.name.upper(): str(getattr(settings, f.name))
                for f in fields(Settings)})
    print(f"study app: http://{settings.ui_host}:{settings.ui_port}  (library {settings.home})",
          file=sys.stderr)
    command = streamlit_command(settings)
    sys.stderr.flush()
    os.execve(command[0], command, env)  # become the server: signals reach Streamlit itself
