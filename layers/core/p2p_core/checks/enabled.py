"""Which regions the account can use: opt-in regions it has not enabled are skipped, never touched."""

from __future__ import annotations

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment

NOT_ENABLED = "not-opted-in"
SKIP_REASON = "not enabled in this account"


def enabled_regions(clients: ClientFactory, deployment: Deployment) -> list[str]:
    """Every region the account can use: one EC2 DescribeRegions (AllRegions) in the home region."""
    ec2 = clients.client("ec2", deployment.home_region)
    found = ec2.describe_regions(AllRegions=True)["Regions"]
    return sorted(str(r["RegionName"]) for r in found if r.get("OptInStatus") != NOT_ENABLED)
