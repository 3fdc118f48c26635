"""UpdateSchedule state: keep the Scheduler schedule's expression equal to schedule_expression."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from p2p_core.models.events import ScheduleTask
from p2p_core.workflow.runtime import clients_for, current_deployment
from p2p_core.workflow.schedule_step import schedule_step

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="run_id")
@metrics.log_metrics
@event_parser(model=ScheduleTask)
def handler(event: ScheduleTask, context: LambdaContext) -> dict[str, Any]:
    """Return what was done."""
    deployment = current_deployment()
    outcome = schedule_step(event, deployment, clients_for(deployment))
    logger.info("schedule", extra={"status": outcome.status, "expression": event.schedule_expression})
    metrics.add_metric(name="ScheduleUpdated", unit=MetricUnit.Count, value=int(outcome.changed))
    return outcome.model_dump(mode="json")
