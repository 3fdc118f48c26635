"""Remove every managed resource of the stack from every region (what `p2pctl teardown` does after its run)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem
from p2p_core.models.deployment import Deployment
from p2p_core.models.plan import RegionPlan
from p2p_core.models.results import RegionResult
from p2p_core.reconciler.errors import NOT_ENABLED_CODES
from p2p_core.reconciler.region import observe_region, reconcile_region

THREADS = 34
# a region the account cannot use holds nothing of ours


def sweep_regions(
    clients: ClientFactory,
    deployment: Deployment,
    regions: list[str],
    on_region: Callable[[RegionResult], None] | None = None,
) -> list[RegionResult]:
    """Find the stack's resources by tag in each region and decommission what is left, in parallel.

    A region with nothing managed comes back "skipped"; one that could not be read comes back "failed".
    """

    def one(region: str) -> RegionResult:
        seen = observe_region(clients, deployment, None, region)
        if seen.error and seen.error.code not in NOT_ENABLED_CODES:
            result = RegionResult(
                region=region, status="failed", error_code=seen.error.code, error_message=seen.error.message
            )
        elif seen.error or not seen.exists:
            result = RegionResult(region=region, status="skipped")
        else:
            plan = RegionPlan(region=region, decommission=True, reasons=["teardown"])
            result = reconcile_region(clients, deployment, ConfigItem(), plan, user_data="")
        if on_region is not None:
            on_region(result)
        return result

    if not regions:
        return []
    with ThreadPoolExecutor(max_workers=min(THREADS, len(regions))) as pool:
        return list(pool.map(one, regions))
