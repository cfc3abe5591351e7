"""``study ui``: start the Streamlit app on loopback (never all interfaces unless asked)."""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import fields
from pathlib import Path

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
    ]


def start_ui(args: argparse.Namespace, settings: Settings) -> int:
    env = dict(os.environ)  # the app re-reads Settings; pass every resolved value along
    env.update({ENV_PREFIX + f.name.upper(): str(getattr(settings, f.name))
                for f in fields(Settings)})
    print(f"study app: http://{settings.ui_host}:{settings.ui_port}  (library {settings.home})",
          file=sys.stderr)
    command = streamlit_command(settings)
    sys.stderr.flush()
    os.execve(command[0], command, env)  # become the server: signals reach Streamlit itself
