"""Errors the CLI reports as one line plus the fix (a traceback only with --debug)."""

from __future__ import annotations


class CliError(Exception):
    """An operator-facing failure: what went wrong and how to fix it."""

    def __init__(self, message: str, fix: str = "", exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.exit_code = exit_code
