"""How an emulated instance refresh replaces a group's instances, batch by batch (see `refresh`).

A batch is `desired - ceil(desired * MinHealthyPercentage / 100)` instances, at least one: it
terminates them and the group launches replacements on the refresh's version through moto's own
launch path (so scaling activities and `fail_launches` apply); at 100 % each replacement is
launched before its instance is terminated. A batch whose launches fail fails the refresh with the
launch's reason (AWS keeps trying for an hour first). When no instance is left to replace the
refresh succeeds and the group takes its desired configuration.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup

from p2p_emulator.shims.launches import last_failure

ACTIVE = ("Pending", "InProgress", "Cancelling")


@dataclass
class EmulatedRefresh:
    """One instance refresh of one group."""

    refresh_id: str
    group: str
    version: str  # the launch template version it rolls out
    min_healthy: int
    preferences: dict[str, Any]
    desired_configuration: dict[str, Any] | None
    to_update: list[str]  # instance ids still to replace
    total: int
    started: float = field(default_factory=time.monotonic)
    start_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    end_time: datetime | None = None
    status: str = "Pending"
    reason: str | None = None
    batches: int = 0

    def answer(self) -> dict[str, Any]:
        """The InstanceRefresh element of DescribeInstanceRefreshes."""
        done = self.total - len(self.to_update)
        found: dict[str, Any] = {
            "InstanceRefreshId": self.refresh_id,
            "AutoScalingGroupName": self.group,
            "Status": self.status,
            "StartTime": self.start_time,
            "PercentageComplete": 100 if self.status == "Successful" else done * 100 // max(self.total, 1),
            "InstancesToUpdate": len(self.to_update),
            "Preferences": self.preferences,
            "Strategy": "Rolling",
        }
        if self.reason:
            found["StatusReason"] = self.reason
        if self.end_time:
            found["EndTime"] = self.end_time
        if self.desired_configuration:
            found["DesiredConfiguration"] = self.desired_configuration
        return found

    def end(self, status: str, reason: str | None = None) -> None:
        """The refresh is over: Successful, Failed or Cancelled."""
        self.status, self.reason, self.end_time = status, reason, datetime.now(UTC)

    def due(self, pace: float | None) -> float:
        """How many batches should be done by now at `pace` seconds per batch (None: only when advanced)."""
        if not self.to_update or pace == 0:
            return math.inf  # nothing left to replace, or no time between batches: all of them now
        if pace is None:
            return 0
        return (time.monotonic() - self.started) // pace


def refreshes(group: FakeAutoScalingGroup) -> list[EmulatedRefresh]:
    """The group's refreshes, newest first (they go with the group when it is deleted)."""
    found: list[EmulatedRefresh] = getattr(group, "p2p_refreshes", [])
    return found


def active(group: FakeAutoScalingGroup) -> EmulatedRefresh | None:
    """The group's refresh AWS is working on, if any (at most one)."""
    return next((r for r in refreshes(group) if r.status in ACTIVE), None)


def run_batch(group: FakeAutoScalingGroup, refresh: EmulatedRefresh) -> None:
    """Replace the next batch of `refresh`'s instances with instances on its version."""
    refresh.status, refresh.batches = "InProgress", refresh.batches + 1
    present = {s.instance.id for s in group.instance_states}
    refresh.to_update = [i for i in refresh.to_update if i in present]  # scaled in meanwhile: nothing to replace
    desired = group.desired_capacity or 0
    size = max(1, desired - math.ceil(desired * refresh.min_healthy / 100))
    batch, refresh.to_update = refresh.to_update[:size], refresh.to_update[size:]
    if batch and _replace(group, refresh, batch) < len(batch):
        reason = last_failure(group) or "replacement instances did not launch"
        refresh.end("Failed", f"Launching replacement instances failed: {reason}")
        return
    if not refresh.to_update:
        _take_desired_configuration(group, refresh)
        refresh.end("Successful")


def _replace(group: FakeAutoScalingGroup, refresh: EmulatedRefresh, batch: list[str]) -> int:
    """Terminate `batch` and launch as many on the refresh's version; the number launched."""
    backend = group.autoscaling_backend
    kept = group.launch_template_version, group.provided_launch_template_version
    group.launch_template_version = refresh.version  # replacements launch on the version being rolled out
    try:
        before = {s.instance.id for s in group.instance_states}
        if refresh.min_healthy == 100:  # launch before terminating: capacity never drops
            group.replace_autoscaling_group_instances(len(batch), group.get_propagated_tags())
            group.instance_states = [s for s in group.instance_states if s.instance.id not in batch]
        else:  # moto's group relaunches what the detach leaves missing
            backend.detach_instances(group.name, batch, should_decrement=False)
        backend.ec2_backend.terminate_instances(batch)
        return len({s.instance.id for s in group.instance_states} - before)
    finally:
        group.launch_template_version, group.provided_launch_template_version = kept


def _take_desired_configuration(group: FakeAutoScalingGroup, refresh: EmulatedRefresh) -> None:
    mixed = (refresh.desired_configuration or {}).get("MixedInstancesPolicy")
    if mixed:  # AWS: the group takes the desired configuration, its whole policy
        group.mixed_instances_policy = copy.deepcopy(mixed)
    template = (refresh.desired_configuration or {}).get("LaunchTemplate") or (
        (mixed or {}).get("LaunchTemplate") or {}
    ).get("LaunchTemplateSpecification")
    if template and template.get("Version") and template["Version"] != group.provided_launch_template_version:
        group.launch_template_version = group.provided_launch_template_version = template["Version"]
