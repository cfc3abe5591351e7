"""The error hierarchy of the study assistant.

Every message is one line a user can act on: it names the file (or setting) and the reason, and
where a command fixes it, the command. The edges convert them: the CLI prints the line and exits
non-zero, the UI shows ``st.error``.
"""


class StudyError(Exception):
    """Base class; ``str(error)`` is the one line shown to the user."""

    exit_code = 1


class ConfigError(StudyError):
    """A setting, flag or config file is invalid."""


class ModelError(StudyError):
    """A model file is missing, truncated, corrupt or unloadable."""


class IngestError(StudyError):
    """A file could not be ingested (the reason is in the message)."""


class LibraryBusyError(StudyError):
    """Another process holds the library's write lock."""


class DocumentNotFoundError(StudyError):
    """A document reference (id, path or file name) matches no single library document."""


class LibraryStateError(StudyError):
    """The library on disk is inconsistent or was built with another model."""


class LibraryReadOnlyError(LibraryStateError):
    """The library home cannot be written (permissions, a read-only mount)."""


class StorageFullError(StudyError):
    """The disk refused a write: no space left, a quota, or a file size limit."""

