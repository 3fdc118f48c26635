"""The stack's network resources whose `p2p:*` tags were removed by hand: found again and tagged again.

Without this a rebuild would make a second VPC beside the untagged one and then fail attaching the
gateway, which is still attached to the first. Only what is plausibly the stack's is taken back:
- the VPC: Name tag = the agents' name AND the configured CIDR block, and only when exactly one fits;
- inside the stack's VPC, each resource type that says how (`ResourceKind.untagged`): the internet
  gateway attached to it, subnets named `<agents name>-<zone>`, non-main route tables and the
  security group carrying the agents' Name (the group also by its immutable GroupName). A hand-made
  resource in the VPC with another name is never taken.
Template.yaml lets the reconciler tag an existing resource only when its Name tag is the agents' name.
"""

from __future__ import annotations

from p2p_core.reconciler.context import RegionContext
from p2p_core.resources import vpc
from p2p_core.resources.kind import Found, Raw, ResourceKind, name_tag
from p2p_core.resources.registry import REGISTRY


def readopt(ctx: RegionContext, found: Found, cidr: str) -> Found:
    """`found` with the stack's untagged network resources added back, each tagged again (an action each)."""
    vpcs = found.vpcs or vpc.untagged_vpc(ctx, cidr)
    if not vpcs:
        return found
    items = dict(found.items)
    if not found.vpcs:
        _tag_again(ctx, vpc.KIND, vpcs)
        items[vpc.KIND.key] = vpcs
    for kind in REGISTRY:
        if kind.untagged is None:
            continue
        known = set(kind.ids(found))
        again = [raw for raw in kind.untagged(ctx, vpcs[0]["VpcId"]) if str(raw[kind.id_field]) not in known]
        _tag_again(ctx, kind, again)
        items[kind.key] = found.of(kind.key) + again
    return Found(items)


def _tag_again(ctx: RegionContext, kind: ResourceKind, items: list[Raw]) -> None:
    for item in items:
        ctx.ec2.create_tags(Resources=[item[kind.id_field]], Tags=ctx.tags(name_tag(item)))
        ctx.did(f"tagged {kind.words} {item[kind.id_field]} again (its p2p tags were removed by hand)")
