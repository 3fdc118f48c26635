"""The stack's network resources whose `p2p:*` tags were removed by hand: found again and tagged again.

Without this a rebuild would make a second VPC beside the untagged one and then fail attaching the
gateway, which is still attached to the first. Only what is plausibly the stack's is taken back:
- the VPC: Name tag = the agents' name AND the configured CIDR block, and only when exactly one fits;
- inside the stack's VPC: the internet gateway attached to it, subnets named `<agents name>-<zone>`,
  non-main route tables and the security group carrying the agents' Name (the group also by its
  immutable GroupName). A hand-made resource in the VPC with another name is never taken.
Template.yaml lets the reconciler tag an existing resource only when its Name tag is the agents' name.
"""

from __future__ import annotations

from typing import Any

from p2p_core.reconciler.context import RegionContext, tag_dict
from p2p_core.resources.kind import Found


def readopt(ctx: RegionContext, found: Found, cidr: str) -> Found:
    """`found` with the stack's untagged network resources added back, each tagged again (an action each)."""
    vpcs = found.vpcs or _untagged_vpc(ctx, cidr)
    if not vpcs:
        return found
    vpc_id, ec2 = vpcs[0]["VpcId"], ctx.ec2
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    known = {*(g["InternetGatewayId"] for g in found.igws), *(s["SubnetId"] for s in found.subnets)}
    known |= {*(t["RouteTableId"] for t in found.route_tables), *(g["GroupId"] for g in found.security_groups)}
    attached = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    igws = [g for g in attached["InternetGateways"] if g["InternetGatewayId"] not in known]
    subnets = [
        s
        for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]
        if s["SubnetId"] not in known and _name(s) == f"{ctx.name}-{s['AvailabilityZone']}"
    ]
    tables = [
        t
        for t in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
        if t["RouteTableId"] not in known
        and _name(t) == ctx.name
        and not any(a.get("Main") for a in t.get("Associations", []))
    ]
    groups = [
        g
        for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
        if g["GroupId"] not in known and g.get("GroupName") == ctx.security_group_name and _name(g) == ctx.name
    ]
    for kind, items, key in (
        ("VPC", vpcs if not found.vpcs else [], "VpcId"),
        ("internet gateway", igws, "InternetGatewayId"),
        ("subnet", subnets, "SubnetId"),
        ("route table", tables, "RouteTableId"),
        ("security group", groups, "GroupId"),
    ):
        for item in items:
            ec2.create_tags(Resources=[item[key]], Tags=ctx.tags(_name(item)))
            ctx.did(f"tagged {kind} {item[key]} again (its p2p tags were removed by hand)")
    taken_back = {"igws": igws, "subnets": subnets, "route_tables": tables, "security_groups": groups}
    return Found({**{key: found.of(key) + taken_back.get(key, []) for key in found.items}, "vpcs": vpcs})


def _untagged_vpc(ctx: RegionContext, cidr: str) -> list[dict[str, Any]]:
    named = [
        {"Name": "tag:Name", "Values": [ctx.name]},
        {"Name": "cidr-block-association.cidr-block", "Values": [cidr]},
    ]
    found = [v for v in ctx.ec2.describe_vpcs(Filters=named)["Vpcs"] if v.get("CidrBlock") == cidr]
    return found if len(found) == 1 else []  # two candidates: neither is plausibly ours


def _name(resource: dict[str, Any]) -> str:
    return tag_dict(resource.get("Tags")).get("Name", "")
