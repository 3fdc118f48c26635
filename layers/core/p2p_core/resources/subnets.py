"""The fleet's subnets: one per zone the group spans, public (or not: `network.public_ipv4`), a /64 when dual stack.

A rebuild keeps the zones that already have a subnet, adds subnets in free blocks of the VPC's
CIDR (`zones`), gives each the VPC's next free /64 with `network.ipv6` (or releases it without),
and deletes a subnet the fleet no longer uses once the group has moved off it (`settle`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from p2p_core.config.network import NetworkSettings
from p2p_core.models.observed import ObservedAsg, ObservedNetwork, ObservedSubnet
from p2p_core.reconciler.errors import ReconcileError, error_code, is_gone
from p2p_core.resources.kind import (
    RECONCILE_POLICY,
    Building,
    Deletion,
    Grant,
    Raw,
    Reading,
    ResourceKind,
    Verifying,
    changes,
    created_in_own_vpc,
    in_vpc,
    name_tag,
    reads,
    sorted_by,
    tagged_create,
)
from p2p_core.resources.vpc import ipv6_association, release_block
from p2p_core.resources.zones import (
    NO_ROOM_FOR_SUBNETS,
    choose_zones,
    free_blocks,
    offered_zones,
    subnet_ipv6_blocks,
)

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext


def subnet_of(raw: Raw) -> ObservedSubnet:
    """A DescribeSubnets entry."""
    block = ipv6_association(raw)
    return ObservedSubnet(
        subnet_id=raw["SubnetId"],
        vpc_id=raw["VpcId"],
        zone=raw["AvailabilityZone"],
        cidr_block=raw["CidrBlock"],
        public=bool(raw.get("MapPublicIpOnLaunch")),
        ipv6_cidr_block=block.get("Ipv6CidrBlock") if block else None,
        assign_ipv6=bool(raw.get("AssignIpv6AddressOnCreation")),
    )


def fleet_subnets(network: ObservedNetwork, vpc_id: str, zones: list[str]) -> dict[str, ObservedSubnet]:
    """The subnet the fleet uses in each of `zones` (the first by id where a zone has several)."""
    chosen: dict[str, ObservedSubnet] = {}
    for subnet in sorted(network.subnets, key=lambda s: s.subnet_id):
        if subnet.vpc_id == vpc_id and subnet.zone in zones:
            chosen.setdefault(subnet.zone, subnet)
    return chosen


def drifts(v: Verifying) -> list[str]:
    """Public addressing, subnets gone or unused, the group's span, and each subnet's IPv6 block."""
    if v.vpc is None:
        return []
    network, settings, zones = v.seen.network, v.config.network, v.zones
    mine = [s for s in network.subnets if s.vpc_id == v.vpc.vpc_id]
    if settings.public_ipv4:
        found = [f"subnet {s.subnet_id} in {s.zone}: does not assign public IPs" for s in mine if not s.public]
    else:
        found = [
            f"subnet {s.subnet_id} in {s.zone}: assigns public IPv4 addresses, want none (network.public_ipv4 false)"
            for s in mine
            if s.public
        ]
    if zones is not None and v.asg is not None:
        found += _span_drifts(network, v.vpc.vpc_id, zones, mine, v.asg)
    fleet = list(fleet_subnets(network, v.vpc.vpc_id, zones).values()) if zones is not None else mine
    return found + _ipv6_drifts(settings, mine, fleet)


def _span_drifts(
    network: ObservedNetwork, vpc_id: str, zones: list[str], mine: list[ObservedSubnet], asg: ObservedAsg
) -> list[str]:
    used = fleet_subnets(network, vpc_id, zones)
    known = {s.subnet_id for s in mine}
    gone_zones = [z for z in zones if z not in used]
    gone_ids = [i for i in asg.subnet_ids if i not in known]
    if len(gone_zones) == 1 and len(gone_ids) == 1:  # the group still names the subnet that went
        found = [f"subnet {gone_ids[0]} in {gone_zones[0]} is gone"]
    else:
        found = [f"subnet in {zone} is gone" for zone in gone_zones]
        found += [f"Auto Scaling group: spans {i}, which is gone" for i in gone_ids]
    kept = {s.subnet_id for s in used.values()}
    found += [f"subnet {s.subnet_id} in {s.zone}: not used by the fleet" for s in mine if s.subnet_id not in kept]
    found += [
        f"Auto Scaling group: does not span {s.subnet_id} ({s.zone})"
        for s in used.values()
        if s.subnet_id not in asg.subnet_ids
    ]
    found += [
        f"Auto Scaling group: spans {i}, not a subnet of the fleet"
        for i in asg.subnet_ids
        if i in known and i not in kept
    ]
    return found


def _ipv6_drifts(settings: NetworkSettings, mine: list[ObservedSubnet], fleet: list[ObservedSubnet]) -> list[str]:
    """On, the subnets the fleet uses must hold a /64 and assign from it; off, no subnet of the VPC may hold one."""
    if settings.ipv6:
        found = [f"subnet {s.subnet_id} in {s.zone}: no IPv6 block" for s in fleet if not s.ipv6_cidr_block]
        return found + [
            f"subnet {s.subnet_id} in {s.zone}: does not assign IPv6 addresses" for s in fleet if not s.assign_ipv6
        ]
    found = [
        f"subnet {s.subnet_id} in {s.zone}: IPv6 block {s.ipv6_cidr_block}, want none"
        for s in mine
        if s.ipv6_cidr_block
    ]
    return found + [
        f"subnet {s.subnet_id} in {s.zone}: assigns IPv6 addresses, want none" for s in mine if s.assign_ipv6
    ]


def _describe(ctx: RegionContext) -> list[Raw]:
    return sorted_by(ctx.ec2.describe_subnets(Filters=ctx.filters())["Subnets"], "SubnetId")


def _seen(raws: list[Raw]) -> list[ObservedSubnet]:
    return [subnet_of(s) for s in raws]


def _read(r: Reading) -> list[ObservedSubnet]:
    return [subnet_of(s) for s in r.ctx.ec2.describe_subnets(Filters=r.ctx.filters())["Subnets"]]


def ensure(b: Building) -> None:
    """A subnet in each chosen zone, public as configured, with its /64 when dual stack; the unused named surplus."""
    ctx, config, vpc, vpc_block = b.ctx, b.config, b.vpc, b.vpc_block
    buying = config.instance.buying()  # a group over several types may use a zone offering any of them
    offered = offered_zones(ctx, buying.types if buying else (config.instance.type,))
    if not offered:
        raise ReconcileError("InstanceTypeNotOffered", f"{config.instance.type} is not offered in any zone")
    wanted = config.network.az_number
    raw = {s["SubnetId"]: s for s in b.found.subnets if s["VpcId"] == vpc["VpcId"]}
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
    b.subnets, b.surplus_subnet_ids = used, surplus


def new_subnet_block(vpc_block: str | None, subnets: list[Raw], taken: set[str]) -> str | None:
    """A free /64 of the VPC's block for a subnet, not in `taken` (None without a VPC block); adds it to `taken`."""
    if vpc_block is None:
        return None
    held = {str(a["Ipv6CidrBlock"]) for s in subnets if (a := ipv6_association(s)) is not None} | taken
    free = subnet_ipv6_blocks(vpc_block, held)
    if not free:
        raise ReconcileError(NO_ROOM_FOR_SUBNETS, f"the VPC's IPv6 block {vpc_block} has no free /64")
    taken.add(free[0])
    return free[0]


