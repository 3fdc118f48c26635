"""A scheduled check that finds every region as configured is recorded in a small item of its own.

DynamoDB bills a write by the size of the item written (an update by the larger of before and after), and
the status item of 34 regions is over 20 KB: recording every 15-minute check there would bill ~23 write
units each. A quiet check goes to `status#checks` instead (the last one, and how many since when), which
`p2pctl status`, `doctor` and a run's waiter read with the status item. Real template, ASLs run by moto.
"""

from __future__ import annotations

import json
from typing import Any

from p2p_core.cost.usage import item_bytes
from p2p_core.storage.status import CHECKS_KEY, STATUS_KEY
from p2p_emulator.handler_clients import add_client_hook, remove_client_hook
from p2p_emulator.world import WorkflowWorld

REGION = {
    "regions": ["eu-central-1"],
    "desired_capacity": 1,
    "start_time": "2020-01-01T00:00:00Z",
    "run_duration": None,
}


def item(world: WorkflowWorld, key: str) -> dict:
    found = world.db.get_item(TableName=world.stack.config_table, Key={"pk": {"S": key}})
    return found.get("Item", {})


def test_a_quiet_check_leaves_the_status_item_as_it_was_and_is_recorded_on_its_own(world: WorkflowWorld) -> None:
    world.put_config(**REGION)
    provision = world.run("provision")
    assert provision.status == "SUCCEEDED", provision.cause
    status_before = item(world, STATUS_KEY)

    first, second = world.scheduled_run("check"), world.scheduled_run("check")

    assert [first.status, second.status] == ["SUCCEEDED", "SUCCEEDED"]
    assert item(world, STATUS_KEY) == status_before  # not rewritten: no write billed by its size
    status = world.status()
    assert status.last_check is not None
    assert (status.last_check.execution, status.last_check.status) == (second.name, "noop")
    assert status.last_check.unchanged_regions == ["eu-central-1"]
    assert status.quiet_checks == 2
    assert status.last_run is not None and status.last_run.execution == provision.name
    assert status.latest == status.last_check  # the newest record, for doctor
    assert status.run(second.name) == status.last_check  # what `run --wait` and failures read
    assert [r.execution for r in status.recent_runs] == [provision.name]
    assert item_bytes(item(world, CHECKS_KEY)) < 1024  # one write unit, whatever the status item's size


def test_a_quiet_check_starts_counting_at_the_first_one(world: WorkflowWorld) -> None:
    world.put_config(**REGION)
    assert world.run("provision").status == "SUCCEEDED"
    first = world.scheduled_run("check")
    world.scheduled_run("check")

    since = world.status().quiet_since
    started = first.events[0]["timestamp"]
    assert since is not None and since.startswith(f"{started:%Y-%m-%dT%H:%M}")


def test_runs_that_did_work_and_manual_no_op_runs_stay_in_the_status_item(world: WorkflowWorld) -> None:
    world.put_config(**REGION)
    assert world.run("provision").status == "SUCCEEDED"
    manual = world.run("manual-noop")
    world.put_config(**{**REGION, "desired_capacity": 2})
    drift = world.scheduled_run("drift")
    reconcile = world.reconcile_run(drift.name)
    assert reconcile.status == "SUCCEEDED", reconcile.cause

    status = world.status()
    assert status.last_check is None
    recorded = [(r.execution, r.status) for r in status.recent_runs]
    assert (manual.name, "noop") in recorded  # an operator's run is history, even with nothing to do
    assert recorded[0] == (drift.name, "ok")  # the reconcile run the check started, under its name


def test_a_quiet_check_reads_the_status_item_once_its_plan_records_from_that_read(world: WorkflowWorld) -> None:
    """The status item is billed by its size (~120 KB, 30 read units at 34 regions): Plan reads it under its lease
    and records the quiet check from that read (only a skipped run may write the item meanwhile, and the item's
    write is conditional on its revision); the small checks item is read once too."""
    world.put_config(**REGION)
    assert world.run("provision").status == "SUCCEEDED"
    keys: list[str] = []

    def gets(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "GetItem":
            keys.append(json.loads(params["body"])["Key"]["pk"]["S"])

    add_client_hook("before-call", gets)
    try:
        check = world.scheduled_run("check")
    finally:
        remove_client_hook("before-call", gets)

    assert check.status == "SUCCEEDED" and world.status().last_check is not None
    assert world.status().last_check.execution == check.name
    assert (keys.count(STATUS_KEY), keys.count(CHECKS_KEY)) == (1, 1), keys
