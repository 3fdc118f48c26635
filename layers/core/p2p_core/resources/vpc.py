"""The region's VPC: its CIDR from the config (never changed in place), and its Amazon-provided IPv6 /56.

Plan does not read the VPC: the route table's `local` routes carry its blocks, and a VPC cannot be
gone while its subnets, route table and security group are there (`managed_vpc`). A rebuild
describes it, creates it when missing, asks for an IPv6 block with `network.ipv6` (AWS hands it out
asynchronously: read back until `associated`) and gives the block back once the subnets released
theirs (`settle`). A VPC's CIDR cannot change: Plan refuses the region instead (`cidr_refusal`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from p2p_core import clock
from p2p_core.config.network import NetworkSettings
from p2p_core.config.validation import show_value
from p2p_core.models.observed import ObservedNetwork, ObservedRouteTable, ObservedVpc
from p2p_core.reconciler.errors import ReconcileError, error_code
from p2p_core.reconciler.propagation import PROPAGATION_DELAYS, not_yet_propagated
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
    reads,
    sorted_by,
    tagged_create,
)

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext

CIDR_CHANGED = "CidrBlockChanged"
IPV6_NOT_ASSOCIATED = "Ipv6BlockNotAssociated"
IN_USE = "InvalidCidrBlock.InUse"
# states of a released association ("failing"/"failed": AWS could not associate it)
_RELEASED_STATES = ("disassociat", "fail")


@dataclass(frozen=True)
class Refusal:
    """A change Plan refuses for a region: it fails naming the field, untouched."""

    code: str
    message: str


def vpc_of(raw: Raw) -> ObservedVpc:
    """A DescribeVpcs entry (or a CreateVpc answer)."""
    block = ipv6_association(raw)
    return ObservedVpc(
        vpc_id=raw["VpcId"],
        cidr_block=raw.get("CidrBlock"),
        ipv6_cidr_block=block.get("Ipv6CidrBlock") or None if block else None,
    )


def ipv6_association(raw: Raw) -> Raw | None:
    """A VPC's or subnet's IPv6 block association that holds (associating or associated), or None.

    AWS keeps a released block in the set for a while as `disassociating`/`disassociated` (or
    `failed`); those are gone as far as the fleet is concerned.
    """
    for association in raw.get("Ipv6CidrBlockAssociationSet") or []:
        state = str((association.get("Ipv6CidrBlockState") or {}).get("State", ""))
        if not any(word in state for word in _RELEASED_STATES):
            return dict(association)
    return None


def managed_vpc(network: ObservedNetwork) -> ObservedVpc | None:
    """The region's VPC: as described, else as its route table's `local` route, subnets or group show it."""
    if network.vpcs is not None:
        return network.vpcs[0] if network.vpcs else None
    for table in network.route_tables:
        local = next((r for r in table.routes if r.target == "local" and ":" not in r.destination), None)
        if local is not None:
            ipv6 = local_ipv6_block(table)
            return ObservedVpc(vpc_id=table.vpc_id, cidr_block=local.destination, ipv6_cidr_block=ipv6)
    holders = [s.vpc_id for s in network.subnets] + [g.vpc_id for g in network.security_groups]
    return ObservedVpc(vpc_id=holders[0]) if holders else None


def local_ipv6_block(table: ObservedRouteTable) -> str | None:
    """The VPC's IPv6 block as its route table's second `local` route shows it."""
    return next((r.destination for r in table.routes if r.target == "local" and ":" in r.destination), None)


def cidr_refusal(network: NetworkSettings, vpc: ObservedVpc, region: str) -> Refusal | None:
    """network.cidr_block differs from the VPC's: AWS cannot change a VPC's CIDR in place."""
    if vpc.cidr_block is None or vpc.cidr_block == network.cidr_block:
        return None
    return Refusal(
        CIDR_CHANGED,
        f"network.cidr_block {show_value(network.cidr_block)} cannot be applied in place: the VPC {vpc.vpc_id} "
        f"in {region} has {show_value(vpc.cidr_block)} and AWS cannot change a VPC's CIDR. Set it back, or "
        f"remove {region} from regions, run, and add it back to rebuild the region on the new block",
    )


def drifts(v: Verifying) -> list[str]:
    """Gone, or its IPv6 block against `network.ipv6` (known only when read: else its route table says it)."""
    if v.vpc is None:
        return ["VPC: gone"]
    if v.config.network.ipv6:
        known = v.vpc.cidr_block is not None  # else read only through what it holds: its route table is gone
        return [] if v.vpc.ipv6_cidr_block or not known else ["VPC: no IPv6 block (network.ipv6)"]
    return [f"VPC: IPv6 block {v.vpc.ipv6_cidr_block}, want none (network.ipv6 false)"] if v.vpc.ipv6_cidr_block else []


def _describe(ctx: RegionContext) -> list[Raw]:
    return sorted_by(ctx.ec2.describe_vpcs(Filters=ctx.filters())["Vpcs"], "VpcId")


def _seen(raws: list[Raw]) -> list[ObservedVpc]:
    return [vpc_of(v) for v in raws]


def _not_read(_: Reading) -> None:
    return None  # Plan reads it through its route table (`managed_vpc`)


def ensure(b: Building) -> None:
    """The VPC found by tag (refused when its CIDR differs), else created; its IPv6 block with `network.ipv6`."""
    ctx, network = b.ctx, b.config.network
    if b.found.vpcs:
        vpc = b.found.vpcs[0]
        # Plan refuses this region; a plan made before the edit must not build on the old block either
        refused = cidr_refusal(network, ObservedVpc(vpc_id=vpc["VpcId"], cidr_block=vpc["CidrBlock"]), ctx.region)
        if refused is not None:
            raise ReconcileError(refused.code, refused.message)
    else:
        vpc = ctx.ec2.create_vpc(
            CidrBlock=network.cidr_block,
            AmazonProvidedIpv6CidrBlock=network.ipv6,
            TagSpecifications=ctx.tag_spec("vpc"),
        )["Vpc"]
        extra = ", with an IPv6 block" if network.ipv6 else ""
        ctx.did(f"created VPC {vpc['VpcId']} ({network.cidr_block}{extra})")
    b.vpc = vpc
    b.vpc_block = ensure_vpc_block(ctx, vpc) if network.ipv6 else None


def settle(b: Building) -> None:
    """Without `network.ipv6`, give the VPC's block back (the subnets released theirs)."""
    if not b.config.network.ipv6:
        release_vpc_block(b.ctx, b.vpc)


