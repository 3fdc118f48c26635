"""ReconcileRegion: make one region match its plan."""

from __future__ import annotations

from p2p_core.aws.clients import ClientFactory
from p2p_core.bootstrap.userdata import render_user_data
from p2p_core.config import parse_config
from p2p_core.deployment import Deployment
from p2p_core.reconciler.region import reconcile_region
from p2p_core.results import RegionResult
from p2p_core.workflow.events import RegionTask


def reconcile_step(task: RegionTask, deployment: Deployment, clients: ClientFactory) -> RegionResult:
    """One Map item; AWS errors come back as a failed RegionResult, not an exception."""
    config = parse_config(task.config)
    user_data = render_user_data(config, deployment.control_center_urls)
    return reconcile_region(clients, deployment, config, task.region_plan, user_data=user_data)
