"""`p2pctl config ...`: show, schema, validate, set and edit the config item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from p2p_core.config import config_json_schema, parse_config
from p2p_core.errors import ConfigError
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
