"""`p2pctl teardown`: remove every managed resource of the stack in every region."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from p2pctl.context import cli_context, now
from p2pctl.errors import CliError
from p2pctl.follow import follow_run
from p2pctl.output import confirmed, console


def teardown(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds to wait for the run")] = 900.0,
) -> None:
    """Remove every agent, ASG and network the stack made, in every region (the stack itself stays).

    Works whatever else the config item holds: it writes only `regions: []`, and when the item has a bad
    field (so a run would stop in Plan) the sweep of every region does the removing.
    """
    from p2p_core.reconciler.teardown import sweep_regions
    from p2p_core.regions import commercial_regions
    from p2pctl.runs import run_name, start_run

    cli = cli_context(ctx)
    if not yes and not confirmed(f"Remove every managed resource of stack {cli.stack_name!r} in every region?"):
        console.print("teardown cancelled: nothing was changed", highlight=False)
        raise typer.Exit(1)
    bad_fields = _select_no_regions(cli)
    outcome: dict[str, Any] = {"status": "SUCCEEDED"}
    if bad_fields is None:  # a valid item: the workflow decommissions the regions it manages
        sfn = cli.client("stepfunctions")
        arn = start_run(sfn, cli.output("StateMachineArn"), source="teardown", name=run_name("teardown"))
        outcome = follow_run(sfn, arn, timeout)
    console.print("sweeping every region for anything still tagged with the stack…")
    results = sweep_regions(cli.fleet_clients, cli.deployment(), list(commercial_regions()))
    removed = [r.region for r in results if r.outcome == "removed"]
    console.print(f"swept {len(results)} regions: {len(removed)} had leftovers, removed ({', '.join(removed) or '-'})")
    left = [r for r in results if r.outcome in ("remaining", "failed")]
    for region in left:
        console.print(f"left in {region.words()}", style="yellow", highlight=False, markup=False)
    if left or outcome["status"] != "SUCCEEDED":
        names = ", ".join(r.region for r in left) or f"the teardown run {outcome['status']}"
        raise CliError(
            f"teardown incomplete: resources remain in {names}" if left else f"teardown incomplete: {names}",
            "remove what is named above if the stack did not make it, then run 'p2pctl teardown --yes' again",
        )
    console.print("teardown complete: nothing of the stack remains in any region")
    if bad_fields is not None:
        console.print(
            f"the config item still has a bad field, so scheduled runs fail until it is removed: {bad_fields}",
            style="yellow",
            highlight=False,
            markup=False,
        )


def _select_no_regions(cli: Any) -> str | None:
    """Write `regions: []` unless it is there; returns the command removing the item's bad fields, if any."""
    from p2p_core.config import parse_config
    from p2p_core.config.validation import ConfigError
    from p2p_core.storage.config import ConfigStore
    from p2pctl.config_write import current_item, removal_fix, who

    raw, version = current_item(cli)
    if raw.get("regions") != []:
        store = ConfigStore(cli.client("dynamodb"), cli.config_table())
        store.select_no_regions(expected_version=version, updated_by=who(), now=now())  # so no run brings agents back
        console.print(f"config version {version + 1}: regions = [] (the schedule keeps nothing running)")
    try:
        parse_config({**raw, "regions": []})
    except ConfigError as exc:
        return removal_fix(raw, exc.errors)
    return None


def register(cli: typer.Typer) -> None:
    """Add the command to the root command."""
    cli.command()(teardown)
