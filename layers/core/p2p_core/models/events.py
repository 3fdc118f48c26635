"""What the state machine passes between its states: one pydantic model per state's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from p2p_core.models.deployment import MAX_CONCURRENCY
from p2p_core.models.plan import RegionPlan
from p2p_core.models.results import RegionResult
from p2p_core.models.window import Window


class _Event(BaseModel):
    # Step Functions may add fields (e.g. `error` from a Catch); ignore what a step does not read
    model_config = ConfigDict(extra="ignore", frozen=True)


class RecordNothingToDo(_Event):
    """The scheduled check's ask: a run with nothing to do is recorded by Plan itself, as Finalize would record it."""

    state_machine: str | None = Field(None, description="for a follow-up run when the config changed meanwhile")


class PlanRequest(_Event):
    """Plan's input: the execution's identity and start time (the run's "now")."""

    execution: str
    started_at: datetime
    input: dict[str, Any] = Field(default_factory=dict)
    record_nothing_to_do: RecordNothingToDo | None = Field(
        None, description="the scheduled check: a no-op or skipped run is recorded in Plan's invocation (no Finalize)"
    )


class PlanResult(_Event):
    """Plan's output, the state the rest of the run reads."""

    run_id: str
    source: str = "manual"
    skipped: bool = False
    skip_reason: str | None = None
    held_by: str | None = Field(None, description="a skipped run: the execution holding the lease")
    nothing_to_do: bool
    config: dict[str, Any] = Field(default_factory=dict)
    config_version: int = 0
    config_digest: str = ""
    window: Window | None = None
    phase: str = ""
    regions: list[RegionPlan] = Field(default_factory=list, description="only the drifted regions")
    unchanged_regions: list[str] = Field(default_factory=list)
    skipped_regions: list[str] = Field(default_factory=list, description="not enabled in the account: not touched")
    update_control_center: bool = False
    update_schedule: bool = False
    schedule_expression: str = ""
    max_concurrency: int = MAX_CONCURRENCY
    observe_errors: dict[str, str] = Field(default_factory=dict)
    verified_quietly: list[str] = Field(
        default_factory=list, description="unchanged regions a scheduled check read with two calls (verification.py)"
    )
    agents_in_service: dict[str, int] = Field(
        default_factory=dict, description="instances in service or launching per observed region (AgentsInService)"
    )
    recorded: bool = Field(False, description="Plan recorded this run itself (record_nothing_to_do): no Finalize")
    run: dict[str, Any] | None = Field(None, description="the run as Plan recorded it (the status item's entry)")
    # the status items as this Plan read them (storage/status.py's Status), never serialized: a scheduled check's
    # Plan records its run from them instead of reading the status item again, billed by its size, under the lease
    _status: Any = PrivateAttr(None)

    @property
    def status_read(self) -> Any:
        """The status Plan read for this result (None: it read none, or the result was deserialized)."""
        return self._status


class RegionTask(_Event):
    """One Map item: a region's plan and the config it was made from."""

    run_id: str
    config: dict[str, Any]
    region_plan: RegionPlan


class ControlCenterTask(_Event):
    """UpdateControlCenter's input."""

    run_id: str
    config: dict[str, Any]
    window: Window | None = None
    update: bool


class ScheduleTask(_Event):
    """UpdateSchedule's input."""

    run_id: str
    schedule_expression: str
    update: bool


class StepOutcome(_Event):
    """What UpdateControlCenter / UpdateSchedule did (or the error a Catch recorded)."""

    status: Literal["ok", "failed", "skipped"] = "ok"
    changed: bool = False
    calls: list[str] = Field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None


class Applied(_Event):
    """The Parallel state's output."""

    regions: list[RegionResult] = Field(default_factory=list)
    control_center: StepOutcome = Field(default_factory=StepOutcome)
    schedule: StepOutcome = Field(default_factory=StepOutcome)


class FinalState(PlanResult):
    """The state Finalize receives: the plan plus what the Parallel state did.

    When Plan fails, its Catch hands Finalize the run's input with `plan_error` (no plan): hence the defaults.
    """

    run_id: str = ""
    nothing_to_do: bool = True
    applied: Applied | None = None
    apply_error: dict[str, Any] | None = None
    plan_error: dict[str, Any] | None = Field(None, description="Error and Cause of a failed Plan (Catch)")


class ConfigInvalid(Exception):
    """The config item failed validation; the message names every bad field and its value (the run's error)."""


class FinalizeRequest(_Event):
    """Finalize's input."""

    execution: str
    started_at: datetime
    state_machine: str | None = Field(None, description="for a follow-up run when the config changed meanwhile")
    plan: FinalState
