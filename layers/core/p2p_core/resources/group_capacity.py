"""The Auto Scaling group's capacity: set now, or scheduled (p2p-start and p2p-stop ahead of the window's edges).

Plan decides the capacity and which actions to put and delete (`p2p_core.planner`); this module
reads the actions, settles those already due (AWS rejects a StartTime in the past) and writes both.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from p2p_core import clock
from p2p_core.config.rfc3339 import format_time
from p2p_core.models.observed import START_ACTION, STOP_ACTION, CapacityTarget, ScheduledAction
from p2p_core.models.plan import RegionPlan
from p2p_core.models.window import SCHEDULE_MARGIN
from p2p_core.resources.kind import Raw

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext


def capacity_of(raw: Raw) -> CapacityTarget:
    """Min/Max/Desired of an ASG description."""
    return CapacityTarget(min_size=raw["MinSize"], max_size=raw["MaxSize"], desired_capacity=raw["DesiredCapacity"])


def scheduled_action_of(raw: Raw) -> ScheduledAction | None:
    """A DescribeScheduledActions entry; None when it is not one the reconciler wrote."""
    sizes = (raw.get("MinSize"), raw.get("MaxSize"), raw.get("DesiredCapacity"))
    if raw["ScheduledActionName"] not in (START_ACTION, STOP_ACTION) or None in sizes or raw.get("Recurrence"):
        return None  # not one we wrote: the planner sees it missing and puts it again
    return ScheduledAction(
        name=raw["ScheduledActionName"],
        start_time=raw["StartTime"],
        capacity=CapacityTarget(min_size=sizes[0], max_size=sizes[1], desired_capacity=sizes[2]),
    )


def read_actions(ctx: RegionContext, group_name: str) -> list[ScheduledAction]:
    """The group's p2p scheduled actions (one describe call), by name."""
    response = ctx.autoscaling.describe_scheduled_actions(
        AutoScalingGroupName=group_name, ScheduledActionNames=[START_ACTION, STOP_ACTION]
    )
    actions = [
        a for a in (scheduled_action_of(raw) for raw in response["ScheduledUpdateGroupActions"]) if a is not None
    ]
    return sorted(actions, key=lambda a: a.name)


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


def set_capacity(ctx: RegionContext, name: str, capacity: CapacityTarget) -> None:
    """Min, Max and Desired in one call (AWS checks them against each other)."""
    ctx.autoscaling.update_auto_scaling_group(AutoScalingGroupName=name, **sizes(capacity))
    ctx.did(f"set capacity {capacity_words(capacity)}")


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
            **sizes(action.capacity),
        )
        ctx.did(f"scheduled {action.name} at {format_time(action.start_time)} ({capacity_words(action.capacity)})")


def sizes(capacity: CapacityTarget) -> dict[str, int]:
    """MinSize, MaxSize and DesiredCapacity as the Auto Scaling calls take them."""
    return {"MinSize": capacity.min_size, "MaxSize": capacity.max_size, "DesiredCapacity": capacity.desired_capacity}


def capacity_words(capacity: CapacityTarget) -> str:
    """`min 0, desired 5, max 30`."""
    return f"min {capacity.min_size}, desired {capacity.desired_capacity}, max {capacity.max_size}"
