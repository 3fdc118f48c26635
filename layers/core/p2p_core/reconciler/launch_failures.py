"""Launches that fail after the group accepted the capacity: the region is `degraded`, with AWS's reason.

UpdateAutoScalingGroup succeeds before any instance exists; the group then launches in the
background, and a launch that fails (no capacity in the zone, vCPU limit, unsupported instance type
or architecture, a bad volume) says why only in the group's scaling activities. So after changing
capacity, and whenever Plan saw a group below its desired count, the reconciler reads the group
and, if it is still short, its latest scaling activities:

- enough instances (InService or Pending) -> healthy;
- the newest launch activity still in progress -> launching (not an error);
- the newest launch activity failed -> degraded, with its StatusMessage;
- short with no launch in progress -> degraded as well (never `ok` with instances missing).

Right after a capacity change AWS may not have started the activity yet, so that check waits up to
LAUNCH_WAIT_SECONDS for the group to show its instances or an activity.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from p2p_core.reconciler.context import RegionContext

LAUNCH_WAIT_SECONDS = 30.0
LAUNCH_POLL_SECONDS = 3.0
ACTIVITIES_READ = 10
# instances that count towards the desired capacity (a Pending one is on its way)
_LIVE_STATES = ("Pending", "Pending:Wait", "Pending:Proceed", "InService")
_FAILED = ("Failed", "Cancelled")
_DONE = ("Successful", *_FAILED)

LaunchState = Literal["healthy", "launching", "failing", "stalled"]


@dataclass(frozen=True)
class LaunchCheck:
    """How a group's launches stand: its live instances against its desired count, and why."""

    state: LaunchState
    live: int
    desired: int
    reason: str = ""

    @property
    def degraded(self) -> bool:
        """True when instances are missing and nothing is on its way."""
        return self.state in ("failing", "stalled")

    @property
    def summary(self) -> str:
        """Operator words: 'instances below desired (1/3): <AWS's reason>'."""
        head = f"instances below desired ({self.live}/{self.desired})"
        return f"{head}: {self.reason}" if self.reason else head


def live_instances(group: dict[str, Any]) -> int:
    """Instances of a DescribeAutoScalingGroups entry that count towards its desired capacity."""
    return len(live(group))


def live(group: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a group's `Instances` that count towards its desired capacity."""
    return [i for i in group.get("Instances", []) if i.get("LifecycleState") in _LIVE_STATES]


def judge_launches(group: dict[str, Any], activities: list[dict[str, Any]]) -> LaunchCheck:
    """The group's launch state from its description and its scaling activities (newest first)."""
    live, desired = live_instances(group), int(group.get("DesiredCapacity", 0))
    if live >= desired:
        return LaunchCheck("healthy", live, desired)
    launches = [a for a in activities if str(a.get("Description", "")).startswith("Launching")]
    if not launches:
        return LaunchCheck("stalled", live, desired, "no launch in progress")
    newest = launches[0]
    if newest.get("StatusCode") not in _DONE:
        return LaunchCheck("launching", live, desired, f"launch {newest.get('StatusCode', 'in progress')}")
    if newest.get("StatusCode") in _FAILED:
        return LaunchCheck("failing", live, desired, str(newest.get("StatusMessage") or newest.get("Description")))
    return LaunchCheck("stalled", live, desired, "no launch in progress since the last successful one")


def check_launches(
    ctx: RegionContext,
    group: dict[str, Any],
    *,
    wait: bool,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> LaunchCheck:
    """Judge `group`'s launches, reading it again while AWS may still be starting them (`wait`)."""
    deadline = clock() + (LAUNCH_WAIT_SECONDS if wait else 0.0)
    while True:
        check = judge_launches(group, [])
        if check.state == "healthy":
            return check
        check = judge_launches(group, _activities(ctx, group["AutoScalingGroupName"]))
        if check.state != "stalled" or clock() >= deadline:
            return check
        sleep(LAUNCH_POLL_SECONDS)
        group = read_group(ctx, group["AutoScalingGroupName"]) or group


def _activities(ctx: RegionContext, name: str) -> list[dict[str, Any]]:
    found = ctx.autoscaling.describe_scaling_activities(AutoScalingGroupName=name, MaxRecords=ACTIVITIES_READ)
    activities: list[dict[str, Any]] = found["Activities"]
    return activities


def read_group(ctx: RegionContext, name: str) -> dict[str, Any] | None:
    """The group as it is now (after a capacity change)."""
    found = ctx.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return found[0] if found else None
