"""The real ASL, executed by moto's Step Functions engine, calling the real handlers over five regions."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from p2p_core.config.rfc3339 import format_time
from p2p_emulator import shims
from p2p_emulator.world import FIVE_REGIONS, WorkflowWorld
from p2pctl.runs import wait_run

RUNNING = {"regions": FIVE_REGIONS, "desired_capacity": 2, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}
CLOUDFRONT = "aws-global"  # the region botocore reports for CloudFront's global endpoint
NOOP_STATES = ["Plan", "NothingToDo", "Finalize"]
PLAN_FAILED_STATES = ["Plan", "Finalize"]  # Plan's Catch: Finalize records the failure and fails the run
# the Parallel's three branches interleave, so one region's run is compared as a multiset of states
ONE_REGION_STATES = Counter(
    [
        "Plan",
        "NothingToDo",
        "Apply",
        "ReconcileRegions",
        "ReconcileRegion",
        "UpdateControlCenter",
        "UpdateSchedule",
        "Finalize",
    ]
)


def mutations_outside_own_table(world: WorkflowWorld) -> list[tuple[str, str]]:
    # the lease, the status item and the run's events are the control plane's own bookkeeping, not fleet changes
    own = {"PutItem", "UpdateItem", "DeleteItem", "PutEvents"}
    return [(region, op) for region, op in world.mutating_calls() if op not in own]


@pytest.mark.smoke
def test_first_run_provisions_every_region_and_publishes_the_control_center(world: WorkflowWorld) -> None:
    world.put_config(**RUNNING)
    run = world.run()
    assert run.status == "SUCCEEDED", run.cause
    for region in FIVE_REGIONS:
        group = world.asg(region)
        assert group is not None, region
        assert group["DesiredCapacity"] == 2
        assert len(world.managed_vpcs(region)) == 1
    status = world.status()
    assert status.last_run is not None and status.last_run.status == "ok"
    assert sorted(r.region for r in status.last_run.regions) == FIVE_REGIONS
    assert status.managed_regions == FIVE_REGIONS
    assert "cc-a-desired-capacity" in world.live_code()


@pytest.mark.smoke
def test_second_run_is_a_noop_in_few_transitions_and_zero_mutating_calls(world: WorkflowWorld) -> None:
    world.put_config(**RUNNING)
    assert world.run().status == "SUCCEEDED"
    again = world.run("noop")
    assert again.status == "SUCCEEDED", again.cause
    assert again.states_entered == NOOP_STATES
    assert mutations_outside_own_table(world) == []
    assert world.status().last_run.status == "noop"  # type: ignore[union-attr]


def test_capacity_change_in_one_region_touches_only_that_region(world: WorkflowWorld) -> None:
    world.put_config(**RUNNING)
    assert world.run().status == "SUCCEEDED"
    world.put_config(**{**RUNNING, "desired_capacity": {"all": 2, "aws": {"sa-east-1": 4}}})
    changed = world.run("capacity")
    assert changed.status == "SUCCEEDED", changed.cause
    assert Counter(changed.states_entered) == ONE_REGION_STATES, changed.states_entered
    touched = {region for region, _ in mutations_outside_own_table(world)}
    # the capacity is also a control-center header, so the (global) CloudFront Function is republished
    assert touched == {"sa-east-1", CLOUDFRONT}
    assert "sa-east-1" in world.live_code()
    assert world.asg("sa-east-1")["DesiredCapacity"] == 4  # type: ignore[index]
    assert world.asg("us-east-1")["DesiredCapacity"] == 2  # type: ignore[index]


def test_future_start_creates_the_p2p_start_action_and_keeps_agents_stopped(world: WorkflowWorld) -> None:
    start = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    world.put_config(
        regions=["eu-central-1"], desired_capacity=3, start_time=format_time(start), start_offset="0 minutes"
    )
    run = world.run()
    assert run.status == "SUCCEEDED", run.cause
    assert world.asg("eu-central-1")["DesiredCapacity"] == 0  # type: ignore[index]
    actions = world.scheduled_actions("eu-central-1")
    assert actions["p2p-start"]["DesiredCapacity"] == 3
    assert actions["p2p-start"]["StartTime"].astimezone(UTC) == start


def test_invalid_config_fails_in_plan_naming_the_field_and_changes_nothing(world: WorkflowWorld) -> None:
    world.put_raw_config({"regions": ["eu-central-1"], "desired_capacity": {"aws": {"eu-centrl-1": 2}}})
    run = world.run("invalid")
    assert run.status == "FAILED"
    assert run.error == "ConfigInvalid"
    assert "desired_capacity.aws.eu-centrl-1: unknown region 'eu-centrl-1'" in (run.cause or "")
    assert run.states_entered == PLAN_FAILED_STATES
    assert mutations_outside_own_table(world) == []  # Finalize records the failed run in the status item
    assert all(world.asg(r) is None for r in FIVE_REGIONS)


def test_a_cron_eventbridge_refuses_fails_the_run_in_plan_not_in_update_schedule(world: WorkflowWorld) -> None:
    world.put_raw_config({"regions": ["eu-central-1"], "schedule_expression": "cron(0/15 * * * * *)"})
    run = world.run("bad-cron")
    assert run.status == "FAILED" and run.error == "ConfigInvalid"
    assert "schedule_expression: cron needs '?' in exactly one of day-of-month and day-of-week" in (run.cause or "")
    assert run.states_entered == PLAN_FAILED_STATES
    assert mutations_outside_own_table(world) == []


def test_one_failing_region_does_not_stop_the_others_and_is_named_in_the_status(world: WorkflowWorld) -> None:
    def sa_east_crashes(function: str, event: dict[str, object]) -> Exception | None:
        plan = event.get("region_plan")
        if function == "ReconcileRegionFunction" and isinstance(plan, dict) and plan["region"] == "sa-east-1":
            return RuntimeError("injected crash in sa-east-1")
        return None

    shims.add_fault(sa_east_crashes)
    world.put_config(**RUNNING)
    run = world.run("one-fails")
    assert run.status == "FAILED"
    assert run.error == "RunFailed"
    assert "sa-east-1" in (run.cause or "")
    for region in FIVE_REGIONS:
        assert (world.asg(region) is None) == (region == "sa-east-1"), region
    last = world.status().last_run
    assert last is not None and last.status == "failed"
    failed = {r.region: r for r in last.regions if r.status == "failed"}
    assert list(failed) == ["sa-east-1"]
    assert "injected crash in sa-east-1" in (failed["sa-east-1"].error_message or "")
    shims.clear_faults()
    healed = world.run("healed")
    assert healed.status == "SUCCEEDED", healed.cause
    assert world.asg("sa-east-1") is not None


@pytest.mark.parametrize("writer", ["p2pctl", "any-dynamodb-client"])
def test_an_edit_during_a_run_gets_a_follow_up_run_instead_of_waiting_for_the_schedule(
    world: WorkflowWorld, writer: str
) -> None:
    """Injected: a config edit while ReconcileRegion runs (its own run would find the lease taken), by a
    versioned writer or by a plain put_item without `version`. Checked: Finalize starts a follow-up run,
    which applies the edit."""
    world.put_config(**RUNNING)
    edited = {**RUNNING, "desired_capacity": 3}
    put = world.put_config if writer == "p2pctl" else lambda **item: world.put_raw_config(item)

    edits: list[str] = []
    lock = threading.Lock()

    def edit_once(function: str, event: dict[str, object]) -> Exception | None:
        with lock:  # Map iterations run in parallel: edit exactly once
            if function == "ReconcileRegionFunction" and not edits:
                edits.append(str(event.get("region_plan")))
                put(**edited)
        return None

    shims.add_fault(edit_once)
    first = world.run("edited-during")
    assert first.status == "SUCCEEDED", first.cause
    follow_up = world.status().last_run.follow_up  # type: ignore[union-attr]
    assert follow_up is not None and follow_up.startswith("follow-up-")
    arn = first.execution_arn.replace(first.name, follow_up)
    done = wait_run(world.sfn, arn, timeout=600)
    assert done.status == "SUCCEEDED", done.cause
    assert all(world.asg(region)["DesiredCapacity"] == 3 for region in FIVE_REGIONS)  # type: ignore[index]
    assert world.status().last_run.follow_up is None  # type: ignore[union-attr]  # no edit during the follow-up


def test_an_unchanged_config_starts_no_follow_up(world: WorkflowWorld) -> None:
    world.put_config(**RUNNING)
    assert world.run().status == "SUCCEEDED"
    assert world.status().last_run.follow_up is None  # type: ignore[union-attr]
