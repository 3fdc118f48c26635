"""ReconcileRegion against moto: create, no-op, capacity, schedules, infrastructure changes (SPEC §4)."""

from __future__ import annotations

import base64

import boto3
import pytest

from p2p_core import MANAGED_TAG, REGION_TAG, STACK_TAG
from p2p_core.infrastructure import infrastructure_hash
from p2p_core.models.observed import CapacityTarget, ScheduledAction
from p2p_core.models.plan import RegionPlan
from p2p_core.reconciler import reconcile_region
from p2p_emulator import shims
from tests.integration.reconciler_fixtures import (
    ONE_FLEET,
    REGIONS,
    STACK,
    USER_DATA,
    World,
    later,
    make_config,
    managed_resources,
    security_rules,
)
from tests.integration.reliability_world import fresh_mutations

HOME_NOOP_READS = [
    "DescribeAutoScalingGroups",
    "DescribeScheduledActions",
    "DescribeSubnets",
    "DescribeRouteTables",
    "DescribeSecurityGroups",
    "DescribeLaunchTemplateVersions",
    "DescribeLogGroups",
    "ListRules",  # the drift-event rule: none wanted in the home region (the template's DriftRule covers it)
]  # VPC..ASG with 3 subnets
NOOP_READS = [*HOME_NOOP_READS, "ListTargetsByRule"]  # any other region: its drift-event rule and where it delivers


def noop_reads(region: str) -> list[str]:
    """Every read of a run that finds `region` as configured: one per resource type (two for the rule)."""
    return HOME_NOOP_READS if region == "eu-central-1" else NOOP_READS


def _tags(resource: dict[str, object]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}  # type: ignore[attr-defined]


@pytest.mark.smoke
def test_fresh_regions_get_every_resource_once_and_tagged(region_world: World) -> None:
    results = region_world.run(make_config())

    assert sorted(results) == REGIONS
    for region in REGIONS:
        assert results[region].status == "ok", results[region]
        assert results[region].mutating_calls == fresh_mutations(region)
        found = managed_resources(region)
        assert {k: len(v) for k, v in found.items()} == {**ONE_FLEET, "instance": 2}
        vpc = boto3.client("ec2", region).describe_vpcs(VpcIds=found["vpc"])["Vpcs"][0]
        assert _tags(vpc) | {"Name": "x"} == {STACK_TAG: STACK, REGION_TAG: region, MANAGED_TAG: "true", "Name": "x"}


def test_subnets_are_public_and_routed_through_the_internet_gateway(region_world: World) -> None:
    region_world.run(make_config())

    ec2 = boto3.client("ec2", "eu-central-1")
    found = managed_resources("eu-central-1")
    subnets = ec2.describe_subnets(SubnetIds=found["subnet"])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.20.30.0/26", "10.20.30.128/26", "10.20.30.64/26"]
    assert all(s["MapPublicIpOnLaunch"] for s in subnets)
    table = ec2.describe_route_tables(RouteTableIds=found["route_table"])["RouteTables"][0]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": found["igw"][0]}.items() <= next(
        r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"
    ).items()
    assert sorted(a["SubnetId"] for a in table["Associations"] if "SubnetId" in a) == sorted(found["subnet"])


def test_az_number_limits_the_subnets(region_world: World) -> None:
    region_world.run(make_config(regions=["us-east-1"], network={"az_number": 2}))

    assert len(managed_resources("us-east-1")["subnet"]) == 2


def test_security_group_opens_ports_to_the_internet_everything_between_members_and_ssh_only_from_allow_ssh(
    region_world: World,
) -> None:
    network = {"open_ports": ["4001", "30000-30100"], "allow_ssh": ["203.0.113.0/24", "2001:db8::/32"]}
    region_world.run(make_config(network=network))

    group_id = managed_resources("eu-central-1")["security_group"][0]
    group = boto3.client("ec2", "eu-central-1").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert security_rules(group["IpPermissions"]) == {
        ("-1", None, None, group_id),
        ("tcp", 4001, 4001, "0.0.0.0/0"),
        ("tcp", 4001, 4001, "::/0"),
        ("udp", 30000, 30100, "0.0.0.0/0"),
        ("udp", 30000, 30100, "::/0"),
        ("tcp", 22, 22, "203.0.113.0/24"),
        ("tcp", 22, 22, "2001:db8::/32"),
    }
    assert security_rules(group["IpPermissionsEgress"]) == {("-1", None, None, "0.0.0.0/0"), ("-1", None, None, "::/0")}


