"""VPC, internet gateway, public subnets, route table and security group: adopted by tag or created."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Any

from p2p_core.config import ConfigItem, NetworkSettings
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.errors import ReconcileError
from p2p_core.reconciler.observe import Found

ANYWHERE = "0.0.0.0/0"
Rule = tuple[str, int, int, str]  # protocol, from port, to port, source (sg-... or a CIDR)


@dataclass(frozen=True)
class Network:
    """What the launch template and the ASG need from the network."""

    vpc_id: str
    subnet_ids: list[str]
    security_group_id: str


def ensure_network(ctx: RegionContext, found: Found, config: ConfigItem) -> Network:
    """Every network resource of the region, each found by tag before it is created."""
    vpc = _vpc(ctx, found, config.network.cidr_block)
    vpc_id = vpc["VpcId"]
    igw_id = _internet_gateway(ctx, found, vpc_id)
    subnet_ids = _subnets(ctx, found, vpc, config)
    _route_table(ctx, found, vpc_id, igw_id, subnet_ids)
    sg_id = _security_group(ctx, found, vpc_id, config.network)
    return Network(vpc_id=vpc_id, subnet_ids=subnet_ids, security_group_id=sg_id)


def _vpc(ctx: RegionContext, found: Found, cidr: str) -> dict[str, Any]:
    # an adopted VPC keeps its CIDR (AWS cannot change it in place); subnets are carved from what it has
    if found.vpcs:
        return found.vpcs[0]
    vpc: dict[str, Any] = ctx.ec2.create_vpc(CidrBlock=cidr, TagSpecifications=ctx.tag_spec("vpc"))["Vpc"]
    ctx.did(f"created VPC {vpc['VpcId']} ({cidr})")
    return vpc


def _internet_gateway(ctx: RegionContext, found: Found, vpc_id: str) -> str:
    attached = [g for g in found.igws if any(a.get("VpcId") == vpc_id for a in g.get("Attachments", []))]
    if attached:
        return str(attached[0]["InternetGatewayId"])
    if found.igws:
        igw_id = str(found.igws[0]["InternetGatewayId"])
    else:
        igw_id = ctx.ec2.create_internet_gateway(TagSpecifications=ctx.tag_spec("internet-gateway"))["InternetGateway"][
            "InternetGatewayId"
        ]
        ctx.did(f"created internet gateway {igw_id}")
    ctx.ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ctx.did(f"attached internet gateway {igw_id}")
    return igw_id


def offered_zones(ctx: RegionContext, instance_type: str) -> list[str]:
    """Availability zones of the region that offer the instance type, sorted."""
    return zones_offering(ctx.ec2, instance_type)


def zones_offering(ec2: Any, instance_type: str) -> list[str]:
    """Availability zones of the client's region that offer the instance type, sorted.

    Offerings by "availability-zone" include Local and Wavelength Zones the account opted into;
    a fleet never goes there (other prices, fewer services), so only zones of type
    `availability-zone` count.
    """
    pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": [instance_type]}]
    )
    offered = {o["Location"] for page in pages for o in page["InstanceTypeOfferings"]}
    return sorted(offered & standard_zones(ec2))


def standard_zones(ec2: Any) -> set[str]:
    """The client's region's zones of type `availability-zone` (no Local or Wavelength Zones)."""
    found = ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])
    return {z["ZoneName"] for z in found["AvailabilityZones"] if z.get("ZoneType") == "availability-zone"}


def _subnets(ctx: RegionContext, found: Found, vpc: dict[str, Any], config: ConfigItem) -> list[str]:
    zones = offered_zones(ctx, config.instance.type)
    if not zones:
        raise ReconcileError("InstanceTypeNotOffered", f"{config.instance.type} is not offered in any zone")
    wanted = config.network.az_number
    mine = [s for s in found.subnets if s["VpcId"] == vpc["VpcId"]]
    kept = [s for s in mine if s["AvailabilityZone"] in zones][:wanted]
    used_zones = {s["AvailabilityZone"] for s in kept}
    missing = [z for z in zones if z not in used_zones][: wanted - len(kept)]
    free = _free_blocks(vpc["CidrBlock"], wanted, {s["CidrBlock"] for s in mine})
    for zone, block in zip(missing, free, strict=False):
        created = ctx.ec2.create_subnet(
            VpcId=vpc["VpcId"],
            CidrBlock=block,
            AvailabilityZone=zone,
            TagSpecifications=ctx.tag_spec("subnet", f"{ctx.name}-{zone}"),
        )["Subnet"]
        ctx.did(f"created subnet {created['SubnetId']} in {zone} ({block})")
        kept.append(created)
    for subnet in kept:
        if not subnet.get("MapPublicIpOnLaunch"):
            # public subnets: agents reach the internet through the IGW without NAT
            ctx.ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
            ctx.did(f"enabled public IPs on subnet {subnet['SubnetId']}")
    return sorted(s["SubnetId"] for s in kept)


def _free_blocks(vpc_cidr: str, zones: int, used: set[str]) -> list[str]:
    net = ipaddress.IPv4Network(vpc_cidr)
    # at least one split so a later larger az_number still finds room; AWS subnets stop at /28
    prefix = min(28, net.prefixlen + max(1, math.ceil(math.log2(max(zones, 1)))))
    taken = [ipaddress.IPv4Network(c) for c in used]
    return [str(b) for b in net.subnets(new_prefix=prefix) if not any(b.overlaps(t) for t in taken)]


def _route_table(ctx: RegionContext, found: Found, vpc_id: str, igw_id: str, subnet_ids: list[str]) -> None:
    tables = [t for t in found.route_tables if t["VpcId"] == vpc_id]
    if tables:
        table = tables[0]
    else:
        table = ctx.ec2.create_route_table(
            VpcId=vpc_id,
            ClientToken=ctx.token("route-table", vpc_id, igw_id),
            TagSpecifications=ctx.tag_spec("route-table"),
        )["RouteTable"]
        ctx.did(f"created route table {table['RouteTableId']}")
    table_id = table["RouteTableId"]
    default = [r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == ANYWHERE]
    if not default:
        ctx.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, GatewayId=igw_id)
        ctx.did(f"added default route to {igw_id}")
    elif default[0].get("GatewayId") != igw_id:
        ctx.ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, GatewayId=igw_id)
        ctx.did(f"pointed default route at {igw_id}")
    associated = {a.get("SubnetId") for a in table.get("Associations", [])}
    for subnet_id in subnet_ids:
        if subnet_id not in associated:
            ctx.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
            ctx.did(f"associated route table with {subnet_id}")


def _security_group(ctx: RegionContext, found: Found, vpc_id: str, network: NetworkSettings) -> str:
    groups = [g for g in found.security_groups if g["VpcId"] == vpc_id]
    if groups:
        group_id, existing = str(groups[0]["GroupId"]), _rules(groups[0].get("IpPermissions", []))
    else:
        group_id = ctx.ec2.create_security_group(
            GroupName=ctx.security_group_name,
            Description=f"p2p agents of {ctx.stack}",
            VpcId=vpc_id,
            TagSpecifications=ctx.tag_spec("security-group"),
        )["GroupId"]
        existing = set()
        ctx.did(f"created security group {group_id}")
    wanted = wanted_rules(group_id, network)
    if missing := wanted - existing:
        ctx.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=_permissions(missing))
        ctx.did(f"opened {len(missing)} ingress rule(s)")
    if extra := existing - wanted:
        ctx.ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=_permissions(extra))
        ctx.did(f"closed {len(extra)} ingress rule(s)")
    return group_id


def wanted_rules(group_id: str, network: NetworkSettings) -> set[Rule]:
    """open_ports TCP+UDP between members of the group; SSH only from allow_ssh."""
    rules = {(proto, low, high, group_id) for low, high in network.port_ranges() for proto in ("tcp", "udp")}
    return rules | {("tcp", 22, 22, cidr) for cidr in network.allow_ssh}


def _rules(permissions: list[dict[str, Any]]) -> set[Rule]:
    rules: set[Rule] = set()
    for perm in permissions:
        key = (perm["IpProtocol"], perm.get("FromPort", -1), perm.get("ToPort", -1))
        sources = [p["GroupId"] for p in perm.get("UserIdGroupPairs", [])]
        sources += [r["CidrIp"] for r in perm.get("IpRanges", [])] + [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
        rules |= {(*key, source) for source in sources}
    return rules


def _permissions(rules: set[Rule]) -> list[dict[str, Any]]:
    out = []
    for proto, low, high, source in sorted(rules):
        perm: dict[str, Any] = {"IpProtocol": proto, "FromPort": low, "ToPort": high}
        if source.startswith("sg-"):
            perm["UserIdGroupPairs"] = [{"GroupId": source}]
        elif ":" in source:
            perm["Ipv6Ranges"] = [{"CidrIpv6": source}]
        else:
            perm["IpRanges"] = [{"CidrIp": source}]
        out.append(perm)
    return out
