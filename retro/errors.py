"""Errors the user can act on: each carries a clear message and an exit code."""

from __future__ import annotations

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_DAMAGED = 3  # the command did its work but skipped damaged lines of the log


class RetroError(Exception):
    """Base class: the message is shown as is, without a traceback."""

    exit_code = EXIT_ERROR


class LogError(RetroError):
    """A log cannot be read or written as asked."""


class NotALogError(LogError):
    """The file exists but is not a retro log."""


class VersionError(LogError):
    """The log was written by a newer, incompatible major version."""


class TooLargeError(LogError):
    """A file, line or field is over its size limit."""


class RecordNotFound(RetroError):
    """No record (or more than one) matches what the user named."""


class ValidationError(RetroError):
    """A value given for a record is not acceptable."""

    exit_code = EXIT_USAGE