def test_launch_template_requires_imdsv2_encrypts_the_volume_and_tags_instances(region_world: World) -> None:
    profile = "arn:aws:iam::123456789012:instance-profile/p2p-agents"
    region_world.deployment = region_world.deployment.model_copy(update={"instance_profile_arn": profile})
    region_world.run(make_config(instance={"volume_size": 20, "volume_type": "gp3"}))

    ec2 = boto3.client("ec2", "eu-central-1")
    template_id = managed_resources("eu-central-1")["launch_template"][0]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Latest"])[
        "LaunchTemplateVersions"
    ][0]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["InstanceMetadataTags"] == "enabled"
    ebs = data["BlockDeviceMappings"][0]["Ebs"]
    assert (ebs["VolumeSize"], ebs["VolumeType"], ebs["Encrypted"]) == (20, "gp3", True)
    assert data["IamInstanceProfile"] == {"Arn": profile}
    assert base64.b64decode(data["UserData"]).decode() == USER_DATA
    # moto also lists the template's own tags here; AWS lists only what instances get
    assert {s["ResourceType"] for s in data["TagSpecifications"]} >= {"instance", "network-interface", "volume"}
    assert data["ImageId"] == shims.UBUNTU_IMAGES["x86_64"]  # from the public SSM parameter, default arch


def _root_volumes(region_world: World, operation: str) -> list[dict[str, object]]:
    return [c["LaunchTemplateData"]["BlockDeviceMappings"][0]["Ebs"] for c in region_world.sent(operation)]


def test_provisioned_iops_reach_the_root_volume(region_world: World) -> None:
    # desired 0: moto drops a template's Iops when it launches, so it cannot boot io1/io2 (AWS can)
    region_world.run(make_config(desired_capacity=0, instance={"volume_size": 20, "volume_type": "io2", "iops": 5000}))
    assert [(v["VolumeType"], v["Iops"]) for v in _root_volumes(region_world, "CreateLaunchTemplate")] == [
        ("io2", 5000)
    ] * 3


def test_a_root_volume_without_iops_sends_none(region_world: World) -> None:
    region_world.run(make_config(instance={"volume_size": 20, "volume_type": "gp3", "iops": 6000}))
    assert [(v["VolumeType"], v["Iops"]) for v in _root_volumes(region_world, "CreateLaunchTemplate")] == [
        ("gp3", 6000)
    ] * 3
    region_world.run(make_config(instance={"volume_size": 20, "volume_type": "gp2"}))
    versions = _root_volumes(region_world, "CreateLaunchTemplateVersion")
    assert [(v["VolumeType"], "Iops" in v) for v in versions] == [("gp2", False)] * 3


def test_log_group_has_the_configured_retention(region_world: World) -> None:
    region_world.run(make_config(logs={"retention_days": 30}))

    groups = boto3.client("logs", "ap-southeast-2").describe_log_groups(logGroupNamePrefix=f"/p2p/{STACK}/agents")
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups["logGroups"]] == [(f"/p2p/{STACK}/agents", 30)]


def test_no_log_group_when_logs_are_disabled(region_world: World) -> None:
    region_world.run(make_config(logs={"enabled": False}))

    assert managed_resources("eu-central-1")["log_group"] == []
    assert region_world.run(make_config(logs={"enabled": False})) == {}


def test_second_run_makes_zero_mutating_calls(region_world: World) -> None:
    config = make_config()
    region_world.run(config)

    assert region_world.run(config) == {}
    assert region_world.mutating() == []
    for region in REGIONS:  # every managed resource verified: one read per resource type
        reads = sorted(c.operation for c in region_world.calls if c.region == region)
        assert reads == sorted(noop_reads(region))


def test_capacity_change_is_exactly_one_asg_update(region_world: World) -> None:
    region_world.run(make_config())

    results = region_world.run(make_config(desired_capacity={"all": 2, "aws": {"us-east-1": 5}}))

    assert region_world.mutating() == ["UpdateAutoScalingGroup"]
    assert region_world.sent("UpdateAutoScalingGroup")[0] | {"AutoScalingGroupName": "-"} == {
        "AutoScalingGroupName": "-",
        "MinSize": 0,
        "MaxSize": 30,
        "DesiredCapacity": 5,
    }
    assert results["us-east-1"].actions == ["set capacity min 0, desired 5, max 30"]
    assert results["us-east-1"].mutating_calls == 1


