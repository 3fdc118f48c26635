"""The reconciler's pure rules for AWS's behaviours: propagation retries, launch health, actions due at apply time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from p2p_core.models.observed import CapacityTarget, ScheduledAction
from p2p_core.models.plan import RegionPlan
from p2p_core.reconciler.launch_failures import LAUNCH_POLL_SECONDS, LAUNCH_WAIT_SECONDS, check_launches, judge_launches
from p2p_core.reconciler.propagation import (
    PROPAGATION_DELAYS,
    PropagationAware,
    created_id,
    referenced_ids,
    retry_while_propagating,
)
from p2p_core.resources.group_capacity import settle_due_actions

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
ON = CapacityTarget(min_size=0, max_size=30, desired_capacity=3)
OFF = CapacityTarget(min_size=0, max_size=30, desired_capacity=0)


def error(code: str, message: str = "injected") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Call")


class Answers:
    """A call that raises the given errors in turn, then returns "done"; counts its calls."""

    def __init__(self, *errors: ClientError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, **_: Any) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


# --- eventual consistency --------------------------------------------------------------------------


def test_a_resource_never_propagated_is_waited_for_with_doubling_pauses_and_given_up_within_thirty_seconds() -> None:
    slept: list[float] = []
    call = Answers(*[error("InvalidVpcID.NotFound")] * 100)
    with pytest.raises(ClientError, match=r"InvalidVpcID\.NotFound"):
        retry_while_propagating(call, sleep=slept.append)
    assert slept[0] <= 0.2 and all(b == 2 * a for a, b in itertools.pairwise(slept))
    assert 20.0 <= sum(slept) <= 30.0  # EC2's propagation (seconds) fits; the error stands well inside a run
    assert call.calls == len(slept) + 1


def test_not_found_is_retried_after_each_delay_until_the_resource_is_known() -> None:
    slept: list[float] = []
    call = Answers(error("InvalidVpcID.NotFound"), error("InvalidVpcID.NotFound"))
    assert retry_while_propagating(call, sleep=slept.append) == "done"
    assert (call.calls, slept) == (3, list(PROPAGATION_DELAYS[:2]))


def test_auto_scaling_saying_a_new_template_does_not_exist_is_retried() -> None:
    call = Answers(error("ValidationError", "The specified launch template, with template ID lt-1, does not exist."))
    assert retry_while_propagating(call, sleep=lambda _: None) == "done"


def test_a_resource_still_unknown_after_the_budget_fails_with_aws_error() -> None:
    slept: list[float] = []
    call = Answers(*[error("InvalidSubnetID.NotFound")] * (len(PROPAGATION_DELAYS) + 1))
    with pytest.raises(ClientError, match=r"InvalidSubnetID\.NotFound"):
        retry_while_propagating(call, sleep=slept.append)
    assert slept == list(PROPAGATION_DELAYS) and call.calls == len(PROPAGATION_DELAYS) + 1


@pytest.mark.parametrize("code", ["UnauthorizedOperation", "ValidationError", "InvalidParameterValue"])
def test_other_errors_are_not_retried(code: str) -> None:
    call = Answers(error(code))
    with pytest.raises(ClientError):
        retry_while_propagating(call, sleep=lambda _: pytest.fail("slept"))
    assert call.calls == 1


def test_ids_are_found_anywhere_in_the_parameters_and_in_create_answers() -> None:
    params = {"LaunchTemplate": {"LaunchTemplateId": "lt-1"}, "VPCZoneIdentifier": "subnet-a,subnet-b", "N": 3}
    assert {"lt-1", "subnet-a", "subnet-b"} <= set(referenced_ids(params))
    assert created_id("create_vpc", {"Vpc": {"VpcId": "vpc-1"}}) == "vpc-1"
    assert created_id("create_security_group", {"GroupId": "sg-1"}) == "sg-1"
    assert created_id("attach_internet_gateway", {}) is None


class FakeEc2:
    """Stands in for an EC2 client: creates a VPC, and answers NotFound to the first use of any id."""

    def __init__(self) -> None:
        self.attach = Answers(error("InvalidVpcID.NotFound"))

    def create_vpc(self, **_: Any) -> dict[str, Any]:
        return {"Vpc": {"VpcId": "vpc-new"}}

    def attach_internet_gateway(self, **kwargs: Any) -> str:
        return self.attach(**kwargs)


def test_only_calls_naming_a_resource_created_through_the_client_are_retried() -> None:
    ec2, created = FakeEc2(), set[str]()
    aware = PropagationAware(ec2, created)
    with pytest.raises(ClientError):  # a VPC this run did not create: NotFound is an answer
        aware.attach_internet_gateway(InternetGatewayId="igw-1", VpcId="vpc-old")
    aware.create_vpc(CidrBlock="10.0.0.0/24")
    ec2.attach.errors = [error("InvalidVpcID.NotFound")]
    assert aware.attach_internet_gateway(InternetGatewayId="igw-1", VpcId="vpc-new") == "done"
    assert created == {"vpc-new"}


# --- launches that fail after the group accepted the capacity -------------------------------------


def group(desired: int, *states: str) -> dict[str, Any]:
    instances = [{"InstanceId": f"i-{n}", "LifecycleState": s} for n, s in enumerate(states)]
    return {"AutoScalingGroupName": "g", "DesiredCapacity": desired, "Instances": instances}


def launch(status: str, message: str | None = None) -> dict[str, Any]:
    activity = {"Description": "Launching a new EC2 instance", "StatusCode": status}
    return activity | ({"StatusMessage": message} if message else {})


def test_pending_and_in_service_instances_count_towards_desired() -> None:
    assert judge_launches(group(2, "Pending", "InService", "Terminating"), []).state == "healthy"


def test_newest_failed_launch_makes_the_region_degraded_with_aws_reason() -> None:
    activities = [launch("Failed", "We currently do not have sufficient t3.micro capacity"), launch("Successful")]
    check = judge_launches(group(3, "InService"), activities)
    assert check.degraded and check.state == "failing"
    assert check.summary == "instances below desired (1/3): We currently do not have sufficient t3.micro capacity"


def test_a_launch_in_progress_is_not_degraded() -> None:
    check = judge_launches(group(3, "InService"), [launch("PreInService"), launch("Failed", "old")])
    assert (check.state, check.degraded) == ("launching", False)


@pytest.mark.parametrize("activities", [[], [launch("Successful")]])
def test_short_with_no_launch_in_progress_is_degraded_too(activities: list[dict[str, Any]]) -> None:
    check = judge_launches(group(3), activities)
    assert check.degraded and check.state == "stalled" and check.summary.startswith("instances below desired (0/3)")


class SlowGroup:
    """An Auto Scaling client whose group shows its instances only after `reads` describes (as AWS, later)."""

    def __init__(self, reads: int) -> None:
        self.reads = reads

    def describe_scaling_activities(self, **_: Any) -> dict[str, Any]:
        return {"Activities": []}

    def describe_auto_scaling_groups(self, **_: Any) -> dict[str, Any]:
        self.reads -= 1
        return {"AutoScalingGroups": [group(2, "Pending", "Pending") if self.reads <= 0 else group(2)]}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_after_a_capacity_change_the_check_waits_for_aws_to_start_launching() -> None:
    ctx, clock = type("Ctx", (), {"autoscaling": SlowGroup(reads=2)})(), Clock()
    check = check_launches(ctx, group(2), wait=True, sleep=clock.sleep, clock=lambda: clock.now)  # type: ignore[arg-type]
    assert check.state == "healthy" and clock.slept == [LAUNCH_POLL_SECONDS] * 2


def test_the_wait_is_bounded_and_ends_degraded() -> None:
    ctx, clock = type("Ctx", (), {"autoscaling": SlowGroup(reads=10**6)})(), Clock()
    check = check_launches(ctx, group(2), wait=True, sleep=clock.sleep, clock=lambda: clock.now)  # type: ignore[arg-type]
    assert check.state == "stalled" and LAUNCH_WAIT_SECONDS <= sum(clock.slept) < LAUNCH_WAIT_SECONDS + 3.1


# --- the scheduled-action margin at apply time ------------------------------------------------------


def action(name: str, at: datetime, capacity: CapacityTarget) -> ScheduledAction:
    return ScheduledAction(name=name, start_time=at, capacity=capacity)  # type: ignore[arg-type]


def test_an_action_that_fell_inside_the_margin_since_plan_is_applied_directly_not_sent() -> None:
    start = action("p2p-start", NOW + timedelta(seconds=59), ON)
    stop = action("p2p-stop", NOW + timedelta(hours=2), OFF)
    step = RegionPlan(region="r", put_actions=[start, stop], existing_actions=["p2p-start"])
    settled = settle_due_actions(step, NOW)
    assert settled.capacity == ON and settled.initial_capacity == ON
    assert settled.put_actions == [stop]
    assert settled.delete_actions == ["p2p-start"]  # the older p2p-start on the group would fire again


def test_when_start_and_stop_are_both_due_the_later_one_wins() -> None:
    start = action("p2p-start", NOW - timedelta(seconds=5), ON)
    stop = action("p2p-stop", NOW + timedelta(seconds=30), OFF)
    settled = settle_due_actions(RegionPlan(region="r", put_actions=[stop, start]), NOW)
    assert (settled.capacity, settled.put_actions, settled.delete_actions) == (OFF, [], [])


def test_actions_after_the_margin_are_left_to_be_scheduled() -> None:
    step = RegionPlan(region="r", put_actions=[action("p2p-start", NOW + timedelta(seconds=61), ON)])
    assert settle_due_actions(step, NOW) == step
