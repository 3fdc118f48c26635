"""`p2pctl config ...`: show, schema, validate, set, unset, put, edit and restart-window."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from p2p_core.config.model import ConfigItem, config_json_schema
from p2p_core.config.validation import ConfigError
from p2pctl.config_write import BOOKKEEPING, current_item, stored_config, validate, write_item
from p2pctl.context import CliContext
from p2pctl.errors import CliError
from p2pctl.output import console, print_json
from p2pctl.values import (
    ValueSyntaxError,
    as_flow,
    as_yaml,
    field_schema,
    parse_value,
    read_item,
    value_at,
    with_value,
    without_key,
)
from p2pctl.write_guard import YES_HELP, confirm_write

app = typer.Typer(help="Show, validate and change the config item.", no_args_is_help=True, rich_markup_mode=None)
EXPECT_VERSION_HELP = "write only if the stored version is still N (default: the version read; for put: the file's)"


def load_file(path: Path) -> dict[str, Any]:
    """A config file (JSON or YAML 1.2) as a mapping, or a CliError naming the file, line and column."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", "pass the path of a JSON or YAML file") from None
    try:
        data = read_item(text, json_text=path.suffix == ".json")
    except ValueSyntaxError as exc:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise CliError(f"{path}: {exc} (not valid {kind})", f"fix the syntax at {exc.where or 'that place'}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise CliError(f"{path}: the item must be a map of fields, got {kind}", "see 'p2pctl config schema'")
    return data


def config_from_file(path: Path) -> ConfigItem:
    """A config file parsed and validated, or a CliError naming every bad field."""
    from p2p_core.config import parse_config

    try:
        return parse_config(load_file(path))
    except ConfigError as exc:
        raise CliError(exc.summary(), "fix the fields above; 'p2pctl config schema' lists every field") from None


def summary(config: ConfigItem) -> str:
    """One line saying what a config asks for, each number labelled."""
    regions = config.selected_regions()
    shown = ", ".join(regions[:4]) + (f" and {len(regions) - 4} more" if len(regions) > 4 else "")
    counts = sorted({c for r in regions if (c := config.desired_capacity.resolve(r)) is not None})
    left = sum(1 for r in regions if config.desired_capacity.resolve(r) is None)
    if not counts:
        instances = "left as they are"
    else:
        instances = str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
        instances += f" ({left} region(s) left as they are)" if left else ""
    return (
        f"valid: {len(regions)} region(s) ({shown or 'none'}); instances per region: {instances}; "
        f"runs {config.schedule_expression}"
    )


@app.command("validate")
def validate_file(
    file: Annotated[Path, typer.Argument(help="JSON or YAML file with the item's fields (no pk)", metavar="FILE")],
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON (always, even for errors)")] = False,
) -> None:
    """Check a config file; exit 0 with a summary, or 1 with every bad field."""
    try:
        config = validate(load_file(file))
    except CliError as exc:
        if as_json:
            print_json({"valid": False, "errors": [{"field": "(file)", "value": str(file), "message": exc.message}]})
        raise
    except ConfigError as exc:
        if as_json:
            print_json({"valid": False, "errors": exc.as_dicts()})
        raise CliError(exc.summary(), "fix the fields above; 'p2pctl config schema' lists every field") from None
    warnings = config.network.warnings()
    if as_json:
        print_json(
            {"valid": True, "regions": config.selected_regions(), "config": config.to_item(), "warnings": warnings}
        )
    else:
        console.print(summary(config), highlight=False, markup=False)
        print_warnings(warnings)


def print_warnings(warnings: list[str]) -> None:
    """Valid but risky settings, one ⚠ line each."""
    for warning in warnings:
        console.print(f"⚠ {warning}", style="yellow", highlight=False, markup=False)


@app.command()
def schema() -> None:
    """Print the config item's JSON Schema."""
    print_json(config_json_schema())


@app.command()
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of YAML")] = False,
    effective: Annotated[bool, typer.Option("--effective", help="with every default filled in")] = False,
) -> None:
    """Print the stored config item (YAML, or JSON with --json); `config put` accepts it back."""
    cli: CliContext = ctx.obj
    raw, _ = current_item(cli)
    data = stored_config(cli).effective_item() if effective else raw
    if as_json:
        print_json(data)
    else:
        sys.stdout.write(as_yaml(data))


def window_note(before: dict[str, Any], written: ConfigItem) -> str | None:
    """The line saying the run window restarts, exactly when the write re-anchors `start_time: "now"`."""
    from p2p_core.config import parse_config
    from p2p_core.timemodel import restarts_window

    try:
        old: ConfigItem | None = parse_config(before)
    except ConfigError:  # a bad stored field: the write replaced it; the window it had is unknown
        old = None
    if not restarts_window(old, written):
        return None
    offset = as_flow(written.effective_item()["start_offset"])
    return f"the run window restarts: agents start {offset} after the next run begins (its stop counts from there)"


