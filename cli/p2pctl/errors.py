"""Errors the CLI reports as one line plus the fix (a traceback only with --debug)."""

from __future__ import annotations

CREDENTIALS_FIX = (
    "set AWS_PROFILE (a profile from 'aws configure'), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; "
    "for the local emulator pass --endpoint-url (any credentials work there)"
)


class CliError(Exception):
    """An operator-facing failure: what went wrong and how to fix it."""

    def __init__(self, message: str, fix: str = "", exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.exit_code = exit_code


class Interrupted(BaseException):
    """Ctrl-C: raised by p2pctl's SIGINT handler, so Click never turns it into "Aborted!" and exit 1."""
