"""Reachable agents (SPEC §3 `network`, §4): open_ports open to the internet over IPv4 and IPv6, dual stack by
default, added to and removed from existing regions in place, IPv6-only agents with `public_ipv4: false`.

Each case runs the real ASL and handlers against the emulator (IAM enforced per role, so the dual-stack
calls prove the ReconcileRegion role allows them); the world is read back with the operator's own clients.
"""

from __future__ import annotations

from typing import Any

from p2p_core.resources.vpc import ipv6_association
from p2p_emulator.world import WorkflowWorld
from tests.integration.reconciler_fixtures import security_rules
from tests.integration.test_drift import FLEET, REGION, Operator, preview
from tests.integration.test_workflow import NOOP_STATES, mutations_outside_own_table

INTERNET_RULES = {(p, 1024, 65535, peer) for p in ("tcp", "udp") for peer in ("0.0.0.0/0", "::/0")}


def network_of(op: Operator) -> dict[str, Any]:
    """The managed VPC, subnets, route table and security group as AWS describes them."""
    ec2 = op.ec2
    return {
        "vpc": ec2.describe_vpcs(Filters=op.managed())["Vpcs"][0],
        "subnets": ec2.describe_subnets(Filters=op.managed())["Subnets"],
        "routes": op.route_table()["Routes"],
        "group": op.security_group(),
    }


def ipv6_routes(routes: list[dict[str, Any]]) -> dict[str, str]:
    return {r["DestinationIpv6CidrBlock"]: r["GatewayId"] for r in routes if "DestinationIpv6CidrBlock" in r}


def assert_dual_stack(op: Operator) -> None:
    found = network_of(op)
    vpc_block = ipv6_association(found["vpc"])
    assert vpc_block is not None and vpc_block["Ipv6CidrBlock"].endswith("/56")
    blocks = [ipv6_association(s) for s in found["subnets"]]
    assert all(b is not None and b["Ipv6CidrBlock"].endswith("/64") for b in blocks), blocks
    assert len({b["Ipv6CidrBlock"] for b in blocks if b}) == 3  # one /64 each
    assert all(s["AssignIpv6AddressOnCreation"] for s in found["subnets"])
    assert ipv6_routes(found["routes"]) == {vpc_block["Ipv6CidrBlock"]: "local", "::/0": op.gateway()}
    group = found["group"]
    assert security_rules(group["IpPermissions"]) == {("-1", None, None, group["GroupId"]), *INTERNET_RULES}
    assert security_rules(group["IpPermissionsEgress"]) == {("-1", None, None, "0.0.0.0/0"), ("-1", None, None, "::/0")}


def assert_no_op(world: WorkflowWorld) -> None:
    again = world.run("after")
    assert again.states_entered == NOOP_STATES, again.states_entered
    assert mutations_outside_own_table(world) == []


def test_a_fresh_region_is_built_dual_stack_with_the_ports_open_to_the_internet(world: WorkflowWorld) -> None:
    world.put_config(**FLEET)
    assert world.run("provision").status == "SUCCEEDED"
    assert_dual_stack(Operator(world))
    assert_no_op(world)


def old_member_only_group(op: Operator) -> None:
    """The security group as the control plane left it before open_ports meant "to the internet"."""
    group = op.security_group()
    op.ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    members = [
        {"IpProtocol": p, "FromPort": 1024, "ToPort": 65535, "UserIdGroupPairs": [{"GroupId": group["GroupId"]}]}
        for p in ("tcp", "udp")
    ]
    op.ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=members)


