"""Per-region outcomes of a run, as recorded in the status item."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
