"""VPC, internet gateway, public subnets, route table and security group: adopted by tag or created.

Each is compared with what `p2p_core.wanted` says and changed only where it differs: a gateway
detached by hand is attached again, a route or rule added by hand is removed, a missing one added,
a deleted subnet recreated in its zone, a subnet the fleet no longer uses deleted once it is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.config import ConfigItem
from p2p_core.config.network import NetworkSettings
from p2p_core.models.observed import ObservedNetwork, ObservedVpc, SecurityRule
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.described import ipv6_association, route_table_of, security_group_of, subnet_of
from p2p_core.reconciler.errors import ReconcileError, error_code, is_gone
from p2p_core.reconciler.ipv6 import (
    ensure_ipv6_route,
    ensure_subnet_ipv6,
    ensure_vpc_block,
    new_subnet_block,
    release_vpc_block,
)
from p2p_core.reconciler.observe import Found
from p2p_core.verify import BLACKHOLE, NO_ROOM_FOR_SUBNETS, cidr_refusal, fleet_subnets, rule_changes, sorted_rules
from p2p_core.wanted import (
    ANYWHERE,
    choose_zones,
    created_group_egress,
    free_blocks,
    internet,
    wanted_egress,
    wanted_ingress,
)


@dataclass(frozen=True)
class Network:
    """What the launch template and the ASG need from the network, and the subnets to delete after."""

    vpc_id: str
    subnet_ids: list[str]
    security_group_id: str
    zones: list[str] = field(default_factory=list)
    surplus_subnet_ids: list[str] = field(default_factory=list)


def ensure_network(ctx: RegionContext, found: Found, config: ConfigItem) -> Network:
    """Every network resource of the region, each found by tag before it is created."""
    vpc = _vpc(ctx, found, config.network)
    vpc_id = vpc["VpcId"]
    vpc_block = ensure_vpc_block(ctx, vpc) if config.network.ipv6 else None
    igw_id = _internet_gateway(ctx, found, vpc_id)
    subnets, surplus = _subnets(ctx, found, vpc, config, vpc_block)
    subnet_ids = sorted(subnets.values())
    _route_table(ctx, found, vpc_id, igw_id, subnet_ids, config.network)
    sg_id = _security_group(ctx, found, vpc, config.network)
    if not config.network.ipv6:  # after the subnets released their blocks
        release_vpc_block(ctx, vpc)
    return Network(
        vpc_id=vpc_id, subnet_ids=subnet_ids, security_group_id=sg_id, zones=sorted(subnets), surplus_subnet_ids=surplus
    )


def _vpc(ctx: RegionContext, found: Found, network: NetworkSettings) -> dict[str, Any]:
    cidr = network.cidr_block
    if found.vpcs:
        vpc = found.vpcs[0]
        # Plan refuses this region; a plan made before the edit must not build on the old block either
        refused = cidr_refusal(network, ObservedVpc(vpc_id=vpc["VpcId"], cidr_block=vpc["CidrBlock"]), ctx.region)
        if refused is not None:
            raise ReconcileError(refused.code, refused.message)
        return vpc
    created: dict[str, Any] = ctx.ec2.create_vpc(
        CidrBlock=cidr, AmazonProvidedIpv6CidrBlock=network.ipv6, TagSpecifications=ctx.tag_spec("vpc")
    )["Vpc"]
    ctx.did(f"created VPC {created['VpcId']} ({cidr}{', with an IPv6 block' if network.ipv6 else ''})")
    return created


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


def offered_zones(ctx: RegionContext, instance_types: tuple[str, ...]) -> list[str]:
    """Availability zones of the region that offer any of the instance types, sorted."""
    return zones_offering(ctx.ec2, *instance_types)


def zones_offering(ec2: Any, instance_type: str, *more: str) -> list[str]:
    """Availability zones of the client's region that offer the instance type (or any of `more`), sorted.

    Offerings by "availability-zone" include Local and Wavelength Zones the account opted into;
    a fleet never goes there (other prices, fewer services), so only zones of type
    `availability-zone` count.
    """
    pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": [instance_type, *more]}]
    )
    offered = {o["Location"] for page in pages for o in page["InstanceTypeOfferings"]}
    return sorted(offered & standard_zones(ec2))


def standard_zones(ec2: Any) -> set[str]:
    """The client's region's zones of type `availability-zone` (no Local or Wavelength Zones)."""
    found = ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])
    return {z["ZoneName"] for z in found["AvailabilityZones"] if z.get("ZoneType") == "availability-zone"}


def _subnets(
    ctx: RegionContext, found: Found, vpc: dict[str, Any], config: ConfigItem, vpc_block: str | None
) -> tuple[dict[str, str], list[str]]:
    """({zone: subnet id} the fleet uses, ids of managed subnets it no longer uses)."""
    buying = config.instance.buying()  # a group over several types may use a zone offering any of them
    offered = offered_zones(ctx, buying.types if buying else (config.instance.type,))
    if not offered:
        raise ReconcileError("InstanceTypeNotOffered", f"{config.instance.type} is not offered in any zone")
    wanted = config.network.az_number
    raw = {s["SubnetId"]: s for s in found.subnets if s["VpcId"] == vpc["VpcId"]}
    mine = ObservedNetwork(subnets=[subnet_of(s) for s in raw.values()])
    zones = choose_zones(offered, [s.zone for s in mine.subnets], wanted)
    used = {zone: subnet.subnet_id for zone, subnet in fleet_subnets(mine, vpc["VpcId"], zones).items()}
    missing = [z for z in zones if z not in used]
    free = free_blocks(vpc["CidrBlock"], wanted, {s.cidr_block for s in mine.subnets})
    if len(free) < len(missing):
        raise ReconcileError(
            NO_ROOM_FOR_SUBNETS,
            f"network.az_number {wanted}: the VPC's {vpc['CidrBlock']} has room for {len(free)} more subnet(s), "
            f"{len(missing)} needed in {', '.join(missing)}",
        )
    taken: set[str] = set()
    for zone, block in zip(missing, free, strict=False):
        ipv6 = new_subnet_block(vpc_block, list(raw.values()), taken)
        created = ctx.ec2.create_subnet(
            VpcId=vpc["VpcId"],
            CidrBlock=block,
            AvailabilityZone=zone,
            TagSpecifications=ctx.tag_spec("subnet", f"{ctx.name}-{zone}"),
            **({"Ipv6CidrBlock": ipv6} if ipv6 else {}),
        )["Subnet"]
        ctx.did(f"created subnet {created['SubnetId']} in {zone} ({block}{f', {ipv6}' if ipv6 else ''})")
        used[zone] = created["SubnetId"]
        raw[created["SubnetId"]] = created
    public = config.network.public_ipv4
    for subnet_id in sorted(used.values()):
        subnet = raw[subnet_id]
        if bool(subnet.get("MapPublicIpOnLaunch")) != public:  # a new subnet is private until told
            # public subnets: agents reach the internet through the IGW without NAT
            ctx.ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": public})
            ctx.did(f"{'enabled' if public else 'disabled'} public IPv4 addresses on subnet {subnet_id}")
        held = ipv6_association(subnet)
        ipv6_block = (held or {}).get("Ipv6CidrBlock") or new_subnet_block(vpc_block, list(raw.values()), taken)
        ensure_subnet_ipv6(ctx, subnet, ipv6_block if vpc_block else None)
    surplus = sorted(set(raw) - set(used.values()))
    for subnet_id in surplus if vpc_block is None else []:  # so the VPC can give its block back
        ensure_subnet_ipv6(ctx, raw[subnet_id], None)
    return used, surplus


def remove_surplus_subnets(ctx: RegionContext, network: Network) -> None:
    """Delete managed subnets the fleet left (after the group moved off them); one still in use waits."""
    for subnet_id in network.surplus_subnet_ids:
        try:
            ctx.ec2.delete_subnet(SubnetId=subnet_id)
        except ClientError as exc:
            if is_gone(exc):
                continue
            if error_code(exc) != "DependencyViolation":
                raise
            ctx.did(f"waiting: subnet {subnet_id} still has instances; the next run deletes it")
            continue
        ctx.did(f"deleted subnet {subnet_id}, no longer used by the fleet")


def _route_table(
    ctx: RegionContext, found: Found, vpc_id: str, igw_id: str, subnet_ids: list[str], network: NetworkSettings
) -> None:
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
    seen = route_table_of(table)
    default = next((r for r in seen.routes if r.destination == ANYWHERE), None)
    if default is None:
        ctx.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, GatewayId=igw_id)
        ctx.did(f"added default route to {igw_id}")
    elif default.target != igw_id or default.state == BLACKHOLE:
        ctx.ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, GatewayId=igw_id)
        ctx.did(f"pointed default route at {igw_id}")
    ensure_ipv6_route(ctx, table, igw_id, network.ipv6)
    for route in table.get("Routes", []):
        if route.get("Origin") == "CreateRoute" and route.get("GatewayId") != "local":
            _remove_extra_route(ctx, table_id, route, internet(network))
    associated = set(seen.subnet_ids)
    for subnet_id in subnet_ids:
        if subnet_id not in associated:
            ctx.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
            ctx.did(f"associated route table with {subnet_id}")


def _remove_extra_route(ctx: RegionContext, table_id: str, route: dict[str, Any], defaults: tuple[str, ...]) -> None:
    keys = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")
    destination = {k: route[k] for k in keys if route.get(k)}
    if set(destination.values()) & set(defaults):
        return
    ctx.ec2.delete_route(RouteTableId=table_id, **destination)
    ctx.did(f"removed route {next(iter(destination.values()))} added by hand")


def _security_group(ctx: RegionContext, found: Found, vpc: dict[str, Any], network: NetworkSettings) -> str:
    vpc_id = vpc["VpcId"]
    groups = [g for g in found.security_groups if g["VpcId"] == vpc_id]
    if groups:
        seen = security_group_of(groups[0])
        group_id, ingress, egress = seen.group_id, seen.ingress, seen.egress
    else:
        group_id = ctx.ec2.create_security_group(
            GroupName=ctx.security_group_name,
            Description=f"p2p agents of {ctx.stack}",
            VpcId=vpc_id,
            TagSpecifications=ctx.tag_spec("security-group"),
        )["GroupId"]
        ingress, egress = [], created_group_egress(network.ipv6 or ipv6_association(vpc) is not None)
        ctx.did(f"created security group {group_id}")
    ec2 = ctx.ec2
    for direction, have, wanted, add, revoke in (
        (
            "ingress",
            ingress,
            wanted_ingress(group_id, network),
            ec2.authorize_security_group_ingress,
            ec2.revoke_security_group_ingress,
        ),
        (
            "egress",
            egress,
            wanted_egress(network),
            ec2.authorize_security_group_egress,
            ec2.revoke_security_group_egress,
        ),
    ):
        missing, extra = rule_changes(have, wanted)
        if missing:
            add(GroupId=group_id, IpPermissions=permissions(missing))
            ctx.did(f"opened {direction} " + ", ".join(r.words(direction, group_id) for r in sorted_rules(missing)))
        if extra:
            revoke(GroupId=group_id, IpPermissions=permissions(extra))
            ctx.did(f"closed {direction} " + ", ".join(r.words(direction, group_id) for r in sorted_rules(extra)))
    return group_id


def permissions(rules: set[SecurityRule]) -> list[dict[str, Any]]:
    """Rules as IpPermissions, one per rule."""
    out = []
    for rule in sorted_rules(rules):
        perm: dict[str, Any] = {"IpProtocol": rule.protocol}
        if rule.protocol != "-1":
            perm |= {"FromPort": rule.from_port, "ToPort": rule.to_port}
        peer = rule.peer
        if peer.startswith("sg-"):
            perm["UserIdGroupPairs"] = [{"GroupId": peer}]
        elif peer.startswith("pl-"):
            perm["PrefixListIds"] = [{"PrefixListId": peer}]
        elif ":" in peer:
            perm["Ipv6Ranges"] = [{"CidrIpv6": peer}]
        else:
            perm["IpRanges"] = [{"CidrIp": peer}]
        out.append(perm)
    return out
