"""`p2pctl config ...`: show, schema, validate, set and edit the config item."""

from __future__ import annotations

import copy
import getpass
import json
import os
import shlex
import socket
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from p2p_core.config import config_json_schema, parse_config
from p2p_core.errors import ConfigError, show_value
from p2p_core.workflow.deliverable import TYPICAL_DEPLOYMENT, check_deliverable
from p2pctl.context import CliContext
from p2pctl.errors import CliError
from p2pctl.output import console, print_json, print_yaml

app = typer.Typer(help="Show, validate and change the config item.", no_args_is_help=True)


def load_file(path: Path) -> dict[str, Any]:
    """A config file (JSON or YAML) as a mapping, or a CliError naming the file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", "pass the path of a JSON or YAML file") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise CliError(f"{path} is not valid JSON/YAML: {exc}".splitlines()[0], "fix the syntax") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise CliError(f"{path}: the item must be a map of fields, got {kind}", "see 'p2pctl config schema'")
    return data


def summary(config: Any) -> str:
    """One line saying what a config asks for."""
    regions = config.selected_regions()
    shown = ", ".join(regions[:4]) + (f" and {len(regions) - 4} more" if len(regions) > 4 else "")
    counts = {config.desired_capacity.resolve(r) for r in regions}
    count = "unchanged" if counts == {None} else "/".join(str(c) for c in sorted(c for c in counts if c is not None))
    return f"valid: {len(regions)} region(s) ({shown}), desired {count}, schedule {config.schedule_expression}"


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="JSON or YAML file with the item's fields (no pk)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Check a config file; exit 0 with a summary, or 1 with every bad field."""
    raw = load_file(file)
    try:
        config = parse_config(raw)
        check_deliverable(config, TYPICAL_DEPLOYMENT, datetime.now(UTC))
    except ConfigError as exc:
        if as_json:
            print_json({"valid": False, "errors": exc.as_dicts()})
        raise CliError(exc.summary(), "fix the fields above; 'p2pctl config schema' lists every field") from None
    if as_json:
        print_json({"valid": True, "regions": config.selected_regions(), "config": config.to_item()})
    else:
        console.print(summary(config), highlight=False, markup=False)


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
    """Print the stored config item (YAML, or JSON with --json)."""
    from p2p_core.config_store import ConfigStore

    cli: CliContext = ctx.obj
    store = ConfigStore(cli.client("dynamodb"), cli.config_table())
    raw = store.load_raw()
    data: dict[str, Any] = raw or {}
    if effective:
        data = store.load().to_item()
    (print_json if as_json else print_yaml)(data)


CONFLICT_EXIT = 3
_BOOKKEEPING = ("version", "updated_at", "updated_by")


class _TimesAsText(yaml.SafeLoader):
    """YAML without its timestamp type: `2026-12-01T08:00:00Z` stays the RFC 3339 text the config expects."""


_TimesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_value(text: str) -> Any:
    """A command-line value as YAML: `3` is a number, `[a, b]` a list, `{all: 1}` a map, `null` removes."""
    if text.strip() in ("", "-"):  # "-" is "leave alone" in the capacity grammar, not a YAML list item
        return text.strip()
    try:
        return yaml.load(text, Loader=_TimesAsText)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError:
        return text  # not YAML: take it as the literal string


