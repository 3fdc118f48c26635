"""Values that only look valid (issue 22 §3), through the real ASL: refused in Plan, naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from p2p_emulator.world import WorkflowWorld
from tests.integration.reliability_world import Hook, hooked, region_result
from tests.integration.test_workflow import PLAN_FAILED_STATES, RUNNING, mutations_outside_own_table

FAR_AWAY = {
    "start-time-9999": ({"start_time": "9999-12-31T23:59:59Z"}, "start_time: 9999-12-31T23:59:59Z is outside"),
    "start-plus-offset-2200": ({"start_time": "2199-12-31T23:59:00Z"}, "start_time: start_time + start_offset"),
    "run-duration-99999999-days": ({"run_duration": "99999999 days"}, "run_duration: '99999999 days' is longer"),
}


@pytest.mark.parametrize("case", list(FAR_AWAY))
def test_a_time_beyond_what_aws_schedules_written_with_boto3_fails_plan_as_config_invalid(
    world: WorkflowWorld, case: str
) -> None:
    """Injected: an item put with boto3 (unvalidated) whose start, or start + offset/duration, is after
    2199-12-31T23:59:59Z (EventBridge cron's last year; Auto Scaling's scheduled actions share the run).

    Checked: the run fails in Plan with ConfigInvalid (not OverflowError) naming the field and its value;
    nothing outside the control plane's table was written.
    """
    fields, words = FAR_AWAY[case]
    world.put_raw_config({"regions": ["eu-central-1"], **fields})
    run = world.run(case)
    assert (run.status, run.error) == ("FAILED", "ConfigInvalid"), run.cause
    assert words in (run.cause or ""), run.cause
    assert run.states_entered == PLAN_FAILED_STATES
    assert mutations_outside_own_table(world) == []


def one_zone_offered(region: str) -> Hook:
    """A before-call hook: DescribeInstanceTypeOfferings in `region` names t3.micro in its zone `a` only."""

    def hook(model: Any, context: dict[str, Any], params: dict[str, Any], **_: Any) -> Any:
        if context.get("client_region") != region or model.name != "DescribeInstanceTypeOfferings":
            return None
        kind = params["body"].get("LocationType", "region")  # the serialized request: EC2's query form
        where = region if kind == "region" else f"{region}a"
        offered = [{"InstanceType": "t3.micro", "LocationType": kind, "Location": where}]
        return AWSResponse("https://ec2.invalid/", 200, HTTPHeaders(), None), {"InstanceTypeOfferings": offered}

    return hook


def test_more_instances_than_the_subnets_hold_end_degraded_with_awss_reason_not_http_500(world: WorkflowWorld) -> None:
    """Injected: sa-east-1 offers t3.micro in one zone only, so its group has one /26 subnet (59 addresses),
    and the config asks for 100 there (valid: the network's three subnets would hold 177).

    Checked: the emulator accepts the capacity (no HTTP 500 from moto's exhausted subnet): the group launches
    59 and the rest fails as AWS says it (InsufficientFreeAddressesInSubnet in the scaling activities); the run
    succeeds with the region `degraded` naming the subnet; the other region is ok.
    """
    region = "sa-east-1"
    world.put_config(**{**RUNNING, "regions": ["eu-central-1", region], "desired_capacity": 100, "max_size": 100})
    with hooked(world, one_zone_offered(region)):
        run = world.run("too-many")
    assert run.status == "SUCCEEDED", run.cause
    group = world.asg(region)
    assert group is not None and (group["DesiredCapacity"], len(group["Instances"])) == (100, 59)
    short = region_result(world, region)
    assert (short.status, short.error_code) == ("degraded", "LaunchFailed")
    assert "instances below desired (59/100): There are not enough free addresses in subnet 'subnet-" in (
        short.error_message or ""
    ), short.error_message
    assert region_result(world, "eu-central-1").status == "ok"
