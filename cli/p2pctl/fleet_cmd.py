"""`p2pctl fleet`: per region, desired and in-service instances next to the agents that report to the radar.

Reads the groups of every selected or managed region (in parallel) and the radar's records; `fleet_view.py`
compares them. Instances in service that have not reported are listed by id with their launch time; agents that
report from other clouds or hosts outside the groups are listed apart.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from p2p_core.radar.fleet_view import FleetView, GroupSeen, fleet_view, report_interval, reporting_window
from p2pctl.context import cli_context
from p2pctl.fleet import managed_asg
from p2pctl.output import print_json, say

READ_THREADS = 8


def _group(cli: Any, region: str) -> GroupSeen:
    group = managed_asg(cli.fleet_clients.client("autoscaling", region), str(cli.stack_name))
    if group is None:
        return GroupSeen(region, 0, {})
    ids = [i["InstanceId"] for i in group.get("Instances", []) if i.get("LifecycleState") == "InService"]
    launched: dict[str, datetime | None] = dict.fromkeys(ids)
    if ids:
        ec2 = cli.fleet_clients.client("ec2", region)
        for page in ec2.get_paginator("describe_instances").paginate(InstanceIds=ids):
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    launched[instance["InstanceId"]] = instance.get("LaunchTime")
    return GroupSeen(region, int(group.get("DesiredCapacity", 0)), launched)


def read_fleet(cli: Any, now: datetime) -> FleetView:
    """The groups of every selected or managed region and the radar's records, compared."""
    from p2p_core.radar.records import RecordTable
    from p2p_core.storage.config import ConfigStore
    from p2p_core.storage.status import StatusStore

    db = cli.client("dynamodb")
    config = ConfigStore(db, cli.config_table()).load()
    managed = StatusStore(db, cli.config_table()).load().managed_regions
    regions = sorted(set(config.selected_regions()) | set(managed))
    with ThreadPoolExecutor(max_workers=min(READ_THREADS, max(1, len(regions)))) as pool:
        groups = list(pool.map(lambda region: _group(cli, region), regions))
    records = RecordTable(db, cli.output("RadarTableName")).all(now)
    return fleet_view(groups, records, now, reporting_window(report_interval(config.agent.cron)))


def _when(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def as_json(view: FleetView) -> dict[str, Any]:
    """The `--json` document."""
    regions = [
        {
            "region": row.region,
            "desired": row.desired,
            "in_service": row.in_service,
            "reporting": row.reporting,
            "services": list(row.services),
            "oldest_report": _when(row.oldest_report),
            "missing": [
                {"instance": m.instance, "launched": _when(m.launched), "last_report": _when(m.last_report)}
                for m in row.missing
            ],
        }
        for row in view.regions
    ]
    elsewhere = [
        {
            "agent": r.report.agent,
            "cloud": r.report.cloud,
            "region": r.report.region,
            "services": list(r.report.services),
            "last_report": _when(r.seen),
        }
        for r in view.elsewhere
    ]
    window = int(view.window.total_seconds())
    return {"regions": regions, "missing": view.missing, "elsewhere": elsewhere, "window_seconds": window}


def fleet(
    ctx: typer.Context,
    as_json_output: Annotated[bool, typer.Option("--json", help="print the fleet as JSON")] = False,
) -> None:
    """Per region: desired, in service, reporting to the radar, services seen; instances that have not reported."""
    cli = cli_context(ctx)
    view = read_fleet(cli, datetime.now(UTC))
    if as_json_output:
        print_json(as_json(view))
        return
    minutes = int(view.window.total_seconds() // 60)
    say(f"reporting = a report recorded in the last {minutes} minutes (two report intervals + the radar's refresh)")
    say(f"{'region':<16} {'desired':>7} {'in service':>10} {'reporting':>9}  oldest report         services")
    for row in view.regions:
        oldest = f"{row.oldest_report:%Y-%m-%d %H:%M:%S}" if row.oldest_report else "-"
        services = " ".join(row.services) or "-"
        say(f"{row.region:<16} {row.desired:>7} {row.in_service:>10} {row.reporting:>9}  {oldest:<21} {services}")
    for row in view.regions:
        for m in row.missing:
            launched = f"launched {m.launched:%Y-%m-%d %H:%M:%S}" if m.launched else "launch time unknown"
            last = f", last report {m.last_report:%Y-%m-%d %H:%M:%S}" if m.last_report else ", never reported"
            say(f"not reporting: {m.instance} in {row.region} ({launched}{last})")
    if view.elsewhere:
        say("reporting from other clouds or hosts outside the groups:")
    for r in view.elsewhere:
        services = " ".join(r.report.services) or "-"
        say(f"  {r.report.agent:<24} {r.report.cloud:<6} {r.report.region:<16} {r.seen:%Y-%m-%d %H:%M:%S}  {services}")


def register(cli: typer.Typer) -> None:
    """Add `fleet` to the root command."""
    cli.command()(fleet)