def test_an_old_ipv4_region_with_member_only_rules_and_an_old_item_is_repaired_in_place(
    world: WorkflowWorld,
) -> None:
    world.put_config(**{**FLEET, "network": {"ipv6": False}})
    assert world.run("provision").status == "SUCCEEDED"
    op = Operator(world)
    vpc_before = world.managed_vpcs(REGION)
    assert ipv6_association(network_of(op)["vpc"]) is None
    old_member_only_group(op)
    # the item as the earlier control plane stored it: one range, opened for TCP and UDP alike; no ipv6 field
    world.put_raw_config({**FLEET, "network": {"open_ports": ["1024-65535"]}})

    [planned] = preview(world).regions
    group_id = op.security_group()["GroupId"]
    for reason in (
        "VPC: no IPv6 block (network.ipv6)",
        "security group: missing ingress 1024-65535/tcp from 0.0.0.0/0",
        "security group: missing ingress 1024-65535/udp from ::/0",
        "security group: missing ingress all traffic from the group itself",
        "security group: extra ingress 1024-65535/udp from the group itself",
        "route table: no IPv6 default route (::/0) to the internet gateway",
    ):
        assert reason in planned.reasons, planned.reasons

    repair = world.run("repair")
    assert repair.status == "SUCCEEDED", repair.cause
    [result] = world.status().last_run.regions  # type: ignore[union-attr]
    assert any(a.startswith("asked for an IPv6 block for VPC") for a in result.actions), result.actions
    assert any(a.startswith("closed ingress 1024-65535/tcp from the group itself") for a in result.actions)
    operations = [op_name for _, op_name in mutations_outside_own_table(world)]
    assert operations.count("AssociateSubnetCidrBlock") == 3 and "AssociateVpcCidrBlock" in operations
    assert "CreateVpc" not in operations and "CreateSubnet" not in operations  # in place
    assert world.managed_vpcs(REGION) == vpc_before
    assert group_id == op.security_group()["GroupId"]
    assert_dual_stack(op)
    assert_no_op(world)


def test_ipv6_off_removes_dual_stack_in_place(world: WorkflowWorld) -> None:
    world.put_config(**FLEET)
    assert world.run("provision").status == "SUCCEEDED"
    op = Operator(world)
    vpc_before = world.managed_vpcs(REGION)

    world.put_config(**{**FLEET, "network": {"ipv6": False}})
    off = world.run("off")
    assert off.status == "SUCCEEDED", off.cause
    found = network_of(op)
    assert world.managed_vpcs(REGION) == vpc_before
    assert ipv6_association(found["vpc"]) is None
    assert all(ipv6_association(s) is None and not s["AssignIpv6AddressOnCreation"] for s in found["subnets"])
    assert ipv6_routes(found["routes"]) == {}
    group = found["group"]
    assert security_rules(group["IpPermissions"]) == {
        ("-1", None, None, group["GroupId"]),
        ("tcp", 1024, 65535, "0.0.0.0/0"),
        ("udp", 1024, 65535, "0.0.0.0/0"),
    }
    assert security_rules(group["IpPermissionsEgress"]) == {("-1", None, None, "0.0.0.0/0")}
    assert_no_op(world)


def test_decommission_deletes_a_dual_stack_region(world: WorkflowWorld) -> None:
    world.put_config(**FLEET)
    assert world.run("provision").status == "SUCCEEDED"
    assert_dual_stack(Operator(world))
    world.put_config(**{**FLEET, "regions": ["us-east-1"], "desired_capacity": 0})
    gone = world.run("decommission")
    assert gone.status == "SUCCEEDED", gone.cause
    assert world.managed_vpcs(REGION) == []
    assert world.clients.client("ec2", REGION).describe_subnets(Filters=Operator(world).managed())["Subnets"] == []


def test_public_ipv4_off_launches_ipv6_only_agents(world: WorkflowWorld) -> None:
    world.put_config(**{**FLEET, "network": {"public_ipv4": False}})
    run = world.run("provision")
    assert run.status == "SUCCEEDED", run.cause
    op = Operator(world)
    found = network_of(op)
    assert not any(s["MapPublicIpOnLaunch"] for s in found["subnets"])
    assert all(s["AssignIpv6AddressOnCreation"] for s in found["subnets"])
    template = op.group()["LaunchTemplate"]["LaunchTemplateId"]
    data = op.ec2.describe_launch_template_versions(LaunchTemplateId=template, Versions=["$Default"])[
        "LaunchTemplateVersions"
    ][0]["LaunchTemplateData"]
    assert "SecurityGroupIds" not in data
    [interface] = data["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is False and interface["Ipv6AddressCount"] == 1
    assert interface["Groups"] == [found["group"]["GroupId"]]
    assert_no_op(world)
