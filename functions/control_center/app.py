"""UpdateControlCenter state: render the CloudFront Function and publish it if it changed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from p2p_core.models.events import ControlCenterTask
from p2p_core.workflow.control_center_step import control_center_step
from p2p_core.workflow.runtime import clients_for, current_deployment

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="run_id")
@metrics.log_metrics
@event_parser(model=ControlCenterTask)
def handler(event: ControlCenterTask, context: LambdaContext) -> dict[str, Any]:
    """Return what was done (the secret path is never logged)."""
    deployment = current_deployment()
    outcome = control_center_step(event, deployment, clients_for(deployment))
    logger.info("control center", extra={"status": outcome.status, "changed": outcome.changed})
    metrics.add_metric(name="ControlCenterPublished", unit=MetricUnit.Count, value=int(outcome.changed))
    return outcome.model_dump(mode="json")
