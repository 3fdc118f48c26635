"""Through the real ASL: an edit that leaves the start fields alone never restarts running agents (SPEC §3).

`start_time: "now"` is the moment the control plane first saw the start fields' values; it is kept in
the status item, so neither the writer (p2pctl stamps `updated_at`, a plain put_item may not) nor any other
field moves the start S, the stop E, the `p2p-*` scheduled actions or the `cc-a-start`/`cc-a-stop` headers;
the stop fields (`run_duration`, `stop_time`) move only the stop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from p2p_core.config.rfc3339 import format_time
from p2p_core.models.observed import WindowAnchor
from p2p_core.storage.config import ConfigStore
from p2p_core.storage.status import StatusStore
from p2p_emulator.handler_clients import add_client_hook, remove_client_hook
from p2p_emulator.world import WorkflowWorld

REGIONS = ["eu-central-1", "us-east-1"]
RUNNING = {"regions": REGIONS, "desired_capacity": 2, "start_offset": "2 minutes"}
SCHEDULE_CALLS = {"PutScheduledUpdateGroupAction", "DeleteScheduledAction"}
SIZES = {"MinSize", "MaxSize", "DesiredCapacity"}


def served_headers(world: WorkflowWorld) -> dict[str, str]:
    """The headers the LIVE control center function serves."""
    found = re.search(r"^var HEADERS = (.*);$", world.live_code(), re.MULTILINE)
    assert found is not None
    return dict(json.loads(found.group(1)))


def fleet(world: WorkflowWorld) -> dict[str, Any]:
    """Per region: desired capacity and the p2p scheduled actions' times."""
    found: dict[str, Any] = {}
    for region in REGIONS:
        group = world.asg(region)
        assert group is not None, region
        actions = {name: a["StartTime"].astimezone(UTC) for name, a in world.scheduled_actions(region).items()}
        found[region] = (group["DesiredCapacity"], actions)
    return found


@pytest.fixture
def resizes() -> Iterator[list[dict[str, Any]]]:
    """Every UpdateAutoScalingGroup a handler sends that sets Min, Max or Desired."""
    found: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        if SIZES & set(params):
            found.append(params)

    event = "provide-client-params.auto-scaling.UpdateAutoScalingGroup"
    add_client_hook(event, record)
    yield found
    remove_client_hook(event, record)


def capacity_calls(world: WorkflowWorld, resizes: list[dict[str, Any]]) -> list[Any]:
    """Calls since the last run that changed capacity or its schedule (a new template version is not one)."""
    return [*resizes, *(call for call in world.mutating_calls() if call[1] in SCHEDULE_CALLS)]


def agents_running_for_an_hour(world: WorkflowWorld) -> datetime:
    """The config written by p2pctl, its window first seen an hour ago, one run: agents run. Returns S."""
    world.put_config(**RUNNING)
    since = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    world.anchor_window(since)
    run = world.run("first")
    assert run.status == "SUCCEEDED", run.cause
    start = since + timedelta(minutes=2)
    assert fleet(world) == {r: (2, {"p2p-stop": start + timedelta(days=7)}) for r in REGIONS}
    assert served_headers(world)["cc-a-start"] == format_time(start)
    return start


def edit_logs_by_p2pctl(world: WorkflowWorld) -> None:
    world.put_config(**RUNNING, logs={"retention_days": 7})  # the same value as the default: only bookkeeping moves


def edit_agent_by_boto3_keeping_updated_at(world: WorkflowWorld) -> None:
    raw = ConfigStore(world.db, world.stack.config_table).load_raw()
    assert raw is not None and "updated_at" in raw
    world.put_raw_config({**raw, "agent": {"main_run": "site.yml"}})


def edit_agent_by_boto3_without_bookkeeping(world: WorkflowWorld) -> None:
    world.put_raw_config({**RUNNING, "agent": {"main_run": "site.yml"}, "desired_capacity": 2})


