"""The stored config item from the CLI: validated, conditional writes, and errors that blame the right field.

A bad field already in the item (written by another client) is never blamed on the value the operator
typed: the error names it and prints the one command that removes it.
"""

from __future__ import annotations

import getpass
import shlex
import socket
from collections.abc import Callable, Mapping
from typing import Any

from p2p_core.checks.deliverable import check_deliverable
from p2p_core.config import ConfigItem, parse_config
from p2p_core.config.validation import ConfigError, FieldError
from p2p_core.models.deployment import Deployment
from p2pctl.context import CliContext, now
from p2pctl.errors import CliError
from p2pctl.values import null_is_a_value, value_at

CONFLICT_EXIT = 3
BOOKKEEPING = ("version", "updated_at", "updated_by")

# what the CLI assumes when it cannot read the stack: a UUID secret path and two CloudFront URLs
TYPICAL_DEPLOYMENT = Deployment(
    control_center_path="/" + "0" * 36,
    control_center_urls=["https://d0000000000000.cloudfront.net/" + "0" * 36] * 2,
    control_center_function="control-center",
)


def validate(fields: Mapping[str, Any], deployment: Deployment = TYPICAL_DEPLOYMENT) -> ConfigItem:
    """The config the fields make, checked as the workflow will (AWS limits included); raises ConfigError."""
    config = parse_config({k: v for k, v in fields.items() if k not in BOOKKEEPING})
    check_deliverable(config, deployment, now())
    return config


def current_item(cli: CliContext) -> tuple[dict[str, Any], int]:
    """The stored item's fields as they are (valid or not) and its version."""
    from p2p_core.storage.config import ConfigStore

    raw = ConfigStore(cli.client("dynamodb"), cli.config_table()).load_raw() or {}
    return raw, int(raw.get("version", 0) or 0)


def removal_fix(raw: Mapping[str, Any], errors: list[FieldError]) -> str:
    """The one command that removes every bad field of the stored item (`p2pctl config set X null` for one)."""
    paths = sorted({_stored_path(raw, e.field) for e in errors})
    if len(paths) == 1 and not null_is_a_value(paths[0]):
        return f"p2pctl config set {shlex.quote(paths[0])} null"
    return "p2pctl config unset " + " ".join(shlex.quote(p) for p in paths)


def _stored_path(raw: Mapping[str, Any], field: str) -> str:
    """The deepest prefix of an error's field that is stored (`desired_capacity.eu-west-1` -> `desired_capacity`)."""
    parts = field.split(".")
    for end in range(len(parts), 0, -1):
        if value_at(dict(raw), ".".join(parts[:end]))[0]:
            return ".".join(parts[:end])
    return parts[0]


def stored_config(cli: CliContext) -> ConfigItem:
    """The stored item as a config; a bad stored field is one error with the command that removes it."""
    raw, _ = current_item(cli)
    try:
        return parse_config(raw)
    except ConfigError as exc:
        raise CliError(f"the stored config item is invalid: {exc.summary()}", removal_fix(raw, exc.errors)) from None


def _blame(before: Mapping[str, Any], changed: list[str], exc: ConfigError) -> CliError:
    """Errors of the operator's own change first; bad fields already stored, with the command that removes them."""
    try:
        validate(before)
        already: list[FieldError] = []
    except ConfigError as stored:
        already = [e for e in stored.errors if not any(_under(e.field, key) for key in changed)]
    old = {(e.field, e.message) for e in already}
    own = [e for e in exc.errors if (e.field, e.message) not in old]
    stored_text = "\n".join(f"  {e}" for e in already)
    if not own:
        return CliError(
            f"nothing written: the stored item already has a bad field (not yours):\n{stored_text}",
            removal_fix(before, already),
        )
    message = ConfigError(own).summary()
    if already:
        message += f"\nthe stored item also has a bad field (not yours):\n{stored_text}"
        return CliError(message, f"fix your value; remove the stored one with '{removal_fix(before, already)}'")
    return CliError(message, "the stored item is unchanged; fix the value and run the command again")


def _under(field: str, key: str) -> bool:
    return field == key or field.startswith(key + ".") or key.startswith(field + ".")


def who() -> str:
    """How p2pctl signs its writes (`updated_by`)."""
    return f"p2pctl:{getpass.getuser()}@{socket.gethostname()}"


def _deployment_or_typical(cli: CliContext) -> Any:
    try:
        return cli.deployment()
    except CliError:  # --table without a stack: assume typical URL and path lengths
        return TYPICAL_DEPLOYMENT


def write_item(
    cli: CliContext,
    new_fields: dict[str, Any],
    expected_version: int,
    *,
    before: Mapping[str, Any] | None = None,
    changed: list[str] | None = None,
    guard: Callable[[ConfigItem], None] | None = None,
    stored_version: int | None = None,
) -> ConfigItem:
    """Validate and write the item conditional on `expected_version`; the item is untouched on any error.

    With `before` (the stored fields) and `changed` (the dotted keys edited), a bad field that was already
    stored is reported as such, with the command that removes it, instead of being blamed on the edit.
    `guard` sees the valid item before it is written and may refuse it (`write_guard.confirm_write`); a write
    already known to conflict (`stored_version` is not the expected one) is refused first, never asked about.
    """
    from p2p_core.storage.config import ConfigConflict, ConfigStore

    try:
        config = validate(new_fields, _deployment_or_typical(cli))
    except ConfigError as exc:
        if before is None or changed is None:
            raise CliError(exc.summary(), "fix the fields above; 'p2pctl config schema' lists every field") from None
        raise _blame(before, changed, exc) from None
    store = ConfigStore(cli.client("dynamodb"), cli.config_table())
    try:
        if stored_version is not None and stored_version != expected_version:
            raise ConfigConflict.since(expected_version)
        if guard is not None:
            guard(config)
        return store.save(config, expected_version=expected_version, updated_by=who(), now=now())
    except ConfigConflict as exc:
        raise CliError(str(exc), "run 'p2pctl config show' and apply the change again", CONFLICT_EXIT) from None
