"""`p2pctl cost`: the configured fleet's cost for its window, and the control plane's per month."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from p2p_core.cost.drift_events import DRIFT_EVENTS_PER_MONTH, DriftEvents
from p2p_core.cost.fleet import DEFAULT_EGRESS_GB_PER_DAY, CostError
from p2pctl.context import cli_context, now
from p2pctl.errors import CliError
from p2pctl.output import console, print_json


def cost(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help="a config file instead of the stored item")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the estimate as JSON")] = False,
    egress_gb_per_day: Annotated[
        float,
        typer.Option("--egress-gb-per-day", help="data each instance sends to the internet per day, GB (assumed)"),
    ] = DEFAULT_EGRESS_GB_PER_DAY,
    drift_events_per_month: Annotated[
        float,
        typer.Option(
            "--drift-events-per-month",
            help="drift events assumed a month: hand-made changes, launch failures, Spot warnings (default: about "
            "one a day)",
        ),
    ] = DRIFT_EVENTS_PER_MONTH,
    create_trail: Annotated[
        bool, typer.Option("--create-trail", help="price the stack's own trail (deployed with CreateTrail=true)")
    ] = False,
    second_trail: Annotated[
        bool,
        typer.Option(
            "--second-trail",
            help="with --create-trail: the account already has a trail of management events, so the stack's "
            "records a paid second copy",
        ),
    ] = False,
) -> None:
    """Estimated cost of the configured fleet for its window, and of the control plane per month.

    Per instance: compute, root volume, public IPv4 address and data transfer out, each line with its source.
    """
    from p2pctl.config_cmd import config_from_file
    from p2pctl.config_write import stored_config
    from p2pctl.cost_estimate import estimate
    from p2pctl.cost_facts import read_facts

    try:
        drift = DriftEvents(
            drift_events_per_month, create_trail=create_trail, second_copy=create_trail and second_trail
        )
    except CostError as exc:
        raise CliError(str(exc), "--drift-events-per-month takes events a month, 0 or more") from None
    cli = cli_context(ctx)
    config = config_from_file(file) if file is not None else stored_config(cli)
    at = now()
    facts = read_facts(cli.clients, cli.home_region, str(cli.stack_name), config, at)
    report = estimate(config, at, facts, egress_gb_per_day, drift)
    if as_json:
        print_json(report.as_dict())
    else:
        report.print(console)


def register(cli: typer.Typer) -> None:
    """Add the command to the root command."""
    cli.command()(cost)
