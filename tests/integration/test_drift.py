"""Drift made by hand behind the tool's back (SPEC §4 "Verification, not trust"), through the real paths.

Each case: a region provisioned by a run of the real ASL; the operator changes one managed resource
with their own (unenforced) boto3 client, as they could in the console; `p2pctl plan`'s preview
(`preview_plan`, what the command calls) names the drift in operator words; the next run repairs it
through the real ASL and handlers; the run after that is a no-op (3 transitions, 0 mutating calls) and the
region holds one of every resource again. Each case starts from the account with the region provisioned by a run,
saved once per config for the module (`provisioned`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from p2p_core import ZONES_TAG
from p2p_core.models.events import PlanResult
from p2p_core.workflow.plan_step import preview_plan
from p2p_emulator.world import Provisioned, WorkflowWorld, restored_world
from tests.integration.reconciler_fixtures import ONE_FLEET
from tests.integration.reliability_world import counts, managed_resources
from tests.integration.test_workflow import NOOP_STATES, mutations_outside_own_table

REGION = "eu-central-1"
FLEET = {"regions": [REGION], "desired_capacity": 1, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}
STOPPED = {**FLEET, "desired_capacity": 0}  # AWS refuses some edits while instances use the resource


class Operator:
    """The operator's own clients (not the handlers': IAM is not enforced on them) on the managed region."""

    def __init__(self, world: WorkflowWorld) -> None:
        self.world = world
        self.ec2 = world.clients.client("ec2", REGION)
        self.autoscaling = world.clients.client("autoscaling", REGION)
        self.logs = world.clients.client("logs", REGION)

    def managed(self) -> list[dict[str, Any]]:
        stack = self.world.stack.stack_name
        return [{"Name": "tag:p2p:stack", "Values": [stack]}, {"Name": "tag:p2p:managed", "Values": ["true"]}]

    def group(self) -> dict[str, Any]:
        group = self.world.asg(REGION)
        assert group is not None
        return group

    def security_group(self) -> dict[str, Any]:
        groups: list[dict[str, Any]] = self.ec2.describe_security_groups(Filters=self.managed())["SecurityGroups"]
        return groups[0]

    def route_table(self) -> dict[str, Any]:
        tables: list[dict[str, Any]] = self.ec2.describe_route_tables(Filters=self.managed())["RouteTables"]
        return tables[0]

    def gateway(self) -> str:
        return str(
            self.ec2.describe_internet_gateways(Filters=self.managed())["InternetGateways"][0]["InternetGatewayId"]
        )

    def subnet_without_instances(self) -> dict[str, Any]:
        used = {i["SubnetId"] for r in self.ec2.describe_instances()["Reservations"] for i in r["Instances"]}
        subnets = self.ec2.describe_subnets(Filters=self.managed())["Subnets"]
        return next(s for s in sorted(subnets, key=lambda s: s["AvailabilityZone"]) if s["SubnetId"] not in used)


# --- the hand-made changes --------------------------------------------------------------------------


def delete_a_subnet(op: Operator) -> str:
    subnet = op.subnet_without_instances()
    association = next(a for a in op.route_table()["Associations"] if a.get("SubnetId") == subnet["SubnetId"])
    op.ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])  # AWS does it with the delete
    op.ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    return f"subnet {subnet['SubnetId']} in {subnet['AvailabilityZone']} is gone"


def stop_public_ips(op: Operator) -> str:
    subnet = op.subnet_without_instances()
    op.ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": False})
    return f"subnet {subnet['SubnetId']} in {subnet['AvailabilityZone']}: does not assign public IPs"


def open_ssh_to_the_world(op: Operator) -> str:
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    op.ec2.authorize_security_group_ingress(GroupId=op.security_group()["GroupId"], IpPermissions=[ssh])
    return "security group: extra ingress 22/tcp from 0.0.0.0/0"


def revoke_a_rule(op: Operator) -> str:
    udp = {"IpProtocol": "udp", "FromPort": 1024, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    op.ec2.revoke_security_group_ingress(GroupId=op.security_group()["GroupId"], IpPermissions=[udp])
    return "security group: missing ingress 1024-65535/udp from 0.0.0.0/0"


def revoke_an_ipv6_rule(op: Operator) -> str:
    tcp = {"IpProtocol": "tcp", "FromPort": 1024, "ToPort": 65535, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    op.ec2.revoke_security_group_ingress(GroupId=op.security_group()["GroupId"], IpPermissions=[tcp])
    return "security group: missing ingress 1024-65535/tcp from ::/0"


def revoke_the_member_rule(op: Operator) -> str:
    group = op.security_group()["GroupId"]
    members = {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}
    op.ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[members])
    return "security group: missing ingress all traffic from the group itself"


def stop_ipv6_addresses(op: Operator) -> str:
    subnet = op.subnet_without_instances()
    op.ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], AssignIpv6AddressOnCreation={"Value": False})
    return f"subnet {subnet['SubnetId']} in {subnet['AvailabilityZone']}: does not assign IPv6 addresses"


def release_a_subnets_ipv6_block(op: Operator) -> str:
    subnet = op.subnet_without_instances()
    association = subnet["Ipv6CidrBlockAssociationSet"][0]["AssociationId"]
    # AWS releases no block a subnet still assigns from
    op.ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], AssignIpv6AddressOnCreation={"Value": False})
    op.ec2.disassociate_subnet_cidr_block(AssociationId=association)
    return f"subnet {subnet['SubnetId']} in {subnet['AvailabilityZone']}: no IPv6 block"


def delete_the_ipv6_default_route(op: Operator) -> str:
    op.ec2.delete_route(RouteTableId=op.route_table()["RouteTableId"], DestinationIpv6CidrBlock="::/0")
    return "route table: no IPv6 default route (::/0) to the internet gateway"


def revoke_egress(op: Operator) -> str:
    everything = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    op.ec2.revoke_security_group_egress(GroupId=op.security_group()["GroupId"], IpPermissions=[everything])
    return "security group: missing egress all traffic to 0.0.0.0/0"


def delete_the_security_group(op: Operator) -> str:
    op.ec2.delete_security_group(GroupId=op.security_group()["GroupId"])
    return "security group: gone"


def delete_the_default_route(op: Operator) -> str:
    op.ec2.delete_route(RouteTableId=op.route_table()["RouteTableId"], DestinationCidrBlock="0.0.0.0/0")
    return "route table: no default route to the internet gateway"


def add_a_route(op: Operator) -> str:
    op.ec2.create_route(
        RouteTableId=op.route_table()["RouteTableId"], DestinationCidrBlock="10.0.0.0/8", GatewayId=op.gateway()
    )
    return f"route table: extra route 10.0.0.0/8 to {op.gateway()}"


def delete_an_association(op: Operator) -> str:
    association = next(a for a in op.route_table()["Associations"] if a.get("SubnetId"))
    op.ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    subnet = op.ec2.describe_subnets(SubnetIds=[association["SubnetId"]])["Subnets"][0]
    return f"route table: subnet {subnet['SubnetId']} ({subnet['AvailabilityZone']}) is not associated"


def detach_the_gateway(op: Operator) -> str:
    gateway, vpc = op.gateway(), op.route_table()["VpcId"]
    op.ec2.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    return f"internet gateway {gateway}: not attached to the VPC (the default route is a blackhole)"


def change_log_retention(op: Operator) -> str:
    op.logs.put_retention_policy(logGroupName=f"/p2p/{op.world.stack.stack_name}/agents", retentionInDays=30)
    return "log group retention 30 days, want 7"


def change_the_group_max(op: Operator) -> str:
    op.autoscaling.update_auto_scaling_group(AutoScalingGroupName=op.group()["AutoScalingGroupName"], MaxSize=10)
    return "Auto Scaling group: max 10, want 30"


def move_the_group_off_a_subnet(op: Operator) -> str:
    group = op.group()
    subnets = sorted(group["VPCZoneIdentifier"].split(","))
    op.autoscaling.update_auto_scaling_group(
        AutoScalingGroupName=group["AutoScalingGroupName"], VPCZoneIdentifier=",".join(subnets[1:])
    )
    zone = op.ec2.describe_subnets(SubnetIds=[subnets[0]])["Subnets"][0]["AvailabilityZone"]
    return f"Auto Scaling group: does not span {subnets[0]} ({zone})"


def delete_a_group_tag(op: Operator) -> str:
    name = op.group()["AutoScalingGroupName"]
    tag = {"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": ZONES_TAG}
    op.autoscaling.delete_tags(Tags=[tag])
    return f"Auto Scaling group: tag {ZONES_TAG} missing"


def make_a_default_template_version(op: Operator) -> str:
    template = op.group()["LaunchTemplate"]["LaunchTemplateId"]
    made = op.ec2.create_launch_template_version(
        LaunchTemplateId=template, SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.large"}
    )["LaunchTemplateVersion"]
    op.ec2.modify_launch_template(LaunchTemplateId=template, DefaultVersion=str(made["VersionNumber"]))
    return f"launch template default version {made['VersionNumber']}: InstanceType 't3.large', want 't3.micro'"


def delete_a_scheduled_action(op: Operator) -> str:
    name = op.group()["AutoScalingGroupName"]
    op.autoscaling.delete_scheduled_action(AutoScalingGroupName=name, ScheduledActionName="p2p-stop")
    return "schedule p2p-stop at"


def suspend_launches(op: Operator) -> str:
    name = op.group()["AutoScalingGroupName"]
    op.autoscaling.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=["Terminate", "Launch"])
    return "Auto Scaling group: processes suspended by hand: Launch, Terminate"


@dataclass(frozen=True)
class Drift:
    """A change made by hand, the config the fleet runs with, and what the repairing run did (its words)."""

    make: Callable[[Operator], str]
    repaired: str
    config: dict[str, Any]


STOP_IN_A_DAY = {**FLEET, "run_duration": "1 day", "start_time": "now"}
DRIFTS = {
    "a subnet deleted": Drift(delete_a_subnet, "created subnet", FLEET),
    "a subnet's public IPs switched off": Drift(stop_public_ips, "enabled public IPv4 addresses on subnet", FLEET),
    "a subnet's IPv6 addresses switched off": Drift(stop_ipv6_addresses, "enabled IPv6 addresses on subnet", FLEET),
    "a subnet's IPv6 block released": Drift(release_a_subnets_ipv6_block, "gave subnet", FLEET),
    "ssh opened to the world": Drift(open_ssh_to_the_world, "closed ingress 22/tcp from 0.0.0.0/0", FLEET),
    "a rule revoked": Drift(revoke_a_rule, "opened ingress 1024-65535/udp from 0.0.0.0/0", FLEET),
    "an IPv6 rule revoked": Drift(revoke_an_ipv6_rule, "opened ingress 1024-65535/tcp from ::/0", FLEET),
    "the member rule revoked": Drift(revoke_the_member_rule, "opened ingress all traffic from the group itself", FLEET),
    "egress revoked": Drift(revoke_egress, "opened egress all traffic to 0.0.0.0/0", FLEET),
    "the security group deleted": Drift(delete_the_security_group, "created security group", STOPPED),
    "the default route deleted": Drift(delete_the_default_route, "added default route", FLEET),
    "the IPv6 default route deleted": Drift(delete_the_ipv6_default_route, "added IPv6 default route", FLEET),
    "a route added": Drift(add_a_route, "removed route 10.0.0.0/8 added by hand", FLEET),
    "an association deleted": Drift(delete_an_association, "associated route table with", FLEET),
    "the gateway detached": Drift(detach_the_gateway, "attached internet gateway", STOPPED),
    "log retention changed": Drift(change_log_retention, "set log retention to 7 days", FLEET),
    "the group's max changed": Drift(change_the_group_max, "set capacity min 0, desired 1, max 30", FLEET),
    "the group moved off a subnet": Drift(move_the_group_off_a_subnet, "Auto Scaling group spans subnets", FLEET),
    "a group tag deleted": Drift(delete_a_group_tag, f"tagged Auto Scaling group: {ZONES_TAG}", FLEET),
    "a default template version made": Drift(
        make_a_default_template_version, "made launch template version 1 the default", FLEET
    ),
    "a scheduled action deleted": Drift(delete_a_scheduled_action, "scheduled p2p-stop at", STOP_IN_A_DAY),
    "launches suspended": Drift(suspend_launches, "resumed processes suspended by hand: Launch, Terminate", FLEET),
}


def preview(world: WorkflowWorld) -> PlanResult:
    """What `p2pctl plan` shows: the Plan function's view, read with the operator's clients, no lease."""
    deployment = world.stack.functions["PlanFunction"].deployment
    return preview_plan(deployment, world.clients, datetime.now(UTC).replace(microsecond=0))


@pytest.mark.parametrize("name", list(DRIFTS))
def test_a_drift_made_by_hand_is_named_by_plan_repaired_by_the_next_run_then_nothing_to_do(
    provisioned: Provisioned, name: str
) -> None:
    drift = DRIFTS[name]
    with restored_world(provisioned(drift.config)) as world:
        assert preview(world).nothing_to_do
        baseline = counts(managed_resources(world, REGION))

        named = drift.make(Operator(world))

        planned = preview(world)
        assert not planned.nothing_to_do
        [region] = planned.regions
        assert any(reason.startswith(named) for reason in region.reasons), region.reasons
        repair = world.run("repair")
        assert repair.status == "SUCCEEDED", repair.cause
        [result] = world.status().last_run.regions  # type: ignore[union-attr]
        assert result.status == "ok" and any(drift.repaired in action for action in result.actions), result.actions
        again = world.run("after")
        assert again.states_entered == NOOP_STATES, again.states_entered
        assert mutations_outside_own_table(world) == []
        assert counts(managed_resources(world, REGION)) == baseline == ONE_FLEET  # one of everything, as provisioned


def test_a_repair_changes_only_what_drifted(provisioned: Provisioned) -> None:
    with restored_world(provisioned(FLEET)) as world:
        open_ssh_to_the_world(Operator(world))
        assert world.run("repair").status == "SUCCEEDED"
        assert mutations_outside_own_table(world) == [(REGION, "RevokeSecurityGroupIngress")]


def test_a_new_log_retention_makes_no_new_template_version(provisioned: Provisioned) -> None:
    """The retention is a setting of the region, not of the instances: no version, nothing to roll."""
    with restored_world(provisioned(FLEET)) as world:
        world.put_config(**{**FLEET, "logs": {"retention_days": 30}})
        assert world.run("retention").status == "SUCCEEDED"
        made = sorted(op for _, op in mutations_outside_own_table(world))
        assert made == ["CreateOrUpdateTags", "PutRetentionPolicy"]
        assert world.asg(REGION)["LaunchTemplate"]["Version"] == "1"  # type: ignore[index]
