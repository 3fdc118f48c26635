"""Finalize state: status item, metrics, lease release; fail the run if anything failed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from p2p_core import clock
from p2p_core.models.events import FinalizeRequest
from p2p_core.notifications import repaired_regions
from p2p_core.workflow.finalize_step import finalize_step, run_failure, run_metrics, run_summary
from p2p_core.workflow.runtime import clients_for, current_deployment

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="execution")
@metrics.log_metrics
@event_parser(model=FinalizeRequest)
def handler(event: FinalizeRequest, context: LambdaContext) -> dict[str, Any]:
    """Record the run; raise RunFailed (ConfigInvalid for a bad item) after recording, when anything failed."""
    deployment = current_deployment()
    run = finalize_step(event, deployment, clients_for(deployment), clock.now())
    for name, value in run_metrics(run).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.add_metric(name="DriftRepaired", unit=MetricUnit.Count, value=len(repaired_regions(run, event.plan)))
    logger.info("run finished", extra=run_summary(run))
    if run.status == "failed":
        raise run_failure(run)
    return run.model_dump(mode="json")
