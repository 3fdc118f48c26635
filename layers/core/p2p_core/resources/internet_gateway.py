"""The internet gateway: attached to the VPC, the target of the default routes (`route_table`).

Plan does not read it: AWS marks a route `blackhole` when its gateway is detached from the VPC (or
deleted, which needs a detach first), so the default route's state tells whether the gateway still
serves the VPC. A rebuild (or a region without its group) reads it; one detached by hand is
attached again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from p2p_core.models.observed import ObservedInternetGateway
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


def gateway_of(raw: Raw) -> ObservedInternetGateway:
    """A DescribeInternetGateways entry with the VPCs it is attached to."""
    attached = [
        a["VpcId"] for a in raw.get("Attachments", []) if a.get("State", "available") in ("available", "attached")
    ]
    return ObservedInternetGateway(gateway_id=raw["InternetGatewayId"], vpc_ids=attached)


def attached_gateway(v: Verifying) -> str | None:
    """The id of the gateway read attached to the VPC; None when not read or none is."""
    gateways, vpc = v.seen.network.internet_gateways, v.vpc
    if gateways is None or vpc is None:
        return None
    return next((g.gateway_id for g in gateways if vpc.vpc_id in g.vpc_ids), None)


def drifts(v: Verifying) -> list[str]:
    """Gone or detached, when it was read (a rebuild, or a region without its group)."""
    gateways = v.seen.network.internet_gateways
    if v.vpc is None or gateways is None or attached_gateway(v) is not None:
        return []
    return [
        f"internet gateway {gateways[0].gateway_id}: not attached to the VPC" if gateways else "internet gateway: gone"
    ]


def _describe(ctx: RegionContext) -> list[Raw]:
    return sorted_by(ctx.ec2.describe_internet_gateways(Filters=ctx.filters())["InternetGateways"], "InternetGatewayId")


def _seen(raws: list[Raw]) -> list[ObservedInternetGateway]:
    return [gateway_of(g) for g in raws]


def _not_read(_: Reading) -> None:
    return None  # the default route's state says it (module docstring)


def ensure(b: Building) -> None:
    """The gateway attached to the VPC: found by tag (attached again when detached) or created and attached."""
    ctx, vpc_id, igws = b.ctx, b.vpc["VpcId"], b.found.igws
    attached = [g for g in igws if any(a.get("VpcId") == vpc_id for a in g.get("Attachments", []))]
    if attached:
        b.igw_id = str(attached[0]["InternetGatewayId"])
        return
    if igws:
        igw_id = str(igws[0]["InternetGatewayId"])
    else:
        made = ctx.ec2.create_internet_gateway(TagSpecifications=ctx.tag_spec("internet-gateway"))
        igw_id = str(made["InternetGateway"]["InternetGatewayId"])
        ctx.did(f"created internet gateway {igw_id}")
    ctx.ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ctx.did(f"attached internet gateway {igw_id}")
    b.igw_id = igw_id


def _attached(ctx: RegionContext, vpc_ids: list[str]) -> list[Raw]:
    attached = [{"Name": "attachment.vpc-id", "Values": vpc_ids}]
    gateways: list[Raw] = ctx.ec2.describe_internet_gateways(Filters=attached)["InternetGateways"]
    return gateways


def _untagged(ctx: RegionContext, vpc_id: str) -> list[Raw]:
    return _attached(ctx, [vpc_id])


def _in_vpcs(ctx: RegionContext, vpc_ids: list[str]) -> list[tuple[str, str]]:
    return [
        (
            g["InternetGatewayId"],
            f"aws ec2 detach-internet-gateway --internet-gateway-id {g['InternetGatewayId']} "
            f"--vpc-id {g['Attachments'][0]['VpcId']} --region {ctx.region}",
        )
        for g in _attached(ctx, vpc_ids)
    ]


def _deletions(raw: Raw) -> list[Deletion]:
    igw_id = raw["InternetGatewayId"]
    detach = [
        Deletion(
            f"detached internet gateway {igw_id}",
            "detach_internet_gateway",
            {"InternetGatewayId": igw_id, "VpcId": attachment["VpcId"]},
        )
        for attachment in raw.get("Attachments", [])
    ]
    return [
        *detach,
        Deletion(f"deleted internet gateway {igw_id}", "delete_internet_gateway", {"InternetGatewayId": igw_id}),
    ]


KIND = ResourceKind(
    key="igws",
    words="internet gateway",
    id_field="InternetGatewayId",
    client="ec2",
    observed="network.internet_gateways",
    describe=_describe,
    seen=_seen,
    read=_not_read,
    drifts=drifts,
    ensure=ensure,
    deletions=_deletions,
    created=("create_internet_gateway", ("InternetGateway", "InternetGatewayId")),
    in_vpcs=_in_vpcs,
    untagged=_untagged,
    grants=(
        reads("ec2:DescribeInternetGateways"),
        *tagged_create("CreateInternetGateway", "internet-gateway/*"),
        changes("ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"),
        Grant(RECONCILE_POLICY, "TagAgainWhatLostItsTags", ("ec2:CreateTags",), ("internet-gateway/*",)),
    ),
)
