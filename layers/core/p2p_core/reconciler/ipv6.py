"""Dual stack, added to and removed from a region in place (`network.ipv6`).

On: the VPC gets an Amazon-provided /56 (AssociateVpcCidrBlock, or at CreateVpc), each fleet
subnet a /64 of it (AssociateSubnetCidrBlock, or at CreateSubnet) and AssignIpv6AddressOnCreation,
the route table a `::/0` route to the internet gateway; the security group's `::/0` rules come with
the rest of its rules (`p2p_core.wanted`). Off: the route and rules go, each subnet stops assigning
and releases its /64, then the VPC releases its block. AWS hands out the VPC's block asynchronously
(`associating`, the CIDR filled in when it is `associated`): the block is read back until it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.described import ipv6_association
from p2p_core.reconciler.errors import ReconcileError, error_code
from p2p_core.reconciler.propagation import PROPAGATION_DELAYS, not_yet_propagated
from p2p_core.wanted import ANYWHERE_V6, subnet_ipv6_blocks

IPV6_NOT_ASSOCIATED = "Ipv6BlockNotAssociated"
IN_USE = "InvalidCidrBlock.InUse"


def ensure_vpc_block(ctx: RegionContext, vpc: dict[str, Any], *, sleep: Callable[[float], None] = time.sleep) -> str:
    """The VPC's IPv6 block, associated first when it has none."""
    association = ipv6_association(vpc)
    if association is None:
        answer = ctx.ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], AmazonProvidedIpv6CidrBlock=True)
        association = answer["Ipv6CidrBlockAssociation"]
        ctx.did(f"asked for an IPv6 block for VPC {vpc['VpcId']}")
    return _associated_block(ctx, vpc["VpcId"], association, sleep)


def _associated_block(
    ctx: RegionContext, vpc_id: str, association: dict[str, Any], sleep: Callable[[float], None]
) -> str:
    for delay in (*PROPAGATION_DELAYS, None):
        state = (association.get("Ipv6CidrBlockState") or {}).get("State")
        if association.get("Ipv6CidrBlock") and state == "associated":
            return str(association["Ipv6CidrBlock"])
        if delay is None:
            break
        sleep(delay)
        try:
            vpcs = ctx.ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        except ClientError as exc:  # a VPC made this run may be unknown to a describe by id for a while
            if not not_yet_propagated(exc):
                raise
            vpcs = []
        association = (ipv6_association(vpcs[0]) if vpcs else None) or {}
    raise ReconcileError(
        IPV6_NOT_ASSOCIATED, f"VPC {vpc_id}: its IPv6 block is not associated yet; the next run continues"
    )


def release_vpc_block(ctx: RegionContext, vpc: dict[str, Any]) -> None:
    """Give the VPC's IPv6 block back (after its subnets released theirs)."""
    association = ipv6_association(vpc)
    if association is None:
        return
    released = f"IPv6 block {association.get('Ipv6CidrBlock')} of VPC {vpc['VpcId']}"
    if _release(ctx, ctx.ec2.disassociate_vpc_cidr_block, association["AssociationId"], released):
        ctx.did(f"released {released}")


def _release(ctx: RegionContext, disassociate: Callable[..., Any], association_id: str, what: str) -> bool:
    """Give a block back; False while AWS says it is in use (agents hold addresses from it: the next run retries)."""
    try:
        disassociate(AssociationId=association_id)
    except ClientError as exc:
        if error_code(exc) != IN_USE:
            raise
        ctx.did(f"waiting: the {what} is still in use (agents launched with IPv6 hold addresses); the next run retries")
        return False
    return True


def new_subnet_block(vpc_block: str | None, subnets: list[dict[str, Any]], taken: set[str]) -> str | None:
    """A free /64 of the VPC's block for a subnet, not in `taken` (None without a VPC block); adds it to `taken`."""
    if vpc_block is None:
        return None
    held = {str(a["Ipv6CidrBlock"]) for s in subnets if (a := ipv6_association(s)) is not None} | taken
    free = subnet_ipv6_blocks(vpc_block, held)
    if not free:
        raise ReconcileError("NoRoomForSubnets", f"the VPC's IPv6 block {vpc_block} has no free /64")
    taken.add(free[0])
    return free[0]


def ensure_subnet_ipv6(ctx: RegionContext, subnet: dict[str, Any], block: str | None) -> None:
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
        if _release(ctx, ctx.ec2.disassociate_subnet_cidr_block, association["AssociationId"], released):
            ctx.did(f"released {released}")


def ensure_ipv6_route(ctx: RegionContext, table: dict[str, Any], igw_id: str, wanted: bool) -> None:
    """A ::/0 route to the internet gateway when `wanted` (else none: the extra-route sweep deletes it)."""
    if not wanted:
        return
    route = next((r for r in table.get("Routes", []) if r.get("DestinationIpv6CidrBlock") == ANYWHERE_V6), None)
    table_id = table["RouteTableId"]
    if route is None:
        ctx.ec2.create_route(RouteTableId=table_id, DestinationIpv6CidrBlock=ANYWHERE_V6, GatewayId=igw_id)
        ctx.did(f"added IPv6 default route to {igw_id}")
    elif route.get("GatewayId") != igw_id or route.get("State") == "blackhole":
        ctx.ec2.replace_route(RouteTableId=table_id, DestinationIpv6CidrBlock=ANYWHERE_V6, GatewayId=igw_id)
        ctx.did(f"pointed IPv6 default route at {igw_id}")
