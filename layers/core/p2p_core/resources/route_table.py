"""The route table: the default routes (0.0.0.0/0, and ::/0 when dual stack) to the gateway, the fleet's subnets.

Its `local` routes carry the VPC's blocks, and its default route's state whether the gateway
still serves the VPC (`blackhole` once detached), so Plan learns the VPC and the gateway from it.
A route added by hand is removed; a missing or misdirected default route is put back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from p2p_core.models.observed import ObservedRoute, ObservedRouteTable
from p2p_core.resources.internet_gateway import attached_gateway
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
from p2p_core.resources.subnets import fleet_subnets
from p2p_core.wanted import ANYWHERE, ANYWHERE_V6, internet

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext

BLACKHOLE = "blackhole"
_ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "InstanceId",
    "EgressOnlyInternetGatewayId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)


def route_table_of(raw: Raw) -> ObservedRouteTable:
    """A DescribeRouteTables entry with its routes and explicit subnet associations."""
    routes = []
    for route in raw.get("Routes", []):
        destination = (
            route.get("DestinationCidrBlock")
            or route.get("DestinationIpv6CidrBlock")
            or route.get("DestinationPrefixListId")
        )
        target = next((str(route[k]) for k in _ROUTE_TARGETS if route.get(k)), "unknown")
        state, origin = route.get("State", "active"), route.get("Origin", "CreateRoute")
        routes.append(ObservedRoute(destination=str(destination), target=target, state=state, origin=origin))
    subnets = sorted(a["SubnetId"] for a in raw.get("Associations", []) if a.get("SubnetId"))
    return ObservedRouteTable(
        route_table_id=raw["RouteTableId"], vpc_id=raw["VpcId"], routes=routes, subnet_ids=subnets
    )


def drifts(v: Verifying) -> list[str]:
    """The default routes, routes added by hand, the fleet's subnets not associated."""
    if v.vpc is None:
        return []
    network = v.seen.network
    tables = [t for t in network.route_tables if t.vpc_id == v.vpc.vpc_id]
    if not tables:
        return ["route table: gone"]
    table = tables[0]
    found = _default_route_drifts(table, attached_gateway(v))
    defaults = internet(v.config.network)
    for route in table.routes:
        if route.target != "local" and route.destination not in defaults and route.origin == "CreateRoute":
            found.append(f"route table: extra route {route.destination} to {route.target}")
    for zone, subnet in sorted(fleet_subnets(network, v.vpc.vpc_id, v.zones or []).items()):
        if subnet.subnet_id not in table.subnet_ids:
            found.append(f"route table: subnet {subnet.subnet_id} ({zone}) is not associated")
    return found + (_ipv6_route_drifts(table) if v.config.network.ipv6 else [])


def _default_route_drifts(table: ObservedRouteTable, attached: str | None) -> list[str]:
    default = next((r for r in table.routes if r.destination == ANYWHERE), None)
    if default is None:
        return ["route table: no default route to the internet gateway"]
    if not default.target.startswith("igw-") or (attached is not None and default.target != attached):
        return [
            f"route table: default route goes to {default.target}, not the internet gateway {attached or ''}".rstrip()
        ]
    if default.state == BLACKHOLE and attached is None:
        return [f"internet gateway {default.target}: not attached to the VPC (the default route is a blackhole)"]
    return []


def _ipv6_route_drifts(table: ObservedRouteTable) -> list[str]:
    default = next((r for r in table.routes if r.destination == ANYWHERE_V6), None)
    if default is None:
        return ["route table: no IPv6 default route (::/0) to the internet gateway"]
    ipv4 = next((r for r in table.routes if r.destination == ANYWHERE), None)
    gateway = ipv4.target if ipv4 is not None and ipv4.target.startswith("igw-") else None
    if not default.target.startswith("igw-") or (gateway is not None and default.target != gateway):
        return [f"route table: IPv6 default route goes to {default.target}, not the internet gateway"]
    return []


def _describe(ctx: RegionContext) -> list[Raw]:
    return sorted_by(ctx.ec2.describe_route_tables(Filters=ctx.filters())["RouteTables"], "RouteTableId")


def _seen(raws: list[Raw]) -> list[ObservedRouteTable]:
    return [route_table_of(t) for t in raws]


def _read(r: Reading) -> list[ObservedRouteTable]:
    return [route_table_of(t) for t in r.ctx.ec2.describe_route_tables(Filters=r.ctx.filters())["RouteTables"]]


