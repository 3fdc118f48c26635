"""Operator commands about runs: plan (read-only), run [--wait] with per-region progress, status."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from p2p_core.timestamps import format_time
from p2pctl.context import CliContext
from p2pctl.errors import CliError
from p2pctl.output import console, print_json

FAILED_EXIT = 1


def cli_context(ctx: typer.Context) -> CliContext:
    """The options every command shares (set by the root callback)."""
    cli: CliContext = ctx.obj
    return cli


def now() -> datetime:
    """The current time, to the second (what a run started now would use)."""
    return datetime.now(UTC).replace(microsecond=0)


# ------------------------------------------------------------------------------------------------ plan


def plan(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
) -> None:
    """Show what a run started now would change, per region (reads only; takes no lease)."""
    from p2p_core.errors import ConfigError
    from p2p_core.workflow.plan_step import preview_plan
    from p2pctl.config_write import stored_config

    cli = cli_context(ctx)
    try:
        result = preview_plan(cli.deployment(), cli.fleet_clients, now())
    except ConfigError:
        stored_config(cli)  # names the stored item's bad fields and the command that removes them
        raise
    if as_json:
        print_json(result.model_dump(mode="json", exclude={"config"}))
        return
    _print_window(result.window, result.phase)
    if result.nothing_to_do:
        console.print(f"nothing to do: {len(result.unchanged_regions)} region(s) match the config")
        _print_skipped(result.skipped_regions)
        return
    console.print(f"drifted regions ({len(result.regions)}):")
    for region in result.regions:
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
    for region, error in result.observe_errors.items():
        console.print(f"could not observe {region}: {error}", style="yellow", markup=False, highlight=False)


def say(text: str) -> None:
    """One line as is (AWS and config text is never rich markup)."""
    console.print(text, highlight=False, markup=False)


def capped(items: list[str], limit: int = 3) -> str:
    """At most `limit` items joined; the rest counted (all of them are in --json)."""
    shown = "; ".join(items[:limit]) or "-"
    return shown + (f"; … and {len(items) - limit} more (--json lists all)" if len(items) > limit else "")


def _print_window(window: Any, phase: str) -> None:
    if window is None:
        return
    stop = format_time(window.stop) if window.stop else "never"
    say(f"window: start {format_time(window.start)}, stop {stop} (phase: {phase})")
    if window.restarted:
        say("  the window fields changed since the last run: 'now' will be that run's start")
    elif window.anchor is not None:
        say(f"  'now' means {format_time(window.anchor)}, when the window fields took their values")


def _print_skipped(regions: list[str]) -> None:
    from p2p_core.workflow.enabled import SKIP_REASON

    if regions:
        console.print(f"skipped ({SKIP_REASON}): {', '.join(regions)}", style="yellow", highlight=False)


def _describe_region_plan(region: Any) -> str:
    parts = []
    if region.ensure_infrastructure:
        parts.append("create/update infrastructure")
    if region.check_launches:
        parts.append("read why instances are missing")
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
    """Start a run of the workflow now (as the schedule would)."""
    from p2pctl.emulator.runs import run_name, start_run

    cli = cli_context(ctx)
    sfn = cli.client("stepfunctions")
    arn = start_run(sfn, cli.output("StateMachineArn"), source="manual", name=run_name("manual"))
    if not wait:
        print_json({"execution_arn": arn}) if as_json else console.print(f"started {arn}")
        return
    outcome = follow_run(sfn, arn, timeout, quiet=as_json)
    outcome["quota_warnings"] = quota_warnings(cli)
    if as_json:
        print_json(outcome)
    else:
        _print_quota_warnings(outcome["quota_warnings"])
    if outcome["status"] != "SUCCEEDED":
        raise CliError(
            f"run {outcome['name']} {outcome['status']}: {outcome.get('error')}: {_short(outcome.get('cause'))}",
            "see 'p2pctl status' for the failed regions; the next run retries them",
            FAILED_EXIT,
        )


def quota_warnings(cli: CliContext) -> list[str]:
    """Regions whose fleet needs more on-demand vCPUs than their quota, as the last Plan recorded them."""
    from p2p_core.quota import headroom_warnings
    from p2p_core.workflow.status import StatusStore

    return headroom_warnings(StatusStore(cli.client("dynamodb"), cli.config_table()).load().quota_headroom)


def _print_quota_warnings(lines: list[str]) -> None:
    for line in lines:
        console.print(f"⚠ {line}", style="yellow", markup=False, highlight=False)
    if lines:
        say("  'p2pctl doctor' prints the Service Quotas request for each")


def _short(text: str | None, limit: int = 400) -> str:
    if not text:
        return ""
    with contextlib.suppress(ValueError, AttributeError):
        text = json.loads(text).get("errorMessage", text)
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def follow_run(sfn: Any, arn: str, timeout: float, *, quiet: bool = False) -> dict[str, Any]:
    """Wait for an execution, printing each region's result as its Map iteration ends."""
    from p2pctl.emulator.runs import execution_history

    began, seen, shown = time.monotonic(), 0, 0
    status = "RUNNING"
    with console.status("run in progress", spinner="dots") as spinner:
        while True:
            found = sfn.describe_execution(executionArn=arn)
            status = found["status"]
            events = execution_history(sfn, arn)
            for event in events[seen:]:
                details = event.get("stateExitedEventDetails") or {}
                if details.get("name") == "ReconcileRegion" and not quiet:
                    result = json.loads(details.get("output") or "{}")
                    shown += 1
                    console.print(_region_line(result), highlight=False)
            seen = len(events)
            spinner.update(f"run in progress: {shown} region(s) done, {seen} events")
            if status != "RUNNING":
                break
            if time.monotonic() - began > timeout:
                raise CliError(f"run still {status} after {timeout:.0f} s: {arn}", "wait longer with --timeout")
            time.sleep(0.2)
    entered = [e for e in execution_history(sfn, arn) if e["type"].endswith("StateEntered")]
    outcome = {
        "name": found["name"],
        "execution_arn": arn,
        "status": status,
        "transitions": len(entered),
        "seconds": round(time.monotonic() - began, 2),
        "error": found.get("error"),
        "cause": found.get("cause"),
        "output": json.loads(found["output"]) if found.get("output") else None,
    }
    if not quiet:
        console.print(f"run {found['name']}: {status} in {outcome['seconds']} s, {len(entered)} state transitions")
        record = outcome["output"] or {}
        if record.get("status") == "skipped":
            console.print(f"skipped: {record.get('skip_reason')}", highlight=False, markup=False)
        for result in record.get("regions") or []:
            if result.get("status") == "skipped":  # never reaches the Map: not enabled in the account
                console.print(_region_line(result), highlight=False, markup=False)
        if record.get("status") == "degraded":
            degraded = [r["region"] for r in record.get("regions") or [] if r.get("status") == "degraded"]
            console.print(
                f"degraded: launches fail in {', '.join(degraded)} (AWS's reason above; 'p2pctl status' keeps it)",
                style="yellow",
                highlight=False,
                markup=False,
            )
        if record.get("follow_up"):
            console.print(f"the config changed meanwhile: follow-up run {record['follow_up']} started")
    return outcome


