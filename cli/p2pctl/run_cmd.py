"""Operator commands about runs: plan (read-only), run [--wait] with per-region progress."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from p2p_core.config.rfc3339 import format_time
from p2pctl.context import CliContext, cli_context, now
from p2pctl.output import capped, console, print_json, say

# ------------------------------------------------------------------------------------------------ plan


def plan(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
) -> None:
    """Show what a run started now would change, per region (reads only; takes no lease)."""
    from p2p_core.config import parse_config
    from p2p_core.config.validation import ConfigError
    from p2p_core.workflow.plan_step import preview_plan
    from p2pctl.config_cmd import print_warnings
    from p2pctl.config_write import stored_config

    cli = cli_context(ctx)
    try:
        result = preview_plan(cli.deployment(), cli.fleet_clients, now())
    except ConfigError:
        stored_config(cli)  # names the stored item's bad fields and the command that removes them
        raise
    warnings = parse_config(result.config).network.warnings() if result.config else []
    verified = last_verified(cli)
    if as_json:
        print_json(
            result.model_dump(mode="json", exclude={"config"}) | {"warnings": warnings, "verified_fully": verified}
        )
        return
    print_warnings(warnings)
    if verified:  # a plan reads everything; scheduled checks read everything only every verify_interval
        say(f"last full verification by a run: {capped([f'{r} {t}' for r, t in sorted(verified.items())])}")
    _print_window(result.window, result.phase)
    if result.nothing_to_do:
        console.print(f"nothing to do: {len(result.unchanged_regions)} region(s) match the config")
        _print_skipped(result.skipped_regions)
        return
    console.print(f"drifted regions ({len(result.regions)}):")
    for region in result.regions:
        if region.refused:  # a change AWS cannot make in place: the run fails this region, untouched
            say(f"  {region.region}: refused: {region.refused}")
            continue
        change = "decommission" if region.decommission else _describe_region_plan(region)
        say(f"  {region.region}: {change}")
        say(f"      why: {capped(region.reasons)}")
    others = []
    if result.update_control_center:
        others.append("control-center function")
    if result.update_schedule:
        others.append(f"schedule → {result.schedule_expression}")
    console.print(f"unchanged: {len(result.unchanged_regions)} region(s); also: {', '.join(others) or 'nothing'}")
    _print_skipped(result.skipped_regions)
    for name, error in result.observe_errors.items():
        console.print(f"could not observe {name}: {error}", style="yellow", markup=False, highlight=False)


def last_verified(cli: CliContext) -> dict[str, str]:
    """When each region was last verified fully by a run and found as configured (`p2p_core.verification`)."""
    from p2p_core.storage.verified import VerificationStore

    found = VerificationStore(cli.client("dynamodb"), cli.config_table()).load()
    return {region: format_time(v.at) for region, v in found.items()}


def _print_window(window: Any, phase: str) -> None:
    if window is None:
        return
    stop = format_time(window.stop) if window.stop else "never"
    say(f"window: start {format_time(window.start)}, stop {stop} (phase: {phase})")
    if window.restarted:
        say("  a start field changed since the last run: 'now' will be that run's start")
    elif window.anchor is not None:
        say(f"  'now' means {format_time(window.anchor)}, when the start fields took their values")


def _print_skipped(regions: list[str]) -> None:
    from p2p_core.checks.enabled import SKIP_REASON

    if regions:
        console.print(f"skipped ({SKIP_REASON}): {', '.join(regions)}", style="yellow", highlight=False)


def _describe_region_plan(region: Any) -> str:
    parts = []
    if region.ensure_infrastructure:
        parts.append("create/update infrastructure")
    if region.check_launches:
        parts.append("read why instances are missing")
    if region.roll_instances:
        parts.append("refresh instances")
    if region.capacity is not None:
        c = region.capacity
        parts.append(f"min/desired/max {c.min_size}/{c.desired_capacity}/{c.max_size}")
    parts += [f"put {a.name} at {format_time(a.start_time)}" for a in region.put_actions]
    parts += [f"delete {name}" for name in region.delete_actions]
    return ", ".join(parts) or "-"


# ------------------------------------------------------------------------------------------------ run


def run(
    ctx: typer.Context,
    wait: Annotated[bool, typer.Option("--wait", help="wait for the run and show each region as it finishes")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds to wait")] = 900.0,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
) -> None:
    """Start a run of the workflow now (as the schedule would).

    With --wait: when another run holds the lease, follow that run (and the follow-up it starts for a
    config changed meanwhile) and report it; exit 1 when the run reported failed.
    """
    from p2pctl.follow import follow_lease_holders, follow_run, run_failed
    from p2pctl.runs import run_name, start_run

    cli = cli_context(ctx)
    sfn = cli.client("stepfunctions")
    arn = start_run(sfn, cli.output("StateMachineArn"), source="manual", name=run_name("manual"))
    if not wait:
        print_json({"execution_arn": arn}) if as_json else console.print(f"started {arn}")
        return
    outcome = follow_run(sfn, arn, timeout, quiet=as_json)
    outcome = follow_lease_holders(sfn, outcome, timeout, quiet=as_json)
    outcome["quota_warnings"] = quota_warnings(cli)
    if as_json:
        print_json(outcome)
    else:
        print_quota_warnings(outcome["quota_warnings"])
    if outcome["status"] != "SUCCEEDED":
        raise run_failed(cli, outcome)


def quota_warnings(cli: CliContext) -> list[str]:
    """Regions whose fleet needs more on-demand vCPUs than their quota, as the last Plan recorded them."""
    from p2p_core.quota import headroom_warnings
    from p2p_core.storage.status import StatusStore

    return headroom_warnings(StatusStore(cli.client("dynamodb"), cli.config_table()).load().quota_headroom)


def print_quota_warnings(lines: list[str]) -> None:
    """The fleets over their region's on-demand vCPU quota, as warnings."""
    for line in lines:
        console.print(f"⚠ {line}", style="yellow", markup=False, highlight=False)
    if lines:
        say("  'p2pctl doctor' prints the Service Quotas request for each")


def register(cli: typer.Typer) -> None:
    """Add the run commands to the root command."""
    for command in (plan, run):
        cli.command()(command)
