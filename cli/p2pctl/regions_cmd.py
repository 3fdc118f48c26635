"""`p2pctl regions`: every commercial region, enabled or not, zones, quota and what the config needs there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem
from p2pctl.context import cli_context
from p2pctl.output import console, errors, print_json, say
from p2pctl.preflight import AccountFacts, RegionFacts, load_config, read_facts


def regions(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help="a config file instead of the stored item")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Every commercial region: enabled, zones offering instance.type, selected, on-demand vCPU quota vs need."""
    cli = cli_context(ctx)
    source = load_config(cli, file)
    stack = cli.stack_name if source.stack_found else None
    facts = read_with_progress(cli.fleet_clients, source.config, cli.home_region, stack, quiet=as_json)
    if as_json:
        print_json({"config": source.origin, **facts.as_dict()})
        return
    say(f"config: {source.origin}")
    print_regions(facts, source.config.network.az_number)


def read_with_progress(
    clients: ClientFactory, config: ConfigItem, home: str, stack: str | None, *, quiet: bool
) -> AccountFacts:
    """read_facts with a progress bar on stderr (none for --json)."""
    with Progress(
        TextColumn("reading regions"), BarColumn(), MofNCompleteColumn(), console=errors, transient=True, disable=quiet
    ) as progress:
        task = progress.add_task("regions", total=None)

        def advance(_: RegionFacts) -> None:
            progress.advance(task)

        return read_facts(clients, config, home, stack_name=stack, on_region=advance)


def print_regions(facts: AccountFacts, az_number: int) -> None:
    """The table: one row per region."""
    kind = facts.instance_type
    described = f"{', '.join(facts.architectures) or '?'}, {facts.vcpus_each} vCPUs" if facts.vcpus_each else "?"
    table = Table("region", "enabled", "zones", "selected", "vCPU quota", "running", "needed", "", box=None)
    table.columns[0].no_wrap = True
    for row in facts.regions:
        table.add_row(
            row.region,
            _enabled(row),
            "-" if row.zones is None else f"{len(row.zones)}" + ("" if len(row.zones) >= az_number else " ⚠"),
            "yes" if row.selected else "",
            "-" if row.quota_vcpus is None else f"{row.quota_vcpus:g}",
            "-" if row.running_vcpus is None else str(row.running_vcpus),
            str(row.needed_vcpus) if row.selected else "",
            _verdict(row),
        )
    console.print(table)
    say(f"zones: standard Availability Zones offering {kind} ({described}); needed: peak desired × vCPUs")
    say(f"vCPU quota: {_QUOTA_NAME}; running: vCPUs of instances it counts")
    for error in facts.errors + [f"{r.region}: {e}" for r in facts.regions for e in r.errors]:
        console.print(error, style="yellow", markup=False, highlight=False)
    disabled = [r.region for r in facts.regions if r.selected and not r.enabled]
    if disabled:
        say(f"selected but not enabled (skipped by every run): {', '.join(disabled)}; see 'p2pctl doctor'")


_QUOTA_NAME = "Running On-Demand Standard instances (L-1216C47A)"


def _enabled(row: RegionFacts) -> str:
    return {"ENABLED_BY_DEFAULT": "yes", "ENABLED": "opted in", "DISABLED": "no"}.get(
        row.opt_status, row.opt_status.lower()
    )


def _verdict(row: RegionFacts) -> str:
    if not row.selected:
        return ""
    if not row.enabled:
        return "✗ not enabled"
    if row.zones is not None and not row.zones:
        return "✗ type not offered"
    if row.over_quota():
        return "✗ over quota"
    return "✓"


def register(cli: typer.Typer) -> None:
    """Add `regions` to the root command."""
    cli.command()(regions)
