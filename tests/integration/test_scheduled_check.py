"""Scheduled runs through the scheduled check (Express): the real template, both ASLs executed by moto, real handlers.

The schedule starts the scheduled check; its Plan is the reconcile workflow's Plan (same Lambda, lease and
status item). Nothing to do (a no-op, or the lease taken): Plan records the run itself, as Finalize
would, so the check is one Lambda invocation and no reconcile (Standard) execution is started. A
failed Plan still goes to Finalize, which records it and fails the check. Something differs: it
starts the reconcile workflow under its own run name, whose Plan finds the lease already owned by
that name and keeps it, so the lease is never free and never held by anyone else between the two
(docs/architecture.md, "Scheduled runs: the scheduled check").
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from p2p_core.aws.clients import is_mutating
from p2p_core.models.events import PlanResult
from p2p_core.storage.lease import LEASE_KEY
from p2p_emulator import shims
from p2p_emulator.iam import ENFORCER
from p2p_emulator.world import HOME, WorkflowWorld
from p2pctl.runs import RunOutcome, run_name, start_run, wait_run
from tests.integration.reliability_world import edited_once_the_lease_is_taken, hooked, lease_item, put_lease

REGION = {
    "regions": ["eu-central-1"],
    "desired_capacity": 1,
    "start_time": "2020-01-01T00:00:00Z",
    "run_duration": None,
}
CHECK_NO_OP = ["Source", "Plan", "NothingToDo", "Recorded"]  # Plan recorded the run: no Finalize
CHECK_DRIFT = ["Source", "Plan", "NothingToDo", "StartReconcile"]
RUN_METRICS = ("RunsFailed", "RunsSkipped", "RegionsFailed", "DegradedRegions", "RegionsChanged")


@dataclass
class Invoked:
    """What the handlers did meanwhile: the Lambda functions invoked (logical ids, in order) and what they printed."""

    functions: list[str] = field(default_factory=list)
    printed: io.StringIO = field(default_factory=io.StringIO)

    def run_metrics(self) -> list[dict[str, float]]:
        """The run metrics of each EMF line that has them (Powertools prints one line per invocation)."""
        return run_metrics(self.printed.getvalue())


@contextmanager
def invoked() -> Iterator[Invoked]:
    """Record the invokes (a fault hook that lets them go on) and the handlers' stdout (their EMF metrics)."""
    seen = Invoked()

    def record(logical_id: str, _: dict[str, Any]) -> None:
        seen.functions.append(logical_id)

    shims.add_fault(record)
    try:
        with redirect_stdout(seen.printed):  # not capsys: a Logger made meanwhile would keep its closed stream
            yield seen
    finally:
        shims.clear_faults()


def run_metrics(out: str) -> list[dict[str, float]]:
    """The run metrics of each EMF line in `out` that has them."""
    found = []
    for line in out.splitlines():
        if '"_aws"' in line and '"RunsFailed"' in line:
            emitted = json.loads(line)
            values = {name: emitted[name] for name in RUN_METRICS}
            found.append({name: v[0] if isinstance(v, list) and len(v) == 1 else v for name, v in values.items()})
    return found


def provisioned(world: WorkflowWorld) -> None:
    """The region provisioned by a manual run, so the next scheduled check finds nothing to do."""
    world.put_config(**REGION)
    assert world.run("provision").status == "SUCCEEDED"


def test_the_schedule_starts_the_scheduled_check_and_config_edits_start_the_reconcile_workflow(
    world: WorkflowWorld,
) -> None:
    scheduler = world.clients.client("scheduler", HOME)
    schedule = scheduler.get_schedule(Name=world.stack.schedule_name, GroupName=world.stack.schedule_group)
    assert world.stack.scheduled_check_arn is not None
    assert schedule["Target"]["Arn"] == world.stack.scheduled_check_arn
    assert world.sfn.describe_state_machine(stateMachineArn=world.stack.scheduled_check_arn)["type"] == "EXPRESS"
    assert world.stack.pipe.target_arn == world.stack.state_machine_arn  # edits go straight to the Standard run


def test_a_scheduled_no_op_run_starts_no_reconcile_run_and_is_recorded_as_a_no_op(world: WorkflowWorld) -> None:
    provisioned(world)
    before = world.reconcile_runs()
    with invoked() as seen:
        check = world.scheduled_run()
    assert check.status == "SUCCEEDED", check.cause
    assert check.states_entered == CHECK_NO_OP
    assert seen.functions == ["PlanFunction"]  # one Lambda invocation: Plan recorded the run, no Finalize
    assert seen.run_metrics() == [dict.fromkeys(RUN_METRICS, 0)]  # Finalize's metrics, from Plan
    assert world.reconcile_runs() == before  # no Standard execution: no Standard transitions billed
    assert {op for _, op in world.mutating_calls()} <= {"PutItem", "UpdateItem", "DeleteItem"}  # lease, status only
    status = world.status()
    last = status.last_check  # a quiet check: its own small item, as when Finalize recorded it
    assert last is not None and status.latest == last
    assert (last.execution, last.source, last.status) == (check.name, "schedule", "noop")
    assert last.unchanged_regions == ["eu-central-1"]
    assert check.output == last.model_dump(mode="json")  # the check's output is the run, as Finalize's was
    assert status.quiet_checks == 1 and status.run(check.name) == last  # recorded once
    assert lease_item(world) is None


