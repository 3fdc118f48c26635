"""Which regions the fleet bill prices, at how many instances, and the bill as line items with their sources.

Pure: what AWS said (the regions the account has enabled, the instances a `-` region runs now) comes
in as arguments, each with where it came from, and every line of the estimate carries its source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from p2p_core.config.capacity import CapacitySpec
from p2p_core.cost.fleet import EGRESS_AS_OF, PRICES_AS_OF, PUBLIC_IPV4_HOURLY, PUBLIC_IPV4_SINCE, FleetCost
from p2p_core.cost.spot import SpotFleetCost

NOT_ENABLED = "not enabled in this account: never priced"
FROM_CONFIG = "config"


@dataclass(frozen=True)
class RegionCount:
    """How many instances a region is priced at, and why that many."""

    region: str
    instances: int
    source: str


@dataclass(frozen=True)
class Running:
    """The instances each `-` region's managed group runs now, as read from AWS (`source` says how, or why not)."""

    instances: Mapping[str, int]
    source: str


def region_counts(
    selected: Sequence[str], capacity: CapacitySpec, enabled: frozenset[str] | None, running: Running
) -> tuple[list[RegionCount], dict[str, str]]:
    """(the regions priced with their counts, the selected regions left out with the reason).

    A region the account has not enabled is never priced (`enabled` None: not known, every region is);
    a `-` region ("leave alone") is priced at the instances it runs now, or at 0 when they could not be read.
    """
    counts: list[RegionCount] = []
    left_out: dict[str, str] = {}
    for region in selected:
        if enabled is not None and region not in enabled:
            left_out[region] = NOT_ENABLED
            continue
        wanted = capacity.resolve(region)
        if wanted is not None:
            counts.append(RegionCount(region, wanted, FROM_CONFIG))
        elif region in running.instances:
            counts.append(RegionCount(region, running.instances[region], f"'-': running now ({running.source})"))
        else:
            counts.append(RegionCount(region, 0, f"'-': priced at 0, running instances not read ({running.source})"))
    return counts, left_out


NOT_READ = Running({}, "not read")


@dataclass(frozen=True)
class BillItem:
    """One line of the fleet bill, on-demand and on Spot, and where its price came from."""

    name: str
    on_demand: float
    spot: float
    source: str


def bill_items(fleet: FleetCost, spot: SpotFleetCost) -> tuple[BillItem, ...]:
    """Compute, root volume, public IPv4 address and data transfer out: everything the instances are billed."""
    if fleet.public_ipv4:
        ipv4 = f"${PUBLIC_IPV4_HOURLY}/hour per public IPv4 address, every region (AWS, since {PUBLIC_IPV4_SINCE})"
    else:
        ipv4 = "none: network.public_ipv4 is false (IPv6-only agents hold no public IPv4 address)"
    sent = f"data transfer out ({fleet.egress_gb_per_day:g} GB/day)"
    egress = (
        f"{fleet.egress_gb_per_day:g} GB per instance per day assumed (--egress-gb-per-day); internet egress list "
        f"price, first 10 TB tier, table as of {EGRESS_AS_OF} (the 100 GB/month free tier ignored)"
    )
    return (
        BillItem(
            f"compute ({fleet.instance_type})",
            fleet.instance_cost,
            spot.instance_cost,
            f"on-demand: EC2 table as of {PRICES_AS_OF}; Spot: {spot.price_source}",
        ),
        BillItem(
            f"root volume ({fleet.volume_gb} GB {fleet.volume_type})",
            fleet.ebs_cost,
            fleet.ebs_cost,
            f"EBS $/GB-month, table as of {PRICES_AS_OF}",
        ),
        BillItem("public IPv4 address", fleet.ipv4_cost, fleet.ipv4_cost, ipv4),
        BillItem(sent, fleet.egress_cost, fleet.egress_cost, egress),
    )
