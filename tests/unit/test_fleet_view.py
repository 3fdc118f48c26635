"""`p2pctl fleet`'s comparison: in-service instances per region next to the agents that report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from p2p_core.radar.fleet_view import GroupSeen, fleet_view, report_interval, reporting_window
from p2p_core.radar.records import REFRESH, AgentRecord
from p2p_core.radar.report import parse_query, parse_report

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = reporting_window(timedelta(minutes=15))
LAUNCHED = NOW - timedelta(hours=3)


def record(
    agent: str, seen: datetime, region: str = "eu-central-1", cloud: str = "aws", services: str = "ipfs"
) -> AgentRecord:
    query = f"cloud={cloud}&region={region}&autoscaler=true&capacity=2&services={services}&duration=1&uptime=1"
    if agent.startswith("i-"):
        query += f"&instance={agent}"
    return AgentRecord(parse_report(parse_query(query), agent.removeprefix("host:")), seen)


def test_reporting_missing_and_the_oldest_report_per_region() -> None:
    groups = [GroupSeen("eu-central-1", 3, {"i-0000000a": LAUNCHED, "i-0000000b": LAUNCHED, "i-0000000c": None})]
    records = [
        record("i-0000000a", NOW - timedelta(minutes=5), services="ipfs"),
        record("i-0000000b", NOW - timedelta(minutes=40), services="bitcoin"),
        record("i-0000000c", NOW - WINDOW - timedelta(seconds=1)),  # too old: missing, last report shown
    ]
    (row,) = fleet_view(groups, records, NOW, WINDOW).regions
    assert (row.desired, row.in_service, row.reporting) == (3, 3, 2)
    assert row.services == ("bitcoin", "ipfs") and row.oldest_report == NOW - timedelta(minutes=40)
    assert [(m.instance, m.launched, m.last_report) for m in row.missing] == [
        ("i-0000000c", None, NOW - WINDOW - timedelta(seconds=1))
    ]


def test_an_instance_that_never_reported_is_missing_with_its_launch_time() -> None:
    view = fleet_view([GroupSeen("us-east-1", 1, {"i-0000000d": LAUNCHED})], [], NOW, WINDOW)
    assert [(m.instance, m.launched, m.last_report) for m in view.regions[0].missing] == [
        ("i-0000000d", LAUNCHED, None)
    ]
    assert view.missing == 1 and view.regions[0].oldest_report is None


def test_agents_of_other_clouds_hosts_and_instances_outside_the_groups_are_listed_apart() -> None:
    records = [
        record("host:198.51.100.1", NOW, region="europe-west1", cloud="gcp"),
        record("i-0000000e", NOW, region="eu-west-1"),  # an AWS instance in no group of this stack
        record("host:198.51.100.2", NOW - WINDOW - timedelta(minutes=1)),  # gone: not listed
        record("i-0000000a", NOW),
    ]
    view = fleet_view([GroupSeen("eu-central-1", 1, {"i-0000000a": LAUNCHED})], records, NOW, WINDOW)
    assert [r.report.agent for r in view.elsewhere] == ["i-0000000e", "host:198.51.100.1"]
    assert view.regions[0].reporting == 1 and view.missing == 0


def test_a_region_without_a_group_shows_zeros() -> None:
    (row,) = fleet_view([GroupSeen("ap-south-1", 0, {})], [], NOW, WINDOW).regions
    assert (row.desired, row.in_service, row.reporting, row.missing) == (0, 0, 0, ())


def test_the_window_is_two_report_intervals_plus_the_radars_refresh() -> None:
    assert report_interval("*/15 * * * *") == timedelta(minutes=15)
    assert report_interval("*/5 * * * *") == timedelta(minutes=5)
    assert report_interval("0 * * * *") == timedelta(minutes=15)  # not an every-N-minutes cron: the default
    assert reporting_window(timedelta(minutes=5)) == timedelta(minutes=10) + REFRESH