@pytest.mark.parametrize(
    "edit",
    [edit_logs_by_p2pctl, edit_agent_by_boto3_keeping_updated_at, edit_agent_by_boto3_without_bookkeeping],
)
def test_an_unrelated_edit_never_restarts_running_agents(
    world: WorkflowWorld, resizes: list[dict[str, Any]], edit: Any
) -> None:
    start = agents_running_for_an_hour(world)
    before = fleet(world)
    resizes.clear()
    edit(world)
    run = world.run("after-edit")
    assert run.status == "SUCCEEDED", run.cause
    assert capacity_calls(world, resizes) == []  # no desired 0, no p2p-start, no moved p2p-stop
    assert fleet(world) == before
    headers = served_headers(world)
    assert (headers["cc-a-start"], headers["cc-a-stop"]) == (format_time(start), format_time(start + timedelta(days=7)))


@pytest.mark.parametrize(
    ("stop", "moved_to"),
    [({"run_duration": "14 days"}, timedelta(days=14)), ({"run_duration": None}, None)],
    ids=["run-duration-14-days", "run-until-changed"],
)
def test_extending_a_running_fleet_moves_only_its_stop_and_keeps_desired_capacity(
    world: WorkflowWorld, resizes: list[dict[str, Any]], stop: dict[str, Any], moved_to: timedelta | None
) -> None:
    start = agents_running_for_an_hour(world)
    resizes.clear()
    world.put_config(**{**RUNNING, **stop})
    run = world.run("extended")
    assert run.status == "SUCCEEDED", run.cause
    assert resizes == []  # never desired 0, not even for start_offset
    calls = capacity_calls(world, resizes)
    wanted = {"p2p-stop": start + moved_to} if moved_to is not None else {}
    assert fleet(world) == {r: (2, wanted) for r in REGIONS}
    assert len(calls) == len(REGIONS)  # per region one schedule call: p2p-stop moved, or removed
    headers = served_headers(world)
    assert headers["cc-a-start"] == format_time(start)
    assert headers["cc-a-stop"] == (format_time(start + moved_to) if moved_to is not None else "-")


def test_an_anchor_recorded_before_the_upgrade_keeps_a_running_fleet_running(
    world: WorkflowWorld, resizes: list[dict[str, Any]]
) -> None:
    start = agents_running_for_an_hour(world)
    before = fleet(world)
    config = ConfigStore(world.db, world.stack.config_table).load()
    since = start - timedelta(minutes=2)
    former = WindowAnchor(digest=config.legacy_window_digest(), since=since)  # as the former Plan recorded it
    assert StatusStore(world.db, world.stack.config_table).remember_anchor(former) == former
    resizes.clear()
    run = world.run("upgraded")
    assert run.status == "SUCCEEDED", run.cause
    assert capacity_calls(world, resizes) == [] and fleet(world) == before
    assert world.status().window_anchor == WindowAnchor(digest=config.window_digest(), since=since)


def restarted_window(world: WorkflowWorld, **window: Any) -> tuple[datetime, datetime]:
    """Write `window` fields, run, and return the earliest and latest moment the run could have anchored at."""
    world.put_config(**{**RUNNING, **window})
    began = datetime.now(UTC).replace(microsecond=0)
    run = world.run("window-changed")
    assert run.status == "SUCCEEDED", run.cause
    return began, datetime.now(UTC)


@pytest.mark.parametrize(
    ("window", "offset"),
    [({"start_offset": "3 minutes"}, timedelta(minutes=3)), ({"window_version": 1}, timedelta(minutes=2))],
    ids=["a-window-field-changed", "restart-window"],
)
def test_changing_the_window_or_restarting_it_anchors_now_at_the_run(
    world: WorkflowWorld, resizes: list[dict[str, Any]], window: dict[str, Any], offset: timedelta
) -> None:
    agents_running_for_an_hour(world)
    began, ended = restarted_window(world, **window)
    for region in REGIONS:
        desired, actions = fleet(world)[region]
        assert desired == 0, region  # before the new start: stopped, and started again by the schedule
        assert began + offset <= actions["p2p-start"] <= ended + offset, region
    start = fleet(world)[REGIONS[0]][1]["p2p-start"]
    assert served_headers(world)["cc-a-start"] == format_time(start)
    anchor = world.status().window_anchor
    assert anchor is not None and anchor.since == start - offset
    assert [call["DesiredCapacity"] for call in resizes] == [0, 0]  # what the hook sees when capacity changes
    resizes.clear()
    again = world.run("same-window")  # the next run keeps the new anchor
    assert capacity_calls(world, resizes) == [] and again.status == "SUCCEEDED"