@pytest.mark.smoke
def test_a_scheduled_run_with_drift_starts_exactly_one_reconcile_run_which_reconciles_it(world: WorkflowWorld) -> None:
    provisioned(world)
    world.put_config(**{**REGION, "desired_capacity": 3})
    check = world.scheduled_run()
    assert check.status == "SUCCEEDED", check.cause
    assert check.states_entered == CHECK_DRIFT
    started = [run for run in world.reconcile_runs() if run["name"] == check.name]
    assert len(started) == 1 and check.output == {"reconcile_run": started[0]["executionArn"]}
    run = world.reconcile_run(check.name)
    assert run.status == "SUCCEEDED", run.cause
    assert run.output is not None and run.output["status"] == "ok" and run.output["source"] == "schedule"
    group = world.asg("eu-central-1")
    assert group is not None and group["DesiredCapacity"] == 3
    last = world.status().last_run
    assert last is not None and (last.execution, last.status) == (check.name, "ok")
    assert [r.execution for r in world.status().recent_runs].count(check.name) == 1  # one run, recorded once
    assert lease_item(world) is None
    again = world.scheduled_run()
    assert again.states_entered == CHECK_NO_OP and len(world.reconcile_runs()) == 2  # provision + the drift run


def test_the_lease_passes_from_the_scheduled_check_to_its_reconcile_run_with_no_moment_for_another_run(
    world: WorkflowWorld,
) -> None:
    """Injected: the moment between the scheduled check's end and its reconcile run's Plan taking the lease over,
    a manual run is started and waited for; every mutating call of the region is checked against the lease.

    Checked: the manual run ends skipped naming the scheduled run (the lease was never free); the reconcile
    run then takes the lease over and reconciles; every mutating call was made while the scheduled run held
    the lease, and only one execution ever mutated.
    """
    world.put_config(**REGION)
    lease_puts: list[str] = []
    intruder: list[Any] = []
    owners_while_mutating: set[str] = set()

    def before_lease_put(params: dict[str, Any], **_: Any) -> None:
        item = params.get("Item", {})
        if item.get("pk") != {"S": LEASE_KEY}:
            return
        lease_puts.append(item["owner"]["S"])
        if len(lease_puts) == 2 and not intruder:  # the reconcile run's takeover, about to happen
            holder = lease_item(world)
            assert holder is not None and holder["owner"]["S"] == lease_puts[0]  # still the scheduled check's
            arn = start_run(world.sfn, world.stack.state_machine_arn, name=run_name("intruder"))
            intruder.append(wait_run(world.sfn, arn, timeout=120))

    def on_mutation(model: Any, context: dict[str, Any], **_: Any) -> None:
        if is_mutating(model.name) and model.service_model.endpoint_prefix in ("ec2", "autoscaling", "logs"):
            holder = lease_item(world)
            owners_while_mutating.add(holder["owner"]["S"] if holder else "nobody")

    with (
        hooked(world, before_lease_put, "before-parameter-build.dynamodb.PutItem"),
        hooked(world, on_mutation, "before-call"),
    ):
        check = world.scheduled_run()
        assert check.states_entered == CHECK_DRIFT
        run = world.reconcile_run(check.name)
    assert lease_puts[:2] == [check.name, check.name]
    assert len(intruder) == 1 and intruder[0].status == "SUCCEEDED"
    assert intruder[0].output["status"] == "skipped"
    assert intruder[0].output["held_by"] == check.name
    assert run.status == "SUCCEEDED" and run.output is not None and run.output["status"] == "ok"
    assert owners_while_mutating == {check.name}
    assert world.asg("eu-central-1") is not None
    assert lease_item(world) is None


def test_a_scheduled_run_that_finds_the_lease_taken_is_recorded_skipped_and_starts_nothing(
    world: WorkflowWorld,
) -> None:
    world.put_config(**REGION)
    item = put_lease(world, "other-run", datetime.now(UTC) + timedelta(minutes=10))
    with invoked() as seen:
        check = world.scheduled_run()
    assert check.status == "SUCCEEDED", check.cause
    assert check.states_entered == CHECK_NO_OP
    assert seen.functions == ["PlanFunction"]
    assert seen.run_metrics() == [{**dict.fromkeys(RUN_METRICS, 0), "RunsSkipped": 1}]
    assert world.reconcile_runs() == []
    skipped = world.status().last_skipped
    assert skipped is not None and (skipped.execution, skipped.held_by) == (check.name, "other-run")
    assert check.output is not None and (check.output["status"], check.output["held_by"]) == ("skipped", "other-run")
    assert lease_item(world) == item  # the other run's lease, untouched


