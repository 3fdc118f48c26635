"""The plan: per region, what must change. Produced by the planner, consumed by the reconciler."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from p2p_core.models.observed import CapacityTarget, ScheduledAction


class RegionPlan(BaseModel):
    """What one region needs; `changes` is False for a region that already matches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str
    decommission: bool = False
    ensure_infrastructure: bool = False
    infrastructure_hash: str = ""
    capacity: CapacityTarget | None = Field(None, description="set Min/Max/Desired now; None = leave alone")
    initial_capacity: CapacityTarget = Field(
        default_factory=lambda: CapacityTarget(min_size=0, max_size=0, desired_capacity=0),
        description="what a newly created ASG starts with",
    )
    put_actions: list[ScheduledAction] = Field(default_factory=list)
    delete_actions: list[str] = Field(default_factory=list)
    existing_actions: list[str] = Field(default_factory=list, description="p2p actions on the group at Plan time")
    check_launches: bool = Field(False, description="the group had fewer instances than desired: read why")
    roll_instances: bool = Field(False, description="instances run an older launch template version: refresh them")
    reasons: list[str] = Field(default_factory=list)
    drifts: list[str] = Field(
        default_factory=list, description="what verification found different from the config, in operator words"
    )
    refused: str | None = Field(None, description="why Plan refuses to build this region: it fails, untouched")
    refused_code: str | None = Field(None, description="the error code the refused region fails with")
    not_offered: list[str] | None = Field(
        None, description="configured instance types this region does not offer (dropped); None = not read this run"
    )
    warnings: list[str] = Field(default_factory=list, description="what Plan dropped or doubts, in operator words")

    @property
    def changes(self) -> bool:
        """True when the reconciler has something to do here."""
        return bool(
            self.decommission
            or self.refused
            or self.ensure_infrastructure
            or self.capacity
            or self.put_actions
            or self.delete_actions
            or self.check_launches
            or self.roll_instances
        )


class Plan(BaseModel):
    """The whole run's plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    now: datetime
    config_version: int
    config_digest: str
    anchor: datetime = Field(description="what start_time 'now' resolved to")
    window_digest: str = Field(description="the window fields' digest the anchor belongs to")
    start: datetime
    stop: datetime | None
    phase: str
    regions: list[RegionPlan]
    selected_regions: list[str]
    skipped_regions: list[str] = Field(default_factory=list, description="selected or managed, not enabled")
    schedule_expression: str
    update_schedule: bool = False
    update_control_center: bool = False

    @property
    def drifted(self) -> list[RegionPlan]:
        """Only the regions with changes, the Map's items."""
        return [r for r in self.regions if r.changes]

    @property
    def nothing_to_do(self) -> bool:
        """True for a no-op run."""
        return not self.drifted and not self.update_schedule and not self.update_control_center
