"""`p2pctl fleet`'s answer: the groups' in-service instances per region next to the agents that report.

Pure: the groups and the radar's records in, rows out. An agent is *reporting* when its record was written within
two report intervals plus the radar's write refresh (records.REFRESH: a record that says nothing new is rewritten
at most that often, so a healthy agent's record can be that much older than its last report).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from p2p_core.radar.records import REFRESH, AgentRecord

DEFAULT_INTERVAL = timedelta(minutes=15)
_EVERY_N_MINUTES = re.compile(r"^\*/(\d+) \* \* \* \*$")


def report_interval(cron: str) -> timedelta:
    """How often agents run (and report) under `agent.cron`: `*/N * * * *` is N minutes, anything else 15."""
    found = _EVERY_N_MINUTES.match(cron.strip())
    return timedelta(minutes=int(found.group(1))) if found and int(found.group(1)) > 0 else DEFAULT_INTERVAL


def reporting_window(interval: timedelta, refresh: timedelta = REFRESH) -> timedelta:
    """How old a record may be for its agent to count as reporting."""
    return 2 * interval + refresh


@dataclass(frozen=True)
class GroupSeen:
    """A region's Auto Scaling group as read now: desired capacity and its in-service instances (id -> launch)."""

    region: str
    desired: int
    in_service: dict[str, datetime | None]


@dataclass(frozen=True)
class MissingAgent:
    """An instance in service that has not reported within the window."""

    instance: str
    launched: datetime | None
    last_report: datetime | None


@dataclass(frozen=True)
class RegionFleet:
    """One region's row."""

    region: str
    desired: int
    in_service: int
    reporting: int
    services: tuple[str, ...]
    oldest_report: datetime | None
    missing: tuple[MissingAgent, ...]


@dataclass(frozen=True)
class FleetView:
    """Every managed region's row, and the agents that report from elsewhere (other clouds, other hosts)."""

    regions: tuple[RegionFleet, ...]
    elsewhere: tuple[AgentRecord, ...] = field(default_factory=tuple)
    window: timedelta = field(default_factory=lambda: reporting_window(DEFAULT_INTERVAL))

    @property
    def missing(self) -> int:
        """In-service instances without a recent report, over every region."""
        return sum(len(row.missing) for row in self.regions)


def fleet_view(groups: list[GroupSeen], records: list[AgentRecord], now: datetime, window: timedelta) -> FleetView:
    """Compare each group's in-service instances with the agents' records (fresh: seen within `window`)."""
    by_instance = {r.report.instance: r for r in records if r.report.managed}
    in_groups = {instance for group in groups for instance in group.in_service}
    rows = []
    for group in sorted(groups, key=lambda g: g.region):
        fresh = [by_instance[i] for i in group.in_service if i in by_instance and now - by_instance[i].seen <= window]
        missing = tuple(
            MissingAgent(i, launched, by_instance[i].seen if i in by_instance else None)
            for i, launched in sorted(group.in_service.items())
            if i not in {r.report.instance for r in fresh}
        )
        rows.append(
            RegionFleet(
                region=group.region,
                desired=group.desired,
                in_service=len(group.in_service),
                reporting=len(fresh),
                services=tuple(sorted({s for r in fresh for s in r.report.services})),
                oldest_report=min((r.seen for r in fresh), default=None),
                missing=missing,
            )
        )
    elsewhere = tuple(
        sorted(
            (r for r in records if r.report.instance not in in_groups and now - r.seen <= window),
            key=lambda r: (r.report.cloud, r.report.region, r.report.agent),
        )
    )
    return FleetView(regions=tuple(rows), elsewhere=elsewhere, window=window)
