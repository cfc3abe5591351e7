"""One module per group of ``study`` commands; each has ``register(subparsers)``."""

from ui.commands import models_cmd, planned_cmd, ui_cmd

COMMAND_MODULES = (models_cmd, ui_cmd, planned_cmd)
