"""Domain errors and the exit codes they map to (the Pulumi CLI's codes where one applies)."""

from __future__ import annotations


class ExitCode:
    OK = 0
    ERROR = 1
    CONFIG = 2
    AUTH = 3
    RESOURCE = 4
    POLICY = 5
    STACK_NOT_FOUND = 6
    CHANGES = 7
    CANCELLED = 8


class InfraError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str, *, lines: list[str] | None = None):
        super().__init__(message)
        self.lines = lines or [message]


class UsageError(InfraError):
    """Bad input: a flag, a file or the config. Nothing was started."""

    exit_code = ExitCode.CONFIG
