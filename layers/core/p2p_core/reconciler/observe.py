"""Find a region's managed resources by tags, and read them into the planner's model (`p2p_core.models.observed`).

`read_region` is Plan's view, cheap enough for every run: the group first (one tag-filtered read;
its launch template, subnets, sizes, tags and instances come with it), then each resource type's
own cheap read in registry order (`ResourceKind.read`): its scheduled actions, subnets, route
tables (routes and associations included), security groups (rules included), the launch template
versions the group and the default use, and the log group when logs are on: 7 reads. Why the VPC
and the internet gateway need no read of their own is in their modules. Without the group the
region is being created or was damaged: every type is described (`discover`), as the reconciler
does before it changes anything.
"""

from __future__ import annotations

from typing import Any

from p2p_core.models.observed import ObservedNetwork, ObservedRegion
from p2p_core.reconciler.context import RegionContext
from p2p_core.resources.auto_scaling_group import KIND as GROUPS
from p2p_core.resources.auto_scaling_group import find_asgs, live_asgs
from p2p_core.resources.kind import Found, Raw, Reading
from p2p_core.resources.registry import REGISTRY

__all__ = ["Found", "discover", "found_region", "read_region"]
_NETWORK = "network."


def discover(ctx: RegionContext, asgs: list[Raw] | None = None) -> Found:
    """Describe every type of managed resource (the thorough, adopt-and-resume path); `asgs` if already read."""
    known = {GROUPS.key: asgs} if asgs is not None else {}
    return Found({kind.key: known[kind.key] if kind.key in known else kind.describe(ctx) for kind in REGISTRY})


def read_region(ctx: RegionContext, logs_enabled: bool) -> ObservedRegion:
    """The region as Plan verifies it (see the module docstring for what is read)."""
    groups = find_asgs(ctx)
    live = live_asgs(groups)
    if not live:
        return found_region(ctx.region, discover(ctx, groups))
    reading = Reading(ctx, live[0], logs_enabled)
    return _region(ctx.region, True, {kind.observed: kind.read(reading) for kind in REGISTRY})


def found_region(region: str, found: Found) -> ObservedRegion:
    """What `discover` found, in the planner's model."""
    return _region(region, found.exists, {kind.observed: kind.seen(found.of(kind.key)) for kind in REGISTRY})


def _region(region: str, exists: bool, values: dict[str, Any]) -> ObservedRegion:
    network = {k.removeprefix(_NETWORK): v for k, v in values.items() if k.startswith(_NETWORK)}
    rest = {k: v for k, v in values.items() if not k.startswith(_NETWORK)}
    return ObservedRegion(region=region, exists=exists, network=ObservedNetwork(**network), **rest)
