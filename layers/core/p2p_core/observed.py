"""What exists: the plain model the planner reads and the reconciler fills from AWS."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

START_ACTION = "p2p-start"
STOP_ACTION = "p2p-stop"
ActionName = Literal["p2p-start", "p2p-stop"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CapacityTarget(_Model):
    """Min, Max and Desired of an ASG, always set together."""

    min_size: int = Field(ge=0)
    max_size: int = Field(ge=0)
    desired_capacity: int = Field(ge=0)


class ScheduledAction(_Model):
    """A one-time p2p scheduled action on the ASG."""

    name: ActionName
    start_time: datetime
    capacity: CapacityTarget


class ObservedAsg(_Model):
    """The managed Auto Scaling group as it is."""

    capacity: CapacityTarget
    scheduled_actions: list[ScheduledAction] = Field(default_factory=list)
    instances: int | None = Field(None, description="InService + Pending instances; None = not read")
    template_version: str | None = Field(None, description="the launch template version the group launches")
    instance_versions: dict[str, int] = Field(
        default_factory=dict, description="live instances per launch template version they were launched from"
    )

    @property
    def outdated_versions(self) -> dict[str, int]:
        """Live instances on another launch template version than the group's, per version."""
        if self.template_version is None or not self.template_version.isdigit():
            return {}  # "$Latest"/"$Default" (never set by the reconciler): nothing to compare
        return {v: n for v, n in self.instance_versions.items() if v != self.template_version}


class ObservedRegion(_Model):
    """One region's managed resources, found by tags."""

    region: str
    exists: bool = False
    complete: bool = False
    infrastructure_hash: str | None = None
    asg: ObservedAsg | None = None
    error: str | None = None


class WindowAnchor(_Model):
    """When the control plane first saw the window fields with these values (`digest`): what "now" means."""

    digest: str
    since: datetime


class Observed(_Model):
    """Everything the planner needs to know about the world."""

    regions: dict[str, ObservedRegion] = Field(default_factory=dict)
    managed_regions: list[str] = Field(default_factory=list, description="regions provisioned before (status item)")
    enabled_regions: list[str] | None = Field(None, description="regions the account can use; None = all")
    window_anchor: WindowAnchor | None = Field(None, description="as recorded in the status item")
    schedule_expression: str | None = None
    control_center_code: str | None = None

    def enabled(self, name: str) -> bool:
        """True when the account can use `name` (opt-in regions must be enabled first)."""
        return self.enabled_regions is None or name in self.enabled_regions

    def region(self, name: str) -> ObservedRegion:
        """The region as observed, or an empty one."""
        return self.regions.get(name) or ObservedRegion(region=name)
