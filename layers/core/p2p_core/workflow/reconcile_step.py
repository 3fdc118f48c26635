"""ReconcileRegion: make one region match its plan."""

from __future__ import annotations

from p2p_core.aws.clients import ClientFactory
from p2p_core.bootstrap.userdata import render_user_data
from p2p_core.checks.instance_types import NOT_OFFERED
from p2p_core.config import parse_config
from p2p_core.models.deployment import Deployment
from p2p_core.models.events import RegionTask
from p2p_core.models.results import RegionResult
from p2p_core.reconciler.errors import is_retryable
from p2p_core.reconciler.region import reconcile_region


def reconcile_step(task: RegionTask, deployment: Deployment, clients: ClientFactory) -> RegionResult:
    """One Map item; AWS errors come back as a failed RegionResult, not an exception."""
    if task.region_plan.refused:  # Plan found the region cannot be built (or changed) as configured: touch nothing
        return RegionResult(
            region=task.region_plan.region,
            status="failed",
            error_code=task.region_plan.refused_code or NOT_OFFERED,
            error_message=task.region_plan.refused,
            warnings=task.region_plan.warnings,
        )
    config = parse_config(task.config)
    user_data = render_user_data(config, deployment)
    return reconcile_region(clients, deployment, config, task.region_plan, user_data=user_data, run_id=task.run_id)


class RegionThrottled(Exception):
    """The region failed in a way a later attempt may get past; the workflow's Retry tries it again."""


def raise_if_retryable(result: RegionResult) -> None:
    """Throttling (beyond botocore's own retries) and connection errors go back to Step Functions' Retry."""
    if result.status == "failed" and is_retryable(result.error_code or ""):
        raise RegionThrottled(f"{result.error_code}: {result.error_message}")
