"""The ``study`` command: flags become one ``Settings`` object, each command is a thin handler.

Errors from the library surface here only: one line on stderr and a non-zero exit status --
the library's own errors (status 1, or the error's), a refused file operation (status 1), and a
bad flag or argument (status 2, one line instead of argparse's usage block). Every such line
goes through ``terminal_safe``, since it may quote a file name or note text.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from importlib.metadata import PackageNotFoundError, version

from ground.errors import StudyError
from ground.settings import Settings
from ui.commands import COMMAND_MODULES
from ui.terminal_text import terminal_safe


def package_version() -> str:
    try:
        return version("study-assistant")
    except PackageNotFoundError:
        return "0+unknown"


class OneLineErrorParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` (and, through ``parser_class``, every subcommand's) whose errors
    are one line, like every other error of the command."""

    def error(self, message: str):
        self.exit(2, f"error: {terminal_safe(message)} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="study",
        description="A local, offline study assistant over your own notes.",
    )
    parser.add_argument("--version", action="version", version=f"study {package_version()}")
    parser.add_argument(
        "--home", help="library home directory (env STUDY_HOME, default ~/.study)"
    )
    settings_group = parser.add_argument_group(
        "settings", "override HOME/config.toml and STUDY_* environment variables"
    )
    for setting in fields(Settings):
        if setting.name == "home":
            continue
        settings_group.add_argument(
            "--" + setting.name.replace("_", "-"),
            dest=f"setting_{setting.name}",
            metavar=setting.name.upper(),
            choices=setting.metadata.get("choices"),
            help=setting.metadata.get("help"),
        )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {
        name.removeprefix("setting_"): value
        for name, value in vars(args).items()
        if name.startswith("setting_") and value is not None
    }
    return Settings.load(home=args.home, overrides=overrides)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args, settings_from_args(args)) or 0
    except StudyError as error:
        print(f"error: {terminal_safe(error)}", file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file the command was given or must write, refused by the OS
        where = f"{error.filename}: " if error.filename else ""
        reason = error.strerror or str(error)
        print(f"error: {terminal_safe(where + reason)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
