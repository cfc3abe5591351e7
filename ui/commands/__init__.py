"""One module per group of ``study`` commands; each has ``register(subparsers)``."""

from ui.commands import (
    assistant_cmd,
    bank_cmd,
    doctor_cmd,
    library_cmd,
    models_cmd,
    search_cmd,
    serve_cmd,
    study_cmd,
    ui_cmd,
)

COMMAND_MODULES = (
    library_cmd, search_cmd, assistant_cmd, study_cmd, doctor_cmd, models_cmd, ui_cmd, bank_cmd,
    serve_cmd,
)
