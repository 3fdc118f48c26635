"""ReconcileRegion state: make one region match its plan."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from p2p_core.models.events import RegionTask
from p2p_core.workflow.reconcile_step import raise_if_retryable, reconcile_step
from p2p_core.workflow.runtime import clients_for, current_deployment

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="run_id")
@metrics.log_metrics
@event_parser(model=RegionTask)
def handler(event: RegionTask, context: LambdaContext) -> dict[str, Any]:
    """Return the region's result; AWS errors are a failed result, not an exception."""
    deployment = current_deployment()
    result = reconcile_step(event, deployment, clients_for(deployment))
    logger.info(
        "region reconciled", extra={"region": result.region, "status": result.status, "actions": result.actions}
    )
    metrics.add_metric(name="MutatingCalls", unit=MetricUnit.Count, value=result.mutating_calls)
    metrics.add_metric(name="RegionFailed", unit=MetricUnit.Count, value=int(result.status == "failed"))
    with single_metric(name="RegionMutatingCalls", unit=MetricUnit.Count, value=result.mutating_calls) as metric:
        metric.add_dimension(name="Region", value=result.region)
    raise_if_retryable(result)  # throttled: Step Functions retries the region with backoff and jitter
    return result.model_dump(mode="json")
