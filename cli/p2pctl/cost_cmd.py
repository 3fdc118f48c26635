"""`p2pctl cost`: the configured fleet's cost for its window, and the control plane's per month."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from p2p_core.cost.fleet import DEFAULT_EGRESS_GB_PER_DAY
from p2pctl.context import cli_context, now
from p2pctl.output import console, print_json


def cost(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help="a config file instead of the stored item")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the estimate as JSON")] = False,
    egress_gb_per_day: Annotated[
        float,
        typer.Option("--egress-gb-per-day", help="data each instance sends to the internet per day, GB (assumed)"),
    ] = DEFAULT_EGRESS_GB_PER_DAY,
) -> None:
    """Estimated cost of the configured fleet for its window, and of the control plane per month.

    Per instance: compute, root volume, public IPv4 address and data transfer out, each line with its source.
    """
    from p2pctl.config_cmd import config_from_file
    from p2pctl.config_write import stored_config
    from p2pctl.cost_estimate import estimate
    from p2pctl.cost_facts import read_facts

    cli = cli_context(ctx)
    config = config_from_file(file) if file is not None else stored_config(cli)
    at = now()
    facts = read_facts(cli.clients, cli.home_region, str(cli.stack_name), config, at)
    report = estimate(config, at, facts, egress_gb_per_day)
    if as_json:
        print_json(report.as_dict())
    else:
        report.print(console)


def register(cli: typer.Typer) -> None:
    """Add the command to the root command."""
    cli.command()(cost)
