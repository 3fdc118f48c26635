"""Managed network resources whose p2p tags were removed by hand are found again and tagged again.

Injected: the p2p:* tags of the region's VPC, gateway and subnets deleted (the Name tags stay), as a
person tidying tags in the console would. Checked through the real workflow: the next run tags them
again and builds nothing beside them (one VPC, no failed AttachInternetGateway); without the IAM
statement that allows it the region fails naming ec2:CreateTags; a VPC with the agents' Name but
another CIDR block is never taken.
"""

from __future__ import annotations

from p2p_core import MANAGED_TAG, REGION_TAG, STACK_TAG
from p2p_emulator.iam import ENFORCER
from p2p_emulator.world import HOME, WorkflowWorld
from tests.integration.test_iam_enforcement import UNTAGGED_STATEMENTS, fresh_region_with_a_future_start, region_error

P2P_TAGS = [{"Key": key} for key in (STACK_TAG, REGION_TAG, MANAGED_TAG)]


def untag_the_network(world: WorkflowWorld) -> tuple[str, list[str]]:
    """The region's VPC, gateway and subnets without their p2p tags; returns the VPC and every id untagged."""
    (vpc,) = world.managed_vpcs(HOME)
    ec2 = world.clients.client("ec2", HOME)
    gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    ids = [vpc, *(g["InternetGatewayId"] for g in gateways["InternetGateways"]), *(s["SubnetId"] for s in subnets)]
    ec2.delete_tags(Resources=ids, Tags=P2P_TAGS)
    assert world.managed_vpcs(HOME) == []
    return vpc, ids


def named_vpcs(world: WorkflowWorld) -> list[str]:
    ec2 = world.clients.client("ec2", HOME)
    named = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{world.stack.stack_name}-agents"]}])
    return [v["VpcId"] for v in named["Vpcs"]]


def test_resources_that_lost_their_p2p_tags_are_tagged_again_and_nothing_is_built_twice(world: WorkflowWorld) -> None:
    fresh_region_with_a_future_start(world)
    assert world.run("provision").status == "SUCCEEDED"
    vpc, ids = untag_the_network(world)
    run = world.run("readopt")
    assert run.status == "SUCCEEDED", run.cause
    assert world.managed_vpcs(HOME) == [vpc] and named_vpcs(world) == [vpc]
    tags = world.clients.client("ec2", HOME).describe_tags(Filters=[{"Name": "resource-id", "Values": ids}])["Tags"]
    assert {t["ResourceId"] for t in tags if t["Key"] == STACK_TAG} == set(ids)
    last = world.status().last_run
    assert last is not None
    (result,) = last.regions
    assert f"tagged VPC {vpc} again (its p2p tags were removed by hand)" in result.actions


def test_without_its_statement_tagging_again_fails_the_region_naming_create_tags(world: WorkflowWorld) -> None:
    ((statement, (operation, action)),) = UNTAGGED_STATEMENTS.items()
    fresh_region_with_a_future_start(world)
    assert world.run("provision").status == "SUCCEEDED"
    untag_the_network(world)
    ENFORCER.revoke(statement)
    assert world.run("denied").status == "FAILED"
    code, message = region_error(world)
    assert code == "UnauthorizedOperation", message
    assert f"permission denied for {operation}:" in message and f"not authorized to perform: {action} " in message
    assert len(named_vpcs(world)) == 1  # nothing built beside it


def test_a_vpc_with_the_agents_name_but_another_cidr_block_is_never_taken(world: WorkflowWorld) -> None:
    ec2 = world.clients.client("ec2", HOME)
    name = [{"Key": "Name", "Value": f"{world.stack.stack_name}-agents"}]
    other = ec2.create_vpc(CidrBlock="10.99.0.0/24", TagSpecifications=[{"ResourceType": "vpc", "Tags": name}])
    fresh_region_with_a_future_start(world)
    assert world.run("provision").status == "SUCCEEDED"
    (ours,) = world.managed_vpcs(HOME)
    assert ours != other["Vpc"]["VpcId"]
