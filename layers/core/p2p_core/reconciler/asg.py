"""The Auto Scaling group: created or updated to follow the launch template, capacity, scheduled actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from p2p_core import clock
from p2p_core.config.rfc3339 import format_time
from p2p_core.market import Buying, purchase_drifts
from p2p_core.models.observed import CapacityTarget, ScheduledAction
from p2p_core.models.plan import RegionPlan
from p2p_core.models.window import SCHEDULE_MARGIN
from p2p_core.reconciler.context import RegionContext, tag_dict
from p2p_core.reconciler.described import asg_of
from p2p_core.reconciler.network import Network
from p2p_core.verify import suspended_words
from p2p_core.wanted import group_tags


def ensure_asg(
    ctx: RegionContext,
    existing: dict[str, Any] | None,
    network: Network,
    template: tuple[str, int],
    *,
    infrastructure_hash: str,
    initial: CapacityTarget,
    capacity: CapacityTarget | None,
    buying: Buying | None = None,
    not_offered: list[str] | None = None,
) -> str:
    """The ASG on the template version (in its MixedInstancesPolicy when `buying`), in the subnets, with its tags.

    `buying` is the region's purchase settings (None: a plain launch-template group, as before Spot
    existed); `not_offered` the configured types the region does not offer, recorded as a tag.
    """
    template_id, version = template
    spec = {"LaunchTemplateId": template_id, "Version": str(version)}
    zones = ",".join(network.subnet_ids)
    wanted = group_tags(
        ctx.stack, ctx.region, infrastructure_hash, network.zones, (not_offered or []) if buying else None
    )
    if existing is None:
        ctx.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=ctx.name,
            **launch_source(spec, buying),
            VPCZoneIdentifier=zones,
            **_sizes(capacity or initial),
            Tags=_asg_tags(ctx, wanted),
        )
        bought = f", {buying.words()}" if buying else ""
        ctx.did(f"created Auto Scaling group {ctx.name} ({_words(capacity or initial)}{bought})")
        return ctx.name
    name = str(existing["AutoScalingGroupName"])
    update: dict[str, Any] = {}
    seen = asg_of(existing)
    purchase = purchase_drifts(buying, seen.policy_types, seen.distribution, seen.capacity_rebalance)
    follows = (seen.template_id, seen.template_version) == (template_id, str(version))
    if not follows or purchase:
        update.update(launch_source(spec, buying, rebalancing=seen.capacity_rebalance))
        if not follows:
            ctx.did(f"Auto Scaling group follows launch template version {version}")
        if purchase:
            ctx.did(f"Auto Scaling group buys {buying.words() if buying else 'on-demand from its launch template'}")
    if set(existing.get("VPCZoneIdentifier", "").split(",")) != set(network.subnet_ids):
        update["VPCZoneIdentifier"] = zones
        ctx.did(f"Auto Scaling group spans subnets {zones}")
    if capacity is not None:
        update.update(_sizes(capacity))
        ctx.did(f"set capacity {_words(capacity)}")
    if update:
        ctx.autoscaling.update_auto_scaling_group(AutoScalingGroupName=name, **update)
    if seen.suspended_processes:  # suspended by hand (Launch: no agent starts; Terminate: none stops)
        ctx.autoscaling.resume_processes(AutoScalingGroupName=name, ScalingProcesses=seen.suspended_processes)
        ctx.did(f"resumed {suspended_words(seen.suspended_processes)}")
    tags = tag_dict(existing.get("Tags"))
    if missing := {k: v for k, v in wanted.items() if tags.get(k) != v}:
        ctx.autoscaling.create_or_update_tags(Tags=_asg_tags(ctx, missing, name))
        ctx.did(f"tagged Auto Scaling group: {', '.join(sorted(missing))}")
    return name


def launch_source(spec: dict[str, str], buying: Buying | None, *, rebalancing: bool = False) -> dict[str, Any]:
    """What the group launches from: the template alone (as before Spot), or a MixedInstancesPolicy over it.

    Capacity Rebalancing follows Spot; a plain group has it sent (off) only when it is on.
    """
    if buying is None:
        return {"LaunchTemplate": spec, **({"CapacityRebalance": False} if rebalancing else {})}
    return {"MixedInstancesPolicy": buying.policy(spec), "CapacityRebalance": buying.spot}


def set_capacity(ctx: RegionContext, name: str, capacity: CapacityTarget) -> None:
    """Min, Max and Desired in one call (AWS checks them against each other)."""
    ctx.autoscaling.update_auto_scaling_group(AutoScalingGroupName=name, **_sizes(capacity))
    ctx.did(f"set capacity {_words(capacity)}")


def settle_due_actions(step: RegionPlan, now: datetime | None = None) -> RegionPlan:
    """The plan as of `now`: actions whose time fell within the margin since Plan are applied directly.

    AWS rejects a scheduled action whose StartTime has passed (moto would accept it), and Plan ran
    a moment before this apply: an action now due is never sent. The latest due action's capacity
    is set now instead, and an older action of the same name still on the group is removed.
    """
    horizon = (now or clock.now()) + SCHEDULE_MARGIN
    due = sorted((a for a in step.put_actions if a.start_time <= horizon), key=lambda a: a.start_time)
    if not due:
        return step
    stale = {a.name for a in due} & set(step.existing_actions)
    return step.model_copy(
        update={
            "capacity": due[-1].capacity,
            "initial_capacity": due[-1].capacity,
            "put_actions": [a for a in step.put_actions if a not in due],
            "delete_actions": sorted(set(step.delete_actions) | stale),
            "reasons": [*step.reasons, *(f"{a.name} due by now: applied directly" for a in due)],
        }
    )


def apply_schedule(ctx: RegionContext, name: str, put: list[ScheduledAction], delete: list[str]) -> None:
    """Delete the p2p actions no longer wanted, then put the wanted ones (all after the margin: settle_due_actions)."""
    for action_name in delete:
        ctx.autoscaling.delete_scheduled_action(AutoScalingGroupName=name, ScheduledActionName=action_name)
        ctx.did(f"removed {action_name}")
    for action in put:
        ctx.autoscaling.put_scheduled_update_group_action(
            AutoScalingGroupName=name,
            ScheduledActionName=action.name,
            StartTime=action.start_time,
            **_sizes(action.capacity),
        )
        ctx.did(f"scheduled {action.name} at {format_time(action.start_time)} ({_words(action.capacity)})")


def _sizes(capacity: CapacityTarget) -> dict[str, int]:
    return {"MinSize": capacity.min_size, "MaxSize": capacity.max_size, "DesiredCapacity": capacity.desired_capacity}


def _words(capacity: CapacityTarget) -> str:
    return f"min {capacity.min_size}, desired {capacity.desired_capacity}, max {capacity.max_size}"


def _asg_tags(ctx: RegionContext, tags: dict[str, str], name: str | None = None) -> list[dict[str, Any]]:
    # instances get their tags from the launch template, so ASG tags do not propagate
    return [
        {"ResourceId": name or ctx.name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v}
        | {"PropagateAtLaunch": False}
        for k, v in tags.items()
    ]
