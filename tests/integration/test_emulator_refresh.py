"""The emulator's instance refreshes (moto 5.2.5 has none): AWS's API, its rules, batches, any boto3 client."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from p2p_emulator import shims
from tests.integration.test_emulator_behaviours import AMI, REGION, USER_DATA, aws, client, code_of, group, new_group

__all__ = ["aws"]  # the fixture, used by name


def versions(autoscaling: Any) -> Counter[str]:
    """Live instances per launch template version, as DescribeAutoScalingGroups reports them."""
    return Counter(i["LaunchTemplate"]["Version"] for i in group(autoscaling)["Instances"])


def new_version(ec2: Any, lt: str) -> str:
    made = ec2.create_launch_template_version(
        LaunchTemplateId=lt, LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.small", "UserData": USER_DATA}
    )
    return str(made["LaunchTemplateVersion"]["VersionNumber"])


def on_version_two(desired: int) -> tuple[Any, str]:
    """A group of `desired` instances on version 1 that now follows version 2."""
    ec2 = client("ec2")
    autoscaling, lt = new_group(ec2, desired)
    assert new_version(ec2, lt) == "2"
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="agents", LaunchTemplate={"LaunchTemplateId": lt, "Version": "2"}
    )
    return autoscaling, lt


def start(autoscaling: Any, lt: str, minimum: int = 90, **extra: Any) -> str:
    found = autoscaling.start_instance_refresh(
        AutoScalingGroupName="agents",
        Strategy="Rolling",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "2"}},
        Preferences={"MinHealthyPercentage": minimum, "SkipMatching": True},
        **extra,
    )
    return str(found["InstanceRefreshId"])


def refresh(autoscaling: Any) -> dict[str, Any]:
    found: dict[str, Any] = autoscaling.describe_instance_refreshes(AutoScalingGroupName="agents")["InstanceRefreshes"][
        0
    ]
    return found


def test_each_instance_reports_the_template_version_it_was_launched_from(aws: None) -> None:
    """moto reported every instance on the template's default version (1), whatever launched it."""
    autoscaling, _ = on_version_two(2)
    autoscaling.set_desired_capacity(AutoScalingGroupName="agents", DesiredCapacity=3)
    assert versions(autoscaling) == {"1": 2, "2": 1}
    newest = next(i for i in group(autoscaling)["Instances"] if i["LaunchTemplate"]["Version"] == "2")
    tags = client("ec2").describe_instances(InstanceIds=[newest["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert {t["Key"]: t["Value"] for t in tags["Tags"]}["aws:ec2launchtemplate:version"] == "2"


def test_a_refresh_replaces_the_old_instances_in_batches_keeping_the_minimum_in_service(aws: None) -> None:
    shims.refresh_pace(None)  # batches only when the test says so
    autoscaling, lt = on_version_two(4)
    refresh_id = start(autoscaling, lt, minimum=50)  # 2 of 4 may be out of service: batches of 2
    found = refresh(autoscaling)
    assert (found["InstanceRefreshId"], found["Status"], found["InstancesToUpdate"]) == (refresh_id, "InProgress", 4)
    assert found["DesiredConfiguration"]["LaunchTemplate"] == {"LaunchTemplateId": lt, "Version": "2"}
    assert found["Preferences"] == {"MinHealthyPercentage": 50, "SkipMatching": True}

    shims.advance_refreshes(REGION)
    assert versions(autoscaling) == {"1": 2, "2": 2}
    found = refresh(autoscaling)
    assert (found["Status"], found["PercentageComplete"], found["InstancesToUpdate"]) == ("InProgress", 50, 2)

    shims.advance_refreshes(REGION)
    found = refresh(autoscaling)
    assert (found["Status"], found["PercentageComplete"], found["InstancesToUpdate"]) == ("Successful", 100, 0)
    assert "EndTime" in found
    assert versions(autoscaling) == {"2": 4}
    activities = autoscaling.describe_scaling_activities(AutoScalingGroupName="agents")["Activities"]
    assert sum(a["Description"].startswith("Launching a new EC2 instance: i-") for a in activities) == 4 + 4


def test_skip_matching_leaves_instances_already_on_the_version(aws: None) -> None:
    autoscaling, lt = on_version_two(2)
    autoscaling.set_desired_capacity(AutoScalingGroupName="agents", DesiredCapacity=3)  # one on version 2
    current = {i["InstanceId"] for i in group(autoscaling)["Instances"] if i["LaunchTemplate"]["Version"] == "2"}
    shims.refresh_pace(None)
    start(autoscaling, lt)
    assert refresh(autoscaling)["InstancesToUpdate"] == 2
    shims.advance_refreshes(REGION, batches=5)
    assert versions(autoscaling) == {"2": 3}
    assert current <= {i["InstanceId"] for i in group(autoscaling)["Instances"]}


def test_at_100_percent_each_replacement_launches_before_its_instance_goes(aws: None) -> None:
    shims.refresh_pace(None)
    autoscaling, lt = on_version_two(3)
    start(autoscaling, lt, minimum=100)
    for left in (2, 1, 0):
        shims.advance_refreshes(REGION)
        assert len(group(autoscaling)["Instances"]) == 3  # never below the desired capacity
        assert refresh(autoscaling)["InstancesToUpdate"] == left
    assert versions(autoscaling) == {"2": 3}


def test_at_the_default_pace_a_refresh_is_done_when_next_looked_at(aws: None) -> None:
    autoscaling, lt = on_version_two(3)
    start(autoscaling, lt)
    assert versions(autoscaling) == {"2": 3}
    assert refresh(autoscaling)["Status"] == "Successful"


def test_only_one_refresh_at_a_time(aws: None) -> None:
    shims.refresh_pace(None)
    autoscaling, lt = on_version_two(2)
    start(autoscaling, lt)
    with pytest.raises(ClientError) as refused:
        start(autoscaling, lt)
    assert code_of(refused) == "InstanceRefreshInProgress"
    assert "already in progress" in str(refused.value)


def test_a_cancelled_refresh_is_cancelling_until_next_looked_at_or_cancelled_at_once_without_waiting(
    aws: None,
) -> None:
    shims.refresh_pace(None)
    autoscaling, lt = on_version_two(2)
    first = start(autoscaling, lt)
    assert autoscaling.cancel_instance_refresh(AutoScalingGroupName="agents")["InstanceRefreshId"] == first
    assert refresh(autoscaling)["Status"] == "Cancelled"  # the describe is the next look
    second = start(autoscaling, lt)
    autoscaling.cancel_instance_refresh(AutoScalingGroupName="agents", WaitForTransitioningInstances=False)
    found = autoscaling.describe_instance_refreshes(AutoScalingGroupName="agents", InstanceRefreshIds=[second])
    assert [r["Status"] for r in found["InstanceRefreshes"]] == ["Cancelled"]
    assert versions(autoscaling) == {"1": 2}  # nothing was replaced
    with pytest.raises(ClientError) as refused:
        autoscaling.cancel_instance_refresh(AutoScalingGroupName="agents")
    assert code_of(refused) == "ActiveInstanceRefreshNotFound"


def test_the_launch_template_cannot_change_while_a_refresh_with_a_desired_configuration_runs(aws: None) -> None:
    shims.refresh_pace(None)
    autoscaling, lt = on_version_two(2)
    start(autoscaling, lt)
    with pytest.raises(ClientError) as refused:
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName="agents", LaunchTemplate={"LaunchTemplateId": lt, "Version": "1"}
        )
    assert code_of(refused) == "ValidationError"
    assert "An active instance refresh with a desired configuration exists" in str(refused.value)
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="agents", DesiredCapacity=3)  # capacity may change
    assert group(autoscaling)["DesiredCapacity"] == 3


def test_replacements_that_fail_to_launch_fail_the_refresh_with_the_reason(aws: None) -> None:
    shims.refresh_pace(None)
    autoscaling, lt = on_version_two(2)
    start(autoscaling, lt)
    shims.fail_launches(REGION, "InsufficientInstanceCapacity")
    shims.advance_refreshes(REGION)
    found = refresh(autoscaling)
    assert found["Status"] == "Failed"
    assert "We currently do not have sufficient t3.small capacity" in found["StatusReason"]


def test_an_unknown_group_is_a_validation_error(aws: None) -> None:
    with pytest.raises(ClientError) as refused:
        client("autoscaling").start_instance_refresh(AutoScalingGroupName="nobody")
    assert code_of(refused) == "ValidationError"
