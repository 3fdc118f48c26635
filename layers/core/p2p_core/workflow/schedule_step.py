"""UpdateSchedule: keep the EventBridge Scheduler schedule's expression equal to `schedule_expression`."""

from __future__ import annotations

from typing import Any

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.models.events import ScheduleTask, StepOutcome

# UpdateSchedule replaces the whole schedule: carry every field of the current one over
_KEPT_FIELDS = (
    "Description",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "State",
    "KmsKeyArn",
    "FlexibleTimeWindow",
    "Target",
    "ActionAfterCompletion",
)


def _scheduler(clients: ClientFactory, deployment: Deployment) -> Any:
    return clients.client("scheduler", deployment.home_region)


def current_expression(clients: ClientFactory, deployment: Deployment) -> str | None:
    """The schedule's expression now, or None when there is no schedule to follow."""
    if not deployment.schedule_name:
        return None
    scheduler = _scheduler(clients, deployment)
    try:
        found = scheduler.get_schedule(Name=deployment.schedule_name, GroupName=deployment.schedule_group)
    except scheduler.exceptions.ResourceNotFoundException:
        return None
    expression: str = found["ScheduleExpression"]
    return expression


def schedule_step(task: ScheduleTask, deployment: Deployment, clients: ClientFactory) -> StepOutcome:
    """The UpdateSchedule state; skipped (no AWS call) when Plan found the expression unchanged."""
    if not task.update or not deployment.schedule_name:
        return StepOutcome(status="skipped")
    scheduler = _scheduler(clients, deployment)
    found = scheduler.get_schedule(Name=deployment.schedule_name, GroupName=deployment.schedule_group)
    if found["ScheduleExpression"] == task.schedule_expression:
        return StepOutcome(status="ok", changed=False, calls=["GetSchedule"])
    kept = {key: found[key] for key in _KEPT_FIELDS if found.get(key) is not None}
    scheduler.update_schedule(
        Name=deployment.schedule_name,
        GroupName=deployment.schedule_group,
        ScheduleExpression=task.schedule_expression,
        **kept,
    )
    return StepOutcome(status="ok", changed=True, calls=["GetSchedule", "UpdateSchedule"])