def test_two_scheduled_checks_at_once_start_one_reconcile_run(world: WorkflowWorld) -> None:
    """Injected: two scheduled-check executions started together (a Scheduler retry, or at-least-once Express)."""
    world.put_config(**REGION)
    results: list[Any] = []
    checks = [threading.Thread(target=lambda: results.append(world.scheduled_run("check"))) for _ in range(2)]
    for thread in checks:
        thread.start()
    for thread in checks:
        thread.join()
    assert sorted(len(r.states_entered) for r in results) == [4, 4]
    started = [r for r in results if r.states_entered == CHECK_DRIFT]
    assert len(started) == 1  # the other found the lease taken (or, once all was done, nothing to do)
    assert [run["name"] for run in world.reconcile_runs()] == [started[0].name]
    assert world.reconcile_run(started[0].name).status == "SUCCEEDED"
    assert world.asg("eu-central-1") is not None


def test_an_invalid_config_stops_the_scheduled_run_in_plan_recorded_and_failed(world: WorkflowWorld) -> None:
    world.put_raw_config({"desired_capacity": "lots"})
    with invoked() as seen:
        check = world.scheduled_run()
    assert check.status == "FAILED" and check.error == "ConfigInvalid"
    assert check.states_entered == ["Source", "Plan", "Finalize"]
    # Plan's Catch: Finalize records it and fails the check
    assert seen.functions == ["PlanFunction", "FinalizeFunction"]
    assert world.reconcile_runs() == []
    last = world.status().last_run
    assert last is not None and last.execution == check.name
    assert (last.status, last.stopped_by) == ("failed", "ConfigInvalid")
    assert "desired_capacity" in last.errors[0]
    assert lease_item(world) is None


def test_a_run_that_changes_the_cadence_keeps_the_scheduled_check_as_the_schedules_target(world: WorkflowWorld) -> None:
    world.put_config(**{**REGION, "schedule_expression": "5 minutes"})
    check = world.scheduled_run()
    assert world.reconcile_run(check.name).status == "SUCCEEDED"
    scheduler = world.clients.client("scheduler", HOME)
    schedule = scheduler.get_schedule(Name=world.stack.schedule_name, GroupName=world.stack.schedule_group)
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["Target"]["Arn"] == world.stack.scheduled_check_arn
    assert world.scheduled_run().states_entered == CHECK_NO_OP  # the new cadence is no drift any more


def test_an_edit_during_a_scheduled_no_op_check_gets_its_follow_up_run_on_the_reconcile_workflow(
    world: WorkflowWorld,
) -> None:
    """Injected: the config is edited right after the scheduled check's Plan read it (its own edit run would find
    the lease taken). Checked: the check is recorded as a no-op and its Plan, recording it, starts the
    follow-up run on the reconcile workflow, which applies the edit."""
    provisioned(world)
    denied_before = len(ENFORCER.denials)
    with edited_once_the_lease_is_taken(world, **{**REGION, "desired_capacity": 2}):
        check = world.scheduled_run()
    assert check.states_entered == CHECK_NO_OP
    assert check.output is not None and check.output["status"] == "noop"
    follow_up = check.output["follow_up"]
    assert follow_up and follow_up.startswith("follow-up-")
    assert [run["name"] for run in world.reconcile_runs()][-1] == follow_up
    assert world.reconcile_run(follow_up).status == "SUCCEEDED"
    group = world.asg("eu-central-1")
    assert group is not None and group["DesiredCapacity"] == 2
    assert ENFORCER.denials[denied_before:] == []  # Plan's role may start it (FollowUpRunAfterAnEditDuringThisRun)


def state_output(run: RunOutcome, state: str) -> dict[str, Any]:
    """What `state` passed on (its first exit), from the execution history."""
    exited = next(
        e["stateExitedEventDetails"] for e in run.events if e.get("stateExitedEventDetails", {}).get("name") == state
    )
    output: dict[str, Any] = json.loads(exited["output"])
    return output


def test_the_reconcile_workflows_plan_records_nothing_itself_and_its_finalize_records_the_no_op(
    world: WorkflowWorld,
) -> None:
    """Only the scheduled check asks Plan to record a run: the reconcile workflow's Plan output is as before."""
    provisioned(world)
    with invoked() as seen:
        run = world.run("manual-no-op")
    assert run.status == "SUCCEEDED", run.cause
    assert run.states_entered == ["Plan", "NothingToDo", "Finalize"]
    assert seen.functions == ["PlanFunction", "FinalizeFunction"]
    plan = state_output(run, "Plan")
    assert plan["nothing_to_do"] is True
    assert set(plan) == set(PlanResult.model_fields) - {"recorded", "run"}
    last = world.status().last_run
    assert last is not None and (last.execution, last.status) == (run.name, "noop")
    assert [r.execution for r in world.status().recent_runs].count(run.name) == 1
    assert lease_item(world) is None