def test_future_start_schedules_p2p_start_with_the_count(region_world: World) -> None:
    start = later(region_world, hours=2)
    region_world.run(make_config(start_time=start.isoformat(), start_offset="0 minutes", run_duration="1 day"))

    asg = boto3.client("autoscaling", "eu-central-1")
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{STACK}-agents"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 0
    actions = asg.describe_scheduled_actions(AutoScalingGroupName=f"{STACK}-agents")["ScheduledUpdateGroupActions"]
    got = {
        a["ScheduledActionName"]: (a["StartTime"], a["MinSize"], a["DesiredCapacity"], a["MaxSize"]) for a in actions
    }
    assert got == {"p2p-start": (start, 0, 2, 30), "p2p-stop": (later(region_world, hours=26), 0, 0, 30)}


def test_passed_start_sets_desired_directly_and_never_sends_a_past_action(region_world: World) -> None:
    region_world.run(make_config(start_time=later(region_world, minutes=-30).isoformat(), run_duration="1 hour"))

    group = boto3.client("autoscaling", "eu-central-1").describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2
    sent = region_world.sent("PutScheduledUpdateGroupAction")
    assert [p["ScheduledActionName"] for p in sent] == ["p2p-stop"] * len(REGIONS)
    assert all(p["StartTime"] > later(region_world, seconds=60) for p in sent)


def test_start_reached_between_runs_sets_desired_and_drops_p2p_start(region_world: World) -> None:
    start = later(region_world, minutes=10)
    config = make_config(start_time=start.isoformat(), start_offset="0 minutes", run_duration=None)
    region_world.run(config)

    results = region_world.run(config, now=later(region_world, minutes=11))

    assert sorted(region_world.mutating("eu-central-1")) == ["DeleteScheduledAction", "UpdateAutoScalingGroup"]
    assert "removed p2p-start" in results["eu-central-1"].actions
    assert region_world.sent("PutScheduledUpdateGroupAction") == []


def test_start_within_a_minute_is_applied_directly(region_world: World) -> None:
    start = later(region_world, seconds=30)
    region_world.run(make_config(start_time=start.isoformat(), start_offset="0 minutes", run_duration=None))

    assert region_world.sent("PutScheduledUpdateGroupAction") == []
    group = boto3.client("autoscaling", "us-east-1").describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2


def test_a_start_that_fell_inside_the_margin_between_plan_and_apply_is_applied_directly(region_world: World) -> None:
    config = make_config(
        regions=["eu-central-1"], start_time=later(region_world, hours=1).isoformat(), start_offset="0 minutes"
    )
    region_world.run(config)  # desired 0 and p2p-start in an hour
    due = ScheduledAction(
        name="p2p-start",
        start_time=later(region_world, seconds=59),  # planned when it was 61 s away; 2 s passed before the apply
        capacity=CapacityTarget(min_size=0, max_size=30, desired_capacity=2),
    )
    step = RegionPlan(
        region="eu-central-1",
        infrastructure_hash=infrastructure_hash(config),
        put_actions=[due],
        existing_actions=["p2p-start"],
    )
    region_world.calls.clear()

    result = reconcile_region(
        region_world.clients, region_world.deployment, config, step, user_data=USER_DATA, now=region_world.now
    )

    assert result.status == "ok", result
    assert region_world.sent("PutScheduledUpdateGroupAction") == []  # AWS would refuse it: never sent
    assert sorted(region_world.mutating()) == ["DeleteScheduledAction", "UpdateAutoScalingGroup"]
    group = boto3.client("autoscaling", "eu-central-1").describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2
    assert boto3.client("autoscaling", "eu-central-1").describe_scheduled_actions()["ScheduledUpdateGroupActions"] == []


def test_changed_infrastructure_makes_a_new_template_version_the_asg_follows(region_world: World) -> None:
    region_world.run(make_config())

    changed = make_config(instance={"type": "t3.small"})
    results = region_world.run(changed)

    assert sorted(region_world.mutating("eu-central-1")) == [
        "CreateLaunchTemplateVersion",
        "CreateOrUpdateTags",
        "ModifyLaunchTemplate",  # the new version becomes the default
        "StartInstanceRefresh",  # the running agents follow it
        "UpdateAutoScalingGroup",
    ]
    assert results["eu-central-1"].infrastructure_hash == infrastructure_hash(changed)
    group = boto3.client("autoscaling", "eu-central-1").describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert group["LaunchTemplate"]["Version"] == "2"
    assert _tags(group)["p2p:infrastructure"] == infrastructure_hash(changed)
    assert region_world.run(changed) == {}
