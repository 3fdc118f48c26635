"""The Parallel's other branches and the passage of time, through the real ASL and handlers.

Faults are injected as AWS answers (a botocore `before-call` hook on every handler client); time is
the emulated account's clock (`shims.advance_clock_to`), which the test moves instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.config.rfc3339 import format_time
from p2p_emulator import shims
from p2p_emulator.handler_clients import add_client_hook, remove_client_hook
from p2p_emulator.shims import clock
from p2p_emulator.world import HOME, WorkflowWorld

RUNNING = {"regions": [HOME], "desired_capacity": 2, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}


@contextmanager
def answering(operation: str, code: str) -> Iterator[None]:
    """Every handler call of `operation` answers with the AWS error `code` while the block runs."""

    def fail(model: Any, **_: Any) -> None:
        if model.name == operation:
            raise ClientError({"Error": {"Code": code, "Message": f"injected {code}"}}, operation)

    add_client_hook("before-call", fail)
    try:
        yield
    finally:
        remove_client_hook("before-call", fail)


def expression(world: WorkflowWorld) -> str:
    found = world.clients.client("scheduler", HOME).get_schedule(Name=world.stack.schedule_name)
    return str(found["ScheduleExpression"])


def test_a_control_center_publish_failing_mid_run_fails_the_run_after_the_regions_and_the_next_run_publishes(
    world: WorkflowWorld,
) -> None:
    world.put_config(**RUNNING)
    with answering("PublishFunction", "ServiceUnavailable"):
        run = world.run("cc-fails")
    assert run.status == "FAILED" and run.error == "RunFailed"
    last = world.status().last_run
    assert last is not None and last.control_center is not None
    assert last.control_center.status == "failed"
    assert "ServiceUnavailable" in f"{last.control_center.error_code} {last.control_center.error_message}"
    assert [(r.region, r.status) for r in last.regions] == [(HOME, "ok")]  # the other branch finished
    assert world.asg(HOME)["DesiredCapacity"] == 2  # type: ignore[index]
    healed = world.run("cc-heals")
    assert healed.status == "SUCCEEDED", healed.cause
    assert "cc-a-desired-capacity" in world.live_code()
    assert world.status().last_run.control_center.changed  # type: ignore[union-attr]


def test_update_schedule_failing_mid_run_is_recorded_and_the_next_run_sets_the_cadence(world: WorkflowWorld) -> None:
    world.put_config(**RUNNING, schedule_expression="rate(5 minutes)")
    with answering("UpdateSchedule", "ThrottlingException"):
        run = world.run("schedule-fails")
    assert run.status == "FAILED"
    last = world.status().last_run
    assert last is not None and last.schedule is not None and last.schedule.status == "failed"
    assert "ThrottlingException" in f"{last.schedule.error_code} {last.schedule.error_message}"
    assert [r.status for r in last.regions] == ["ok"]
    assert expression(world) == "rate(15 minutes)"  # unchanged: the deploy-time cadence
    healed = world.run("schedule-heals")
    assert healed.status == "SUCCEEDED", healed.cause
    assert expression(world) == "rate(5 minutes)"


def test_a_cron_schedule_reaches_the_scheduler_and_the_next_run_is_a_noop(world: WorkflowWorld) -> None:
    world.put_config(**RUNNING, schedule_expression="cron(0/5 8-18 ? * MON-FRI *)")
    assert world.run("cron").status == "SUCCEEDED"
    assert expression(world) == "cron(0/5 8-18 ? * MON-FRI *)"
    again = world.run("cron-noop")
    assert again.states_entered == ["Plan", "NothingToDo", "Finalize"]


def fire(world: WorkflowWorld, action: str) -> None:
    """What Auto Scaling does when a one-time scheduled action comes due: apply its sizes, then drop it."""
    group = world.asg(HOME)
    assert group is not None
    due = world.scheduled_actions(HOME)[action]
    autoscaling = world.clients.client("autoscaling", HOME)
    sizes: dict[str, int] = {k: due[k] for k in ("MinSize", "MaxSize", "DesiredCapacity")}
    autoscaling.update_auto_scaling_group(AutoScalingGroupName=group["AutoScalingGroupName"], **sizes)
    autoscaling.delete_scheduled_action(AutoScalingGroupName=group["AutoScalingGroupName"], ScheduledActionName=action)


def test_a_stop_time_crossed_between_runs_leaves_the_next_run_a_noop(world: WorkflowWorld) -> None:
    stop = clock.now().replace(microsecond=0) + timedelta(minutes=5)  # far beyond the margin, however slow the run
    world.put_config(**{**RUNNING, "run_duration": None}, stop_time=format_time(stop))
    assert world.run("before-stop").status == "SUCCEEDED"
    assert world.asg(HOME)["DesiredCapacity"] == 2  # type: ignore[index]
    assert world.scheduled_actions(HOME)["p2p-stop"]["StartTime"].astimezone(UTC) == stop
    fire(world, "p2p-stop")  # E came: AWS applied desired 0 and removed the one-time action
    shims.advance_clock_to(stop - timedelta(seconds=55))  # within the margin: the planner counts E as reached
    after = world.run("after-stop")
    assert after.states_entered == ["Plan", "NothingToDo", "Finalize"], after.states_entered
    assert world.asg(HOME)["DesiredCapacity"] == 0  # type: ignore[index]
    assert world.scheduled_actions(HOME) == {}