def report_write(written: ConfigItem, before: dict[str, Any], said: str) -> None:
    """After a write: what was stored, the summary, and whether the window restarts."""
    console.print(f"config version {written.version}{said}", highlight=False, markup=False)
    console.print(summary(written), highlight=False, markup=False)
    note = window_note(before, written)
    if note is not None:
        console.print(note, highlight=False, markup=False)


def _stored_as(written: ConfigItem, key: str) -> str:
    found, stored = value_at(written.to_item(), key)
    default = " (its default applies)" if field_schema(key) is not None else ""
    return f"{key} = {as_flow(stored)}" if found else f"{key} removed{default}"


def _apply(
    cli: CliContext,
    keys: list[str],
    change: Callable[[dict[str, Any]], dict[str, Any]],
    expect_version: int | None,
    yes: bool,
) -> tuple[ConfigItem, dict[str, Any]]:
    """Apply `change` to the stored fields and write the result; returns it and the fields before."""
    for key in keys:
        if key.split(".")[0] in BOOKKEEPING:
            raise CliError(f"{key} is kept by p2pctl, not set by hand", "set a config field instead")
    raw, version = current_item(cli)
    expected = version if expect_version is None else expect_version
    guard = functools.partial(confirm_write, cli, raw, yes=yes)
    written = write_item(cli, change(raw), expected, before=raw, changed=keys, guard=guard, stored_version=version)
    return written, raw


YesOption = Annotated[bool, typer.Option("--yes", help=YES_HELP)]
ExpectVersion = Annotated[int | None, typer.Option("--expect-version", help=EXPECT_VERSION_HELP)]


@app.command("set")
def set_value(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="dotted field, e.g. desired_capacity.aws.eu-west-1", metavar="KEY")],
    value: Annotated[
        str, typer.Argument(help="YAML 1.2: 3, [eu-west-1, us-east-1], {all: 2}; null = no value", metavar="VALUE")
    ],
    expect_version: ExpectVersion = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the written item as JSON")] = False,
    yes: YesOption = False,
) -> None:
    """Change one field of the config item (validated; conditional on the version read)."""
    try:
        parsed = parse_value(key, value)
    except ValueSyntaxError as exc:
        raise CliError(f"{key}: the value is not YAML ({exc})", "quote it, e.g. '\"your text\"'") from None
    written, before = _apply(ctx.obj, [key], lambda raw: with_value(raw, key, parsed), expect_version, yes)
    if as_json:
        print_json(written.to_item())
    else:
        report_write(written, before, f": {_stored_as(written, key)}")


@app.command()
def unset(
    ctx: typer.Context,
    keys: Annotated[list[str], typer.Argument(help="dotted fields to remove (their defaults apply)", metavar="KEY...")],
    expect_version: ExpectVersion = None,
    yes: YesOption = False,
) -> None:
    """Remove fields from the config item, so their defaults apply (several at once, validated together)."""
    written, before = _apply(ctx.obj, keys, lambda raw: functools.reduce(without_key, keys, raw), expect_version, yes)
    report_write(written, before, f": removed {', '.join(keys)}")


@app.command("restart-window")
def restart_window(ctx: typer.Context, expect_version: ExpectVersion = None, yes: YesOption = False) -> None:
    """Restart the run window: start_time 'now' becomes the next run's start (bumps window_version)."""

    def bump(raw: dict[str, Any]) -> dict[str, Any]:
        return with_value(raw, "window_version", int(raw.get("window_version", 0) or 0) + 1)

    written, before = _apply(ctx.obj, ["window_version"], bump, expect_version, yes)
    if written.start_time == "now":
        report_write(written, before, f": window_version = {written.window_version}")
    else:
        console.print(f"config version {written.version}: window_version = {written.window_version}", highlight=False)
        console.print("start_time is a fixed time: the window stays where it is (a restart moves only 'now')")


@app.command()
def put(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON or YAML file with the whole item's fields", metavar="FILE")],
    expect_version: ExpectVersion = None,
    force: Annotated[
        bool, typer.Option("--force", help="write a file without `version` over whatever version is stored")
    ] = False,
    yes: YesOption = False,
) -> None:
    """Replace the whole config item with a file's content (validated; conditional on the file's version)."""
    from p2pctl.config_replace import put_file

    put_file(ctx.obj, file, expect_version=expect_version, force=force, yes=yes)


@app.command()
def edit(ctx: typer.Context, yes: YesOption = False) -> None:
    """Edit the item in $EDITOR as YAML; written only if valid and nobody changed it meanwhile."""
    from p2pctl.config_replace import edit_in_editor

    edit_in_editor(ctx.obj, yes=yes)
