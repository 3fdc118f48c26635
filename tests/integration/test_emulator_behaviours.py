"""The emulated AWS account behaves as AWS does where moto does not: any boto3 client sees it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from p2p_core.quota import SPOT_QUOTA
from p2p_core.regions import opt_in_regions
from p2p_emulator import shims

REGION = "us-east-1"
AMI = shims.UBUNTU_IMAGES["x86_64"]
USER_DATA = base64.b64encode(b"#!/bin/bash\necho agent\n").decode()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    shims.install()
    with mock_aws():
        shims.reset_behaviours()
        try:
            yield
        finally:
            shims.reset_behaviours()


def client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def template(ec2: Any, **data: Any) -> str:
    found = ec2.create_launch_template(
        LaunchTemplateName="agents", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro", **data}
    )
    return str(found["LaunchTemplate"]["LaunchTemplateId"])


def subnet(ec2: Any) -> str:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.describe_vpcs(VpcIds=[vpc])  # a describe that shows it: propagated
    made = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    ec2.describe_subnets(SubnetIds=[made])
    return str(made)


def group(autoscaling: Any) -> dict[str, Any]:
    found: dict[str, Any] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["agents"])[
        "AutoScalingGroups"
    ][0]
    return found


def new_group(ec2: Any, desired: int, **template_data: Any) -> tuple[Any, str]:
    autoscaling, lt = client("autoscaling"), template(ec2, **template_data)
    ec2.describe_launch_templates(LaunchTemplateIds=[lt])
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="agents",
        LaunchTemplate={"LaunchTemplateId": lt, "Version": "1"},
        MinSize=0,
        MaxSize=10,
        DesiredCapacity=desired,
        VPCZoneIdentifier=subnet(ec2),
    )
    return autoscaling, lt


# --- a group's MixedInstancesPolicy across updates that do not name it -------------------------------


def test_an_update_that_names_no_policy_keeps_the_groups_mixed_instances_policy(aws: None) -> None:
    """moto 5.2.5 dropped the policy on any update without one (a capacity change) and ignored CapacityRebalance."""
    ec2, autoscaling = client("ec2"), client("autoscaling")
    lt = template(ec2)
    ec2.describe_launch_templates(LaunchTemplateIds=[lt])
    policy = {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "1"},
            "Overrides": [{"InstanceType": "t3.micro"}, {"InstanceType": "t3a.micro"}],
        },
        "InstancesDistribution": {"OnDemandBaseCapacity": 1, "OnDemandPercentageAboveBaseCapacity": 0},
    }
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="agents", MixedInstancesPolicy=policy, MinSize=0, MaxSize=10, DesiredCapacity=1,
        VPCZoneIdentifier=subnet(ec2),
    )  # fmt: skip
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="agents", DesiredCapacity=2, CapacityRebalance=True)
    kept = group(autoscaling)
    assert [o["InstanceType"] for o in kept["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]] == [
        "t3.micro",
        "t3a.micro",
    ]
    assert kept["MixedInstancesPolicy"]["InstancesDistribution"]["OnDemandBaseCapacity"] == 1
    assert (kept["DesiredCapacity"], kept["CapacityRebalance"]) == (2, True)
    plain = {"LaunchTemplateId": lt, "Version": "1"}  # naming a launch template replaces the policy, as on AWS
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="agents", LaunchTemplate=plain, CapacityRebalance=False)
    assert group(autoscaling).get("MixedInstancesPolicy") is None and group(autoscaling)["CapacityRebalance"] is False


# --- moto's crash on a scale-up after a new launch template version with UserData ---------------------


def test_a_group_scales_up_after_a_new_template_version_with_user_data(aws: None) -> None:
    """moto 5.2.5 answered HTTP 500 here and left 1 instance with desired 3."""
    ec2 = client("ec2")
    autoscaling, lt = new_group(ec2, 1, UserData=USER_DATA)
    ec2.create_launch_template_version(
        LaunchTemplateId=lt, LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro", "UserData": USER_DATA}
    )
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="agents", LaunchTemplate={"LaunchTemplateId": lt, "Version": "2"}, DesiredCapacity=3
    )
    assert len(group(autoscaling)["Instances"]) == 3


def test_a_template_version_with_user_data_that_is_not_base64_is_refused(aws: None) -> None:
    ec2 = client("ec2")
    lt = template(ec2)
    with pytest.raises(ClientError) as refused:
        ec2.create_launch_template_version(LaunchTemplateId=lt, LaunchTemplateData={"UserData": "not base64!"})
    assert code_of(refused) == "InvalidUserData.Malformed"


# --- eventual consistency ----------------------------------------------------------------------------


def test_a_new_vpc_answers_not_found_to_its_first_use_then_is_known(aws: None) -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError) as early:
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")
    assert code_of(early) == "InvalidVpcID.NotFound"
    assert ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["VpcId"] == vpc


def test_auto_scaling_says_a_new_launch_template_does_not_exist(aws: None) -> None:
    ec2, autoscaling = client("ec2"), client("autoscaling")
    lt, zones = template(ec2), subnet(ec2)
    with pytest.raises(ClientError) as early:
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="agents", LaunchTemplate={"LaunchTemplateId": lt}, MinSize=0, MaxSize=1,
            VPCZoneIdentifier=zones,
        )  # fmt: skip
    assert code_of(early) == "ValidationError" and "does not exist" in str(early.value)


def test_a_describe_that_shows_the_resource_means_it_has_propagated(aws: None) -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    assert shims.consistency.unseen_ids() == {vpc: 1}
    ec2.describe_vpcs()
    assert shims.consistency.unseen_ids() == {}


def test_more_failing_uses_or_none_can_be_chosen(aws: None) -> None:
    ec2 = client("ec2")
    shims.eventual_consistency(uses=0)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")
    shims.eventual_consistency(uses=2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    for _ in range(2):
        with pytest.raises(ClientError, match=r"InvalidInternetGatewayID\.NotFound"):
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)


# --- idempotency tokens ------------------------------------------------------------------------------


def test_a_repeated_client_token_returns_the_first_result_and_creates_nothing(aws: None) -> None:
    ec2 = client("ec2")
    data = {"ImageId": AMI, "InstanceType": "t3.micro"}
    first = ec2.create_launch_template(LaunchTemplateName="a", ClientToken="t", LaunchTemplateData=data)
    again = ec2.create_launch_template(LaunchTemplateName="a", ClientToken="t", LaunchTemplateData=data)
    assert first["LaunchTemplate"]["LaunchTemplateId"] == again["LaunchTemplate"]["LaunchTemplateId"]
    assert len(ec2.describe_launch_templates()["LaunchTemplates"]) == 1


def test_the_same_token_with_other_parameters_is_an_idempotent_parameter_mismatch(aws: None) -> None:
    ec2 = client("ec2")
    lt = template(ec2)
    ec2.create_launch_template_version(LaunchTemplateId=lt, ClientToken="t", LaunchTemplateData={"ImageId": AMI})
    with pytest.raises(ClientError) as mismatch:
        ec2.create_launch_template_version(LaunchTemplateId=lt, ClientToken="t", LaunchTemplateData={"ImageId": "x"})
    assert code_of(mismatch) == "IdempotentParameterMismatch"


def test_a_token_replays_its_result_even_after_the_resource_was_deleted(aws: None) -> None:
    ec2 = client("ec2")
    data = {"ImageId": AMI}
    made = ec2.create_launch_template(LaunchTemplateName="a", ClientToken="t", LaunchTemplateData=data)
    ec2.delete_launch_template(LaunchTemplateId=made["LaunchTemplate"]["LaunchTemplateId"])
    again = ec2.create_launch_template(LaunchTemplateName="a", ClientToken="t", LaunchTemplateData=data)
    assert again["LaunchTemplate"]["LaunchTemplateId"] == made["LaunchTemplate"]["LaunchTemplateId"]
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []


# --- launches failing after the group accepted the capacity -------------------------------------------


def test_failing_launches_leave_the_group_short_and_say_why_in_its_scaling_activities(aws: None) -> None:
    ec2 = client("ec2")
    autoscaling, _ = new_group(ec2, 1)
    shims.fail_launches(REGION, "InsufficientInstanceCapacity")
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="agents", DesiredCapacity=3)

    assert (group(autoscaling)["DesiredCapacity"], len(group(autoscaling)["Instances"])) == (3, 1)
    newest, *older = autoscaling.describe_scaling_activities(AutoScalingGroupName="agents")["Activities"]
    assert newest["StatusCode"] == "Failed"
    assert newest["StatusMessage"].startswith("We currently do not have sufficient t3.micro capacity")
    assert [a["StatusCode"] for a in older] == ["Successful"]


def test_the_group_keeps_trying_and_catches_up_once_launches_succeed(aws: None) -> None:
    ec2 = client("ec2")
    shims.fail_launches(REGION, "VcpuLimitExceeded")
    autoscaling, _ = new_group(ec2, 2)
    assert group(autoscaling)["Instances"] == []
    shims.clear_launch_failures(REGION)
    assert len(group(autoscaling)["Instances"]) == 2
    assert autoscaling.describe_scaling_activities()["Activities"][0]["StatusCode"] == "Successful"


def test_only_known_launch_failures_can_be_switched_on() -> None:
    with pytest.raises(ValueError, match="unknown launch failure"):
        shims.fail_launches(REGION, "NoSuchError")


# --- regions not enabled -------------------------------------------------------------------------------


def test_describe_regions_reports_opt_in_status_and_hides_disabled_regions(aws: None) -> None:
    shims.disable_regions(["ap-east-1"])
    ec2 = client("ec2", "eu-central-1")
    every = {r["RegionName"]: r["OptInStatus"] for r in ec2.describe_regions(AllRegions=True)["Regions"]}
    assert len(every) == 34
    assert (every["ap-east-1"], every["af-south-1"], every["eu-central-1"]) == (
        "not-opted-in",
        "opted-in",
        "opt-in-not-required",
    )
    assert "ap-east-1" not in {r["RegionName"] for r in ec2.describe_regions()["Regions"]}


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("ec2", lambda c: c.describe_vpcs(), "AuthFailure"),
        ("autoscaling", lambda c: c.describe_auto_scaling_groups(), "InvalidClientTokenId"),
        ("logs", lambda c: c.describe_log_groups(), "UnrecognizedClientException"),
        ("ssm", lambda c: c.describe_parameters(), "UnrecognizedClientException"),
    ],
)
def test_every_call_to_a_disabled_region_fails_as_aws_fails_it(aws: None, service: str, call: Any, code: str) -> None:
    shims.disable_regions(["opt-in"])
    with pytest.raises(ClientError) as refused:
        call(client(service, "me-central-1"))
    assert code_of(refused) == code
    call(client(service, "eu-central-1"))  # regions enabled by default still answer


def test_only_opt_in_regions_can_be_disabled() -> None:
    assert shims.disable_regions(["opt-in"]) == sorted(opt_in_regions())
    with pytest.raises(ValueError, match="'eu-central-1' is not an opt-in region"):
        shims.disable_regions(["eu-central-1"])
    shims.disable_regions([])


# --- Local Zones -----------------------------------------------------------------------------------------


def test_us_east_1_has_a_local_zone_that_offers_agent_types(aws: None) -> None:
    ec2 = client("ec2")
    zones = {z["ZoneName"]: z["ZoneType"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    assert zones["us-east-1-bos-1a"] == "local-zone"
    offers = ec2.describe_instance_type_offerings(
        LocationType="availability-zone", Filters=[{"Name": "location", "Values": ["us-east-1-bos-1a"]}]
    )["InstanceTypeOfferings"]
    assert "t3.micro" in {o["InstanceType"] for o in offers}


def test_the_vcpu_quotas_are_a_new_accounts_unless_set_and_other_ec2_quotas_are_unknown(aws: None) -> None:
    shims.set_quota("eu-west-3", 8)
    shims.set_quota("eu-west-3", 4, SPOT_QUOTA)
    quota = {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"}
    applied = client("service-quotas", "eu-west-3").get_service_quota(**quota)["Quota"]
    assert (applied["Value"], applied["QuotaName"]) == (
        8,
        "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
    )
    assert client("service-quotas", "eu-west-3").get_aws_default_service_quota(**quota)["Quota"]["Value"] == 32
    assert client("service-quotas").get_service_quota(**quota)["Quota"]["Value"] == 32
    listed = client("service-quotas", "eu-west-3").list_service_quotas(ServiceCode="ec2")["Quotas"]
    assert [(q["QuotaCode"], q["Value"]) for q in listed] == [("L-1216C47A", 8), ("L-34B43A08", 4)]
    spot = client("service-quotas").get_service_quota(ServiceCode="ec2", QuotaCode="L-34B43A08")["Quota"]
    assert (spot["Value"], spot["UsageMetric"]["MetricDimensions"]["Class"]) == (32, "Standard/Spot")
    with pytest.raises(ClientError) as refused:
        client("service-quotas").get_service_quota(ServiceCode="ec2", QuotaCode="L-DB2E81BA")
    assert code_of(refused) == "NoSuchResourceException"
    assert client("service-quotas").get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]["Value"] == 5


def test_a_quota_never_applied_answers_no_such_resource_and_its_default_comes_from_the_default_call(aws: None) -> None:
    shims.quotas_applied(False)
    shims.set_quota("eu-west-3", 8)  # one the account raised: applied
    quota = {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"}
    with pytest.raises(ClientError) as refused:
        client("service-quotas").get_service_quota(**quota)
    assert code_of(refused) == "NoSuchResourceException"
    assert client("service-quotas").get_aws_default_service_quota(**quota)["Quota"]["Value"] == 32
    assert client("service-quotas", "eu-west-3").get_service_quota(**quota)["Quota"]["Value"] == 8
    assert client("service-quotas").list_service_quotas(ServiceCode="ec2")["Quotas"] == []


def test_the_account_api_lists_every_region_with_its_opt_in_status(aws: None) -> None:
    shims.disable_regions(["ap-east-1"])
    account = client("account")
    found = {r["RegionName"]: r["RegionOptStatus"] for r in account.list_regions()["Regions"]}
    assert len(found) == 34
    assert (found["ap-east-1"], found["af-south-1"], found["us-east-1"]) == (
        "DISABLED",
        "ENABLED",
        "ENABLED_BY_DEFAULT",
    )
    disabled = account.list_regions(RegionOptStatusContains=["DISABLED"])["Regions"]
    assert [r["RegionName"] for r in disabled] == ["ap-east-1"]
    assert account.get_region_opt_status(RegionName="ap-east-1")["RegionOptStatus"] == "DISABLED"


# --- IPv6 blocks ---------------------------------------------------------------------------------------


def test_ipv6_blocks_are_released_and_assigned_only_in_the_order_aws_accepts(aws: None) -> None:
    ec2 = client("ec2")
    shims.eventual_consistency(uses=0)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/24", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    vpc_block = vpc["Ipv6CidrBlockAssociationSet"][0]
    subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.0.0/26")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as unassigned:  # assigning needs a block
        ec2.modify_subnet_attribute(SubnetId=subnet, AssignIpv6AddressOnCreation={"Value": True})
    assert code_of(unassigned) == "InvalidParameterValue"
    held = ec2.associate_subnet_cidr_block(SubnetId=subnet, Ipv6CidrBlock=vpc_block["Ipv6CidrBlock"][:-3] + "/64")
    ec2.modify_subnet_attribute(SubnetId=subnet, AssignIpv6AddressOnCreation={"Value": True})
    association = held["Ipv6CidrBlockAssociation"]["AssociationId"]
    with pytest.raises(ClientError) as assigning:  # still assigning from it
        ec2.disassociate_subnet_cidr_block(AssociationId=association)
    assert code_of(assigning) == "InvalidCidrBlock.InUse"
    with pytest.raises(ClientError) as in_use:  # a subnet still holds a /64 of it
        ec2.disassociate_vpc_cidr_block(AssociationId=vpc_block["AssociationId"])
    assert code_of(in_use) == "InvalidCidrBlock.InUse"
    ec2.modify_subnet_attribute(SubnetId=subnet, AssignIpv6AddressOnCreation={"Value": False})
    ec2.disassociate_subnet_cidr_block(AssociationId=association)
    ec2.disassociate_vpc_cidr_block(AssociationId=vpc_block["AssociationId"])
