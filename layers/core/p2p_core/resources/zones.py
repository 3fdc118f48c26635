"""Where the subnets go: the zones that offer the instance types, and free blocks of the VPC's CIDRs.

Pure but for the two offering reads (`zones_offering`), which `p2pctl` preflight shares.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from p2p_core.config.network import subnet_prefix

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext

NO_ROOM_FOR_SUBNETS = "NoRoomForSubnets"
SUBNET_IPV6_PREFIX = 64  # AWS gives a subnet exactly a /64 of the VPC's /56


def choose_zones(offered: list[str], existing: list[str], az_number: int) -> list[str]:
    """Up to `az_number` offered zones, those that already have a subnet first (so none is moved)."""
    kept = sorted(z for z in set(existing) if z in offered)[:az_number]
    return sorted(kept + [z for z in sorted(offered) if z not in kept][: az_number - len(kept)])


def free_blocks(vpc_cidr: str, az_number: int, used: set[str]) -> list[str]:
    """Blocks of the VPC's CIDR for new subnets, not overlapping `used`, in address order.

    The size leaves at least one spare block, so a later larger az_number still finds room.
    """
    net = ipaddress.IPv4Network(vpc_cidr)
    prefix = subnet_prefix(net, az_number)
    if prefix < net.prefixlen:
        return []
    taken = [ipaddress.IPv4Network(c) for c in used]
    return [str(b) for b in net.subnets(new_prefix=prefix) if not any(b.overlaps(t) for t in taken)]


def subnet_ipv6_blocks(vpc_ipv6: str, used: set[str]) -> list[str]:
    """/64 blocks of the VPC's IPv6 block not held by a subnet, in address order (a /56 has 256)."""
    net = ipaddress.IPv6Network(vpc_ipv6)
    taken = {ipaddress.IPv6Network(c) for c in used}
    return [str(b) for b in net.subnets(new_prefix=SUBNET_IPV6_PREFIX) if b not in taken]


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
