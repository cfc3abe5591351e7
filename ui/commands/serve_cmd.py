"""``study serve`` (the app for a class: login on, one history per student) and ``study users``
(the class's accounts, kept hashed in the library home)."""

from __future__ import annotations

import argparse
import getpass
import sys

from ground.errors import ConfigError
from ground.settings import Settings
from ui.class_mode_accounts import (
    MIN_PASSWORD_CHARS,
    ROLES,
    accounts,
    accounts_path,
    add_account,
    has_teacher,
    remove_account,
)
from ui.commands.ui_cmd import start_ui


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve", help="start the study app for a class: login, per-student history")
    serve.add_argument("--host", help="address to listen on (default: the ui_host setting; "
                       "0.0.0.0 for every interface)")
    serve.add_argument("--port", type=int, help="port (default: the ui_port setting)")
    serve.set_defaults(handler=start_class_server)

    users = commands.add_parser("users", help="the class's accounts (for 'study serve')")
    actions = users.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account (asks for its password)")
    add.add_argument("name", help="login name: lowercase letters, digits, '.', '_' or '-'")
    add.add_argument("--role", choices=ROLES, default="student",
                     help="teacher: manages the library; student: reads and practises")
    add.set_defaults(handler=add_user)
    listing = actions.add_parser("list", help="the accounts and their roles")
    listing.set_defaults(handler=list_users)
    remove = actions.add_parser("remove", help="remove an account (its history stays)")
    remove.add_argument("name")
    remove.set_defaults(handler=remove_user)


def start_class_server(args: argparse.Namespace, settings: Settings) -> int:
    if not has_teacher(settings.home):
        raise ConfigError(f"{accounts_path(settings.home)}: no teacher account yet; create one "
                          "with 'study users add NAME --role teacher'")
    changes = {"class_mode": "on"}
    if args.host:
        changes["ui_host"] = args.host
    if args.port:
        changes["ui_port"] = args.port
    return start_ui(args, settings.replace(**changes))


def add_user(args: argparse.Namespace, settings: Settings) -> int:
    password = _new_password(args.name)
    account = add_account(settings.home, args.name, args.role, password)
    print(f"{account.role} {account.name}: saved in {accounts_path(settings.home)}")
    return 0


def list_users(args: argparse.Namespace, settings: Settings) -> int:
    found = accounts(settings.home)
    for account in found:
        print(f"{account.name}\t{account.role}")
    if not found:
        print("no accounts yet ('study users add NAME --role teacher')", file=sys.stderr)
    return 0


def remove_user(args: argparse.Namespace, settings: Settings) -> int:
    remove_account(settings.home, args.name)
    print(f"removed {args.name} (their study history stays in the library)")
    return 0


def _new_password(name: str) -> str:
    """Asked twice at a terminal; read as one line from standard input otherwise (scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {name} (at least {MIN_PASSWORD_CHARS} characters): ")
    if getpass.getpass("again: ") != first:
        raise ConfigError(f"the two passwords for {name} differ; nothing saved")
    return first
