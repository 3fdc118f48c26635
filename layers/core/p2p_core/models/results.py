"""Per-region outcomes of a run, as recorded in the status item."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RefreshProgress(BaseModel):
    """The region's instance refresh as the run left it: AWS's status and counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    refresh_id: str
    status: str = Field(description="AWS's: Pending, InProgress, Successful, Failed, Cancelling, Cancelled, ...")
    template_version: str = Field(description="the launch template version it rolls out")
    percentage_complete: int = 0
    instances_to_update: int = 0
    reason: str | None = None

    @property
    def summary(self) -> str:
        """Operator words: 'instance refresh to template version 3: InProgress, 33% (2 to update)'."""
        text = (
            f"instance refresh to template version {self.template_version}: {self.status}, "
            f"{self.percentage_complete}% ({self.instances_to_update} to update)"
        )
        return f"{text}: {self.reason}" if self.reason else text


class RegionResult(BaseModel):
    """What ReconcileRegion did in one region, or the error that stopped it.

    `degraded`: the group accepted its capacity but launches fail (AWS's reason in error_message);
    `skipped`: the region is not enabled in the account (never touched, never managed).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str
    status: Literal["ok", "degraded", "failed", "skipped"]
    actions: list[str] = Field(default_factory=list, description="what was changed, in operator words")
    mutating_calls: int = 0
    duration_seconds: float = 0.0
    error_code: str | None = None
    error_message: str | None = None
    infrastructure_hash: str | None = None
    decommissioned: bool = False
    refresh: RefreshProgress | None = Field(None, description="the group's instance refresh, when one runs or ran")
    warnings: list[str] = Field(default_factory=list, description="what Plan dropped (instance types not offered)")