def _region_line(result: dict[str, Any]) -> str:
    region, status = result.get("region", "?"), result.get("status")
    if status == "failed":
        return f"  ✗ {region}: {result.get('error_code')}: {result.get('error_message')}"
    if status == "degraded":
        return f"  ⚠ {region}: degraded: {result.get('error_message')}"
    if status == "skipped":
        return f"  - {region}: skipped: {result.get('error_message')}"
    actions = result.get("actions") or ["no change"]
    return f"  ✓ {region}: {'; '.join(actions[:4])}{' …' if len(actions) > 4 else ''}"


# ------------------------------------------------------------------------------------------------ status


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the status item as JSON")] = False,
    runs: Annotated[int, typer.Option("--runs", help="recent runs to list")] = 5,
) -> None:
    """The last run per region, recent runs, and the regions under management."""
    from p2p_core.quota import headroom_warnings
    from p2p_core.workflow.status import StatusStore

    cli = cli_context(ctx)
    found = StatusStore(cli.client("dynamodb"), cli.config_table()).load()
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    say(f"managed regions ({len(found.managed_regions)}): {', '.join(found.managed_regions) or 'none'}")
    _print_quota_warnings(headroom_warnings(found.quota_headroom))
    last = found.last_run
    if last is None:
        say("no run recorded yet: start one with 'p2pctl run --wait'")
        return
    say(f"last run {last.execution} ({last.source}): {last.status}, config v{last.config_version}")
    say(f"  finished {last.finished_at}")
    table = Table("region", "status", "AWS writes", "changes or reason", box=None, pad_edge=False)
    for column in table.columns[:3]:
        column.no_wrap = True
    for result in last.regions:
        why = f"{result.error_code}: {result.error_message}" if result.error_code else capped(result.actions)
        table.add_row(result.region, result.status, str(result.mutating_calls), escape(why))
    for name in last.unchanged_regions:
        table.add_row(name, "unchanged", "0", "-")
    console.print(table)
    for error in last.errors:
        console.print(error, style="red", markup=False, highlight=False)  # AWS text may hold [brackets]
    for result in last.degraded_regions:
        line = f"{result.region} degraded: {result.error_message}"
        console.print(line, style="yellow", markup=False, highlight=False)
    if last.follow_up:
        say(f"the config changed during that run: follow-up run {last.follow_up}")
    say("recent runs (finished, status, run, source, regions changed):")
    for record in found.recent_runs[:runs]:
        changed = len(record.regions) - len(record.skipped_regions)
        say(f"  {record.finished_at}  {record.status:<7} {record.execution}  {record.source}, {changed}")


def register(cli: typer.Typer) -> None:
    """Add the run commands to the root command."""
    for command in (plan, run, status):
        cli.command()(command)
