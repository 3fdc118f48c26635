"""The dual-stack part of verification: the VPC's IPv6 block, each subnet's /64, the ::/0 route.

Pure, and read from the answers Plan already has (`p2p_core.verify`): DescribeSubnets carries each
subnet's IPv6 association and AssignIpv6AddressOnCreation; the route table carries the VPC's IPv6
block as a second `local` route and the `::/0` route. So dual stack costs a no-op region no read.
"""

from __future__ import annotations

from p2p_core.config.network import NetworkSettings
from p2p_core.models.observed import ObservedRouteTable, ObservedSubnet, ObservedVpc
from p2p_core.wanted import ANYWHERE_V6


def ipv6_drifts(
    network: NetworkSettings,
    vpc: ObservedVpc,
    subnets: list[ObservedSubnet],
    fleet: list[ObservedSubnet],
    table: ObservedRouteTable | None,
) -> list[str]:
    """How the region's dual stack differs from `network.ipv6`, in operator words.

    On, the subnets the fleet uses (`fleet`) must hold a /64 and assign from it; off, no subnet of
    the VPC (`subnets`) may hold one, or the VPC could not give its block back.
    """
    known = vpc.cidr_block is not None  # else read only through what it holds: its route table is gone
    if network.ipv6:
        drifts = [] if vpc.ipv6_cidr_block or not known else ["VPC: no IPv6 block (network.ipv6)"]
        drifts += [f"subnet {s.subnet_id} in {s.zone}: no IPv6 block" for s in fleet if not s.ipv6_cidr_block]
        drifts += [
            f"subnet {s.subnet_id} in {s.zone}: does not assign IPv6 addresses" for s in fleet if not s.assign_ipv6
        ]
        return drifts + _route_drifts(table)
    drifts = [f"VPC: IPv6 block {vpc.ipv6_cidr_block}, want none (network.ipv6 false)"] if vpc.ipv6_cidr_block else []
    drifts += [
        f"subnet {s.subnet_id} in {s.zone}: IPv6 block {s.ipv6_cidr_block}, want none"
        for s in subnets
        if s.ipv6_cidr_block
    ]
    drifts += [f"subnet {s.subnet_id} in {s.zone}: assigns IPv6 addresses, want none" for s in subnets if s.assign_ipv6]
    return drifts  # a ::/0 route left is an extra route (`p2p_core.verify`)


def _route_drifts(table: ObservedRouteTable | None) -> list[str]:
    if table is None:
        return []  # "route table: gone" says it
    default = next((r for r in table.routes if r.destination == ANYWHERE_V6), None)
    if default is None:
        return ["route table: no IPv6 default route (::/0) to the internet gateway"]
    ipv4 = next((r for r in table.routes if r.destination == "0.0.0.0/0"), None)
    gateway = ipv4.target if ipv4 is not None and ipv4.target.startswith("igw-") else None
    if not default.target.startswith("igw-") or (gateway is not None and default.target != gateway):
        return [f"route table: IPv6 default route goes to {default.target}, not the internet gateway"]
    return []


def local_ipv6_block(table: ObservedRouteTable) -> str | None:
    """The VPC's IPv6 block as its route table's second `local` route shows it."""
    return next((r.destination for r in table.routes if r.target == "local" and ":" in r.destination), None)