def ensure(b: Building) -> None:
    """The table (found by tag, or created), its default routes to the gateway, no route added by hand, the subnets."""
    ctx, vpc_id, igw_id, network = b.ctx, b.vpc["VpcId"], b.igw_id, b.config.network
    tables = [t for t in b.found.route_tables if t["VpcId"] == vpc_id]
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
    for subnet_id in b.subnet_ids:
        if subnet_id not in associated:
            ctx.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
            ctx.did(f"associated route table with {subnet_id}")


def ensure_ipv6_route(ctx: RegionContext, table: Raw, igw_id: str, wanted: bool) -> None:
    """A ::/0 route to the internet gateway when `wanted` (else none: the extra-route sweep deletes it)."""
    if not wanted:
        return
    route = next((r for r in table.get("Routes", []) if r.get("DestinationIpv6CidrBlock") == ANYWHERE_V6), None)
    table_id = table["RouteTableId"]
    if route is None:
        ctx.ec2.create_route(RouteTableId=table_id, DestinationIpv6CidrBlock=ANYWHERE_V6, GatewayId=igw_id)
        ctx.did(f"added IPv6 default route to {igw_id}")
    elif route.get("GatewayId") != igw_id or route.get("State") == BLACKHOLE:
        ctx.ec2.replace_route(RouteTableId=table_id, DestinationIpv6CidrBlock=ANYWHERE_V6, GatewayId=igw_id)
        ctx.did(f"pointed IPv6 default route at {igw_id}")


def _remove_extra_route(ctx: RegionContext, table_id: str, route: dict[str, Any], defaults: tuple[str, ...]) -> None:
    keys = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")
    destination = {k: route[k] for k in keys if route.get(k)}
    if set(destination.values()) & set(defaults):
        return
    ctx.ec2.delete_route(RouteTableId=table_id, **destination)
    ctx.did(f"removed route {next(iter(destination.values()))} added by hand")


def is_main(raw: Raw) -> bool:
    """The VPC's main table (it goes with the VPC; never the stack's to delete)."""
    return any(a.get("Main") for a in raw.get("Associations", []))


def _in_vpcs(ctx: RegionContext, vpc_ids: list[str]) -> list[tuple[str, str]]:
    found = ctx.ec2.describe_route_tables(Filters=in_vpc(*vpc_ids))["RouteTables"]
    fix = "aws ec2 delete-route-table --route-table-id {} --region " + ctx.region
    return [(t["RouteTableId"], fix.format(t["RouteTableId"])) for t in found if not is_main(t)]


def _untagged(ctx: RegionContext, vpc_id: str) -> list[Raw]:
    found = ctx.ec2.describe_route_tables(Filters=in_vpc(vpc_id))["RouteTables"]
    return [t for t in found if name_tag(t) == ctx.name and not is_main(t)]


def _deletions(raw: Raw) -> list[Deletion]:
    if is_main(raw):
        return []
    table_id = raw["RouteTableId"]
    ids = [a["RouteTableAssociationId"] for a in raw.get("Associations", [])]
    return [
        *(Deletion(f"disassociated {i}", "disassociate_route_table", {"AssociationId": i}) for i in ids),
        Deletion(f"deleted route table {table_id}", "delete_route_table", {"RouteTableId": table_id}),
    ]


KIND = ResourceKind(
    key="route_tables",
    words="route table",
    id_field="RouteTableId",
    client="ec2",
    observed="network.route_tables",
    describe=_describe,
    seen=_seen,
    read=_read,
    drifts=drifts,
    ensure=ensure,
    deletions=_deletions,
    created=("create_route_table", ("RouteTable", "RouteTableId")),
    in_vpcs=_in_vpcs,
    untagged=_untagged,
    grants=(
        reads("ec2:DescribeRouteTables"),
        *tagged_create("CreateRouteTable", "route-table/*"),
        created_in_own_vpc("CreateRouteTable"),
        changes(
            "ec2:CreateRoute",
            "ec2:ReplaceRoute",
            "ec2:DeleteRoute",
            "ec2:AssociateRouteTable",
            "ec2:DisassociateRouteTable",
            "ec2:DeleteRouteTable",
        ),
        Grant(RECONCILE_POLICY, "TagAgainWhatLostItsTags", ("ec2:CreateTags",), ("route-table/*",)),
    ),
)