def ensure_subnet_ipv6(ctx: RegionContext, subnet: Raw, block: str | None) -> None:
    """The subnet holds `block` (a /64; None = no IPv6) and assigns addresses from it, or neither."""
    subnet_id, association = subnet["SubnetId"], ipv6_association(subnet)
    assigns = bool(subnet.get("AssignIpv6AddressOnCreation"))
    if block is not None and association is None:
        ctx.ec2.associate_subnet_cidr_block(SubnetId=subnet_id, Ipv6CidrBlock=block)
        ctx.did(f"gave subnet {subnet_id} the IPv6 block {block}")
    if (block is not None) != assigns:
        ctx.ec2.modify_subnet_attribute(SubnetId=subnet_id, AssignIpv6AddressOnCreation={"Value": block is not None})
        ctx.did(f"{'enabled' if block is not None else 'disabled'} IPv6 addresses on subnet {subnet_id}")
    if block is None and association is not None:
        released = f"IPv6 block {association.get('Ipv6CidrBlock')} of subnet {subnet_id}"
        if release_block(ctx, ctx.ec2.disassociate_subnet_cidr_block, association["AssociationId"], released):
            ctx.did(f"released {released}")


def settle(b: Building) -> None:
    """Delete managed subnets the fleet left (after the group moved off them); one still in use waits."""
    ctx = b.ctx
    for subnet_id in b.surplus_subnet_ids:
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


def _in_vpcs(ctx: RegionContext, vpc_ids: list[str]) -> list[tuple[str, str]]:
    found = ctx.ec2.describe_subnets(Filters=in_vpc(*vpc_ids))["Subnets"]
    return [(s["SubnetId"], f"aws ec2 delete-subnet --subnet-id {s['SubnetId']} --region {ctx.region}") for s in found]


def _untagged(ctx: RegionContext, vpc_id: str) -> list[Raw]:
    found = ctx.ec2.describe_subnets(Filters=in_vpc(vpc_id))["Subnets"]
    return [s for s in found if name_tag(s) == f"{ctx.name}-{s['AvailabilityZone']}"]


def _deletions(raw: Raw) -> list[Deletion]:
    return [Deletion(f"deleted subnet {raw['SubnetId']}", "delete_subnet", {"SubnetId": raw["SubnetId"]})]


KIND = ResourceKind(
    key="subnets",
    words="subnet",
    id_field="SubnetId",
    client="ec2",
    observed="network.subnets",
    describe=_describe,
    seen=_seen,
    read=_read,
    drifts=drifts,
    ensure=ensure,
    settle=settle,
    deletions=_deletions,
    created=("create_subnet", ("Subnet", "SubnetId")),
    in_vpcs=_in_vpcs,
    untagged=_untagged,
    grants=(
        reads("ec2:DescribeSubnets", "ec2:DescribeAvailabilityZones", "ec2:DescribeInstanceTypeOfferings"),
        *tagged_create("CreateSubnet", "subnet/*"),
        created_in_own_vpc("CreateSubnet"),
        changes(
            "ec2:ModifySubnetAttribute",
            "ec2:AssociateSubnetCidrBlock",
            "ec2:DisassociateSubnetCidrBlock",
            "ec2:DeleteSubnet",
        ),
        Grant(RECONCILE_POLICY, "TagAgainWhatLostItsTags", ("ec2:CreateTags",), ("subnet/*",)),
        Grant(RECONCILE_POLICY, "LaunchResourcesOnlyThroughATemplate", ("ec2:RunInstances",), ("subnet/*",)),
    ),
)