def with_value(item: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `item` with the dotted `key` set (or removed when value is None)."""
    changed = copy.deepcopy(item)
    *parents, leaf = key.split(".")
    node = changed
    for index, part in enumerate(parents):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            above = ".".join(parents[: index + 1])
            raise CliError(
                f"{above} is {show_value(child)}, not a map: cannot set {key}",
                f"set {above} as a whole, e.g. p2pctl config set {above} '{{{leaf}: ...}}'",
            )
        node = child
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return changed


def _deployment_or_typical(cli: CliContext) -> Any:
    try:
        return cli.deployment()
    except CliError:  # --table without a stack: assume typical URL and path lengths
        return TYPICAL_DEPLOYMENT


def _who() -> str:
    return f"p2pctl:{getpass.getuser()}@{socket.gethostname()}"


def write_item(cli: CliContext, new_fields: dict[str, Any], expected_version: int) -> Any:
    """Validate and write the item conditional on `expected_version`; the item is untouched on any error."""
    from p2p_core.config_store import ConfigConflict, ConfigStore

    try:
        config = parse_config({k: v for k, v in new_fields.items() if k not in _BOOKKEEPING})
        check_deliverable(config, _deployment_or_typical(cli), _now())
    except ConfigError as exc:
        raise CliError(exc.summary(), "the stored item is unchanged; fix the value and run the command again") from None
    store = ConfigStore(cli.client("dynamodb"), cli.config_table())
    try:
        return store.save(config, expected_version=expected_version, updated_by=_who(), now=_now())
    except ConfigConflict as exc:
        raise CliError(str(exc), "run 'p2pctl config show' and apply the change again", CONFLICT_EXIT) from None


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def current_item(cli: CliContext) -> tuple[dict[str, Any], int]:
    from p2p_core.config_store import ConfigStore

    raw = ConfigStore(cli.client("dynamodb"), cli.config_table()).load_raw() or {}
    return raw, int(raw.get("version", 0) or 0)


@app.command("set")
def set_value(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="dotted field, e.g. desired_capacity.aws.eu-west-1")],
    value: Annotated[str, typer.Argument(help="YAML value: 3, '[eu-west-1, us-east-1]', '{all: 2}', null")],
    expect_version: Annotated[
        int | None, typer.Option("--expect-version", help="write only if the stored version is still this")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the written item as JSON")] = False,
) -> None:
    """Change one field of the config item (validated; conditional on the version read)."""
    cli: CliContext = ctx.obj
    raw, version = current_item(cli)
    if key.split(".")[0] in _BOOKKEEPING:
        raise CliError(f"{key} is kept by p2pctl, not set by hand", "set a config field instead")
    written = write_item(
        cli, with_value(raw, key, parse_value(value)), version if expect_version is None else expect_version
    )
    if as_json:
        print_json(written.to_item())
    else:
        console.print(f"config version {written.version}: {key} = {value}", highlight=False, markup=False)
        console.print(summary(written), highlight=False, markup=False)


@app.command()
def put(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON or YAML file with the whole item's fields")],
    expect_version: Annotated[int | None, typer.Option("--expect-version")] = None,
) -> None:
    """Replace the whole config item with a file's content (validated; conditional on the version read)."""
    cli: CliContext = ctx.obj
    new_fields = load_file(file)
    _, version = current_item(cli)
    written = write_item(cli, new_fields, version if expect_version is None else expect_version)
    console.print(f"config version {written.version} written from {file}", highlight=False, markup=False)
    console.print(summary(written), highlight=False, markup=False)


@app.command()
def edit(ctx: typer.Context) -> None:
    """Edit the item in $EDITOR as YAML; written only if valid and nobody changed it meanwhile."""
    cli: CliContext = ctx.obj
    raw, version = current_item(cli)
    shown = {k: v for k, v in raw.items() if k not in _BOOKKEEPING}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="p2p-config-", delete=False) as handle:
        handle.write(f"# p2p config item, version {version}. Save and quit to apply; empty file to cancel.\n")
        yaml.safe_dump(shown, handle, sort_keys=False, allow_unicode=True)
        path = Path(handle.name)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    if subprocess.run([*shlex.split(editor), str(path)], check=False).returncode != 0:
        raise CliError(f"{editor} exited with an error; nothing written (your edit is in {path})", "edit again")
    edited = load_file(path)
    if not edited and shown:
        path.unlink()
        console.print("empty file: nothing written", highlight=False, markup=False)
        return
    if edited == shown:
        path.unlink()
        console.print("no change", highlight=False, markup=False)
        return
    try:
        written = write_item(cli, edited, version)
    except CliError as exc:
        raise CliError(f"{exc.message} (your edit is kept in {path})", exc.fix, exc.exit_code) from None
    path.unlink()
    console.print(f"config version {written.version} written", highlight=False, markup=False)
    console.print(summary(written), highlight=False, markup=False)
