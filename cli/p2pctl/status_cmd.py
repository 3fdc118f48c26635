"""`p2pctl status`: the last run that did work, the last skipped one, and every region's last known result."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from p2p_core.quota import headroom_warnings
from p2p_core.storage.status import RegionRecord, RunRecord, Status, remember_regions
from p2pctl.context import cli_context
from p2pctl.output import capped, console, errors, print_json, say
from p2pctl.run_cmd import last_verified, print_quota_warnings


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the status item as JSON")] = False,
    runs: Annotated[int, typer.Option("--runs", help="recent runs to list")] = 5,
) -> None:
    """Every region's last known result, the last run (and the last skipped one), and the recent runs."""
    from p2p_core.storage.status import StatusStore

    cli = cli_context(ctx)
    found = StatusStore(cli.client("dynamodb"), cli.config_table()).load()
    verified = last_verified(cli)
    print_unreadable(found)
    if as_json:
        warnings = {"warnings": found.warnings} if found.warnings else {}
        print_json({**found.model_dump(mode="json"), "verified_fully": verified, **warnings})
        return
    say(f"managed regions ({len(found.managed_regions)}): {', '.join(found.managed_regions) or 'none'}")
    if dashboard := cli.outputs().get("DashboardName"):
        say(f"dashboard: {dashboard_url(str(cli.region), dashboard)}")
    print_quota_warnings(headroom_warnings(found.quota_headroom))
    last = found.last_run
    if last is None and found.last_skipped is None and found.last_check is None:
        say("no run recorded yet: start one with 'p2pctl run --wait'")
        return
    if last is not None:
        _print_last_run(last)
    _print_last_check(found)
    _print_last_skipped(found)
    _print_regions(found, verified)
    say("recent runs (finished, status, regions changed, run):")
    for record in found.recent_runs[:runs]:
        changed = len(record.regions) - len(record.skipped_regions)
        say(f"  {record.finished_at}  {record.status:<7} {changed:>2}  {record.execution}")


def print_unreadable(found: Status) -> None:
    """Parts of the status item damaged by hand, on stderr: left out here, rewritten by the next run."""
    for line in found.warnings:
        errors.print(f"warning: {line}", style="yellow", markup=False, highlight=False)


def dashboard_url(region: str, name: str) -> str:
    """The CloudWatch console's page of the stack's dashboard."""
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"


def _print_last_run(last: RunRecord) -> None:
    applied = "" if last.stopped_by else f", config v{last.config_version}"  # stopped in Plan: none applied
    say(f"last run {last.execution} ({last.source}): {last.status}{applied}")
    say(f"  finished {last.finished_at}")
    if last.stopped_by:
        say(f"  stopped in Plan ({last.stopped_by}): nothing was changed, every region keeps its last result")
    for error in last.errors:
        console.print(error, style="red", markup=False, highlight=False)  # AWS text may hold [brackets]
    for result in last.degraded_regions:
        line = f"{result.region} degraded: {result.error_message}"
        console.print(line, style="yellow", markup=False, highlight=False)
    for result in last.regions:
        if result.refresh is not None:  # AWS replaces instances in the background: the next run reports on
            say(f"{result.region}: {result.refresh.summary}")
    gone = [r.region for r in last.regions if r.decommissioned and r.status == "ok"]
    if gone:
        say(f"  decommissioned (no longer managed): {', '.join(gone)}")
    if last.follow_up:
        say(f"the config changed during that run: follow-up run {last.follow_up}")


def _print_last_check(found: Status) -> None:
    check = found.last_check
    if check is None:
        return
    verified = len(check.unchanged_regions)
    regions = f"{verified} region{'' if verified == 1 else 's'}"
    say(f"last scheduled check {check.execution}: nothing to do, {regions} verified as configured")
    say(f"  finished {check.finished_at}; {found.quiet_checks} such checks since {found.quiet_since}")
    if check.follow_up:
        say(f"the config changed during that check: follow-up run {check.follow_up}")


def _print_last_skipped(found: Status) -> None:
    skipped, last = found.last_skipped, found.last_run
    if skipped is None or (last is not None and skipped.finished_at < last.finished_at):
        return  # a skip older than the last real run is history (recent runs list it)
    say(f"last skipped run {skipped.execution} ({skipped.source}), {skipped.finished_at}:")
    say(f"  {skipped.skip_reason or 'skipped'}")


def _print_regions(found: Status, verified: dict[str, str]) -> None:
    last = found.last_run
    # a status item written before per-region results were kept: the last run's regions are what is known
    regions = found.regions or (remember_regions({}, last, None) if last else {})
    if not regions:
        return
    say("regions (each one's last known result, from whichever run found it):")
    table = Table("region", "status", "writes", "as of", "changes or reason", box=None, pad_edge=False)
    for column in table.columns[:4]:
        column.no_wrap = True
    for name, record in regions.items():
        as_of = "last run" if last is not None and record.run == last.execution else _short_time(record.finished_at)
        table.add_row(name, record.status, str(record.mutating_calls), as_of, escape(_why(record)))
    console.print(table)
    _print_verified(list(regions), verified)
    for name, record in regions.items():
        for warning in record.warnings:  # e.g. instance types the region does not offer, dropped
            console.print(f"⚠ {name}: {warning}", style="yellow", markup=False, highlight=False)


def _print_verified(regions: list[str], verified: dict[str, str]) -> None:
    """One line: how many regions a run verified fully, the oldest such verification, and how many are due at the
    next check (between, scheduled checks read only the group and the security groups: verify_interval)."""
    done = sorted(verified[r] for r in regions if r in verified)
    oldest = f", oldest {_short_time(done[0])}" if done else ""
    pending = len(regions) - len(done)
    due = f", {pending} due next check" if pending else ""
    say(f"fully verified: {len(done)} of {len(regions)} regions{oldest}{due}")  # within 80 columns at 34 regions


def _why(record: RegionRecord) -> str:
    if record.error_code:
        return f"{record.error_code}: {record.error_message}"
    return "-" if record.status == "unchanged" else capped(record.actions)


def _short_time(finished_at: str) -> str:
    """`2026-11-26T07:40:00Z` as `11-26 07:40` (the run's full time is in the recent runs list)."""
    return finished_at[5:16].replace("T", " ")


def register(cli: typer.Typer) -> None:
    """Add the status command to the root command."""
    cli.command()(status)
