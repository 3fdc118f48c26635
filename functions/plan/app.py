"""Plan state: validate the config, take the lease, observe every region, return only the drift.

In the scheduled check, a run with nothing to do is recorded here (as Finalize records it): one Lambda invocation per
scheduled no-op check."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from p2p_core import clock
from p2p_core.config.validation import ConfigError
from p2p_core.models.events import ConfigInvalid, PlanRequest
from p2p_core.workflow.finalize_step import record_nothing_to_do, run_metrics, run_summary
from p2p_core.workflow.plan_step import plan_step, plan_summary
from p2p_core.workflow.prepare import prepare_clients
from p2p_core.workflow.runtime import clients_for, current_deployment

logger = Logger()
metrics = Metrics()
# INIT: the selected regions' clients, made at full CPU speed before the first invocation (workflow/prepare.py)
prepare_clients(current_deployment(), clients_for(current_deployment()))


@logger.inject_lambda_context(correlation_id_path="execution")
@metrics.log_metrics
@event_parser(model=PlanRequest)
def handler(event: PlanRequest, context: LambdaContext) -> dict[str, Any]:
    """Return the plan as the state's output (`recorded` when Plan recorded the run); raise ConfigInvalid for a bad
    config item."""
    deployment = current_deployment()
    clients = clients_for(deployment)
    try:
        result = plan_step(event, deployment, clients)
    except ConfigError as exc:
        metrics.add_metric(name="InvalidConfig", unit=MetricUnit.Count, value=1)
        raise ConfigInvalid(exc.summary()) from None
    logger.info("planned", extra=plan_summary(result))
    metrics.add_metric(name="DriftedRegions", unit=MetricUnit.Count, value=len(result.regions))
    # what the agents that report to the radar (AgentReports) are compared with: the FleetAgentsMissing alarm
    metrics.add_metric(name="AgentsInService", unit=MetricUnit.Count, value=sum(result.agents_in_service.values()))
    run = record_nothing_to_do(event, result, deployment, clients, clock.now())
    if run is None:  # Finalize records it (or the reconcile run the scheduled check starts): the plan as it always was
        return result.model_dump(mode="json", exclude={"recorded", "run"})
    for name, value in run_metrics(run).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("run finished", extra=run_summary(run))
    return result.model_copy(update={"recorded": True, "run": run.model_dump(mode="json")}).model_dump(mode="json")