def ensure_vpc_block(ctx: RegionContext, vpc: Raw, *, sleep: Callable[[float], None] | None = None) -> str:
    """The VPC's IPv6 block, associated first when it has none (read again after each pause: `sleep`, default
    `clock.pause`)."""
    association = ipv6_association(vpc)
    if association is None:
        answer = ctx.ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], AmazonProvidedIpv6CidrBlock=True)
        association = answer["Ipv6CidrBlockAssociation"]
        ctx.did(f"asked for an IPv6 block for VPC {vpc['VpcId']}")
    return _associated_block(ctx, vpc["VpcId"], association, sleep or clock.pause)


def _associated_block(ctx: RegionContext, vpc_id: str, association: Raw, sleep: Callable[[float], None]) -> str:
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


def release_vpc_block(ctx: RegionContext, vpc: Raw) -> None:
    """Give the VPC's IPv6 block back (after its subnets released theirs)."""
    association = ipv6_association(vpc)
    if association is None:
        return
    released = f"IPv6 block {association.get('Ipv6CidrBlock')} of VPC {vpc['VpcId']}"
    if release_block(ctx, ctx.ec2.disassociate_vpc_cidr_block, association["AssociationId"], released):
        ctx.did(f"released {released}")


def release_block(ctx: RegionContext, disassociate: Callable[..., Any], association_id: str, what: str) -> bool:
    """Give a block back; False while AWS says it is in use (agents hold addresses from it: the next run retries)."""
    try:
        disassociate(AssociationId=association_id)
    except ClientError as exc:
        if error_code(exc) != IN_USE:
            raise
        ctx.did(f"waiting: the {what} is still in use (agents launched with IPv6 hold addresses); the next run retries")
        return False
    return True


def untagged_vpc(ctx: RegionContext, cidr: str) -> list[Raw]:
    """The stack's VPC whose p2p tags were removed by hand: named as the agents, on `cidr`, and the only one."""
    named = [
        {"Name": "tag:Name", "Values": [ctx.name]},
        {"Name": "cidr-block-association.cidr-block", "Values": [cidr]},
    ]
    found = [v for v in ctx.ec2.describe_vpcs(Filters=named)["Vpcs"] if v.get("CidrBlock") == cidr]
    return found if len(found) == 1 else []  # two candidates: neither is plausibly ours


def _deletions(raw: Raw) -> list[Deletion]:
    return [Deletion(f"deleted VPC {raw['VpcId']}", "delete_vpc", {"VpcId": raw["VpcId"]})]


KIND = ResourceKind(
    key="vpcs",
    words="VPC",
    id_field="VpcId",
    client="ec2",
    observed="network.vpcs",
    describe=_describe,
    seen=_seen,
    read=_not_read,
    drifts=drifts,
    ensure=ensure,
    settle=settle,
    deletions=_deletions,
    created=("create_vpc", ("Vpc", "VpcId")),
    grants=(
        reads("ec2:DescribeVpcs"),
        *tagged_create("CreateVpc", "vpc/*"),
        changes("ec2:ModifyVpcAttribute", "ec2:AssociateVpcCidrBlock", "ec2:DisassociateVpcCidrBlock", "ec2:DeleteVpc"),
        Grant(RECONCILE_POLICY, "TagAgainWhatLostItsTags", ("ec2:CreateTags",), ("vpc/*",)),
    ),
)
