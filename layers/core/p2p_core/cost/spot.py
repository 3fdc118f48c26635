"""The fleet bought the Spot way: an on-demand base per region and Spot above it, priced side by side.

Pure, like p2p_core.cost.fleet (whose on-demand fleet it starts from): the Spot prices are either the
region's current ones (DescribeSpotPriceHistory, read by the caller) or the dated table in
p2p_core.cost.fleet times the region's multiplier, and the estimate names which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from p2p_core.cost.fleet import (
    REGION_MULTIPLIER,
    SPOT_PRICES_AS_OF,
    US_EAST_1_SPOT_HOURLY,
    FleetCost,
    not_negative,
    priced,
)

# Spot allocation strategies that go for the lowest price; the capacity-first ones are priced at the mean
_PRICE_FIRST = ("lowest-price", "price-capacity-optimized")


@dataclass(frozen=True)
class SpotLine:
    """One region's fleet bought the Spot way: the on-demand base, Spot above it."""

    region: str
    on_demand: int
    spot: int
    spot_hourly_price: float
    instance_cost: float
    cost: float


@dataclass(frozen=True)
class SpotFleetCost:
    """The fleet's bill over `hours` with an on-demand base and Spot above it, and where the Spot prices came from."""

    hours: float
    price_source: str
    lines: tuple[SpotLine, ...]

    @property
    def total(self) -> float:
        """Instances (base and Spot) and everything billed beside them, USD."""
        return sum(line.cost for line in self.lines)

    @property
    def instance_cost(self) -> float:
        """Compute (the on-demand base and Spot), USD."""
        return sum(line.instance_cost for line in self.lines)

    @property
    def spot_instances(self) -> int:
        """Spot instances across all regions."""
        return sum(line.spot for line in self.lines)


def spot_hourly_price(
    instance_types: Sequence[str], region: str, allocation: str, live: Mapping[str, float] | None = None
) -> float:
    """Spot $/hour of one instance of the group: the cheapest type (price-first strategies) or the mean.

    `live` is the region's current Spot price per type (DescribeSpotPriceHistory); types it lacks, or
    all without it, come from the dated table times the region's multiplier.
    """
    prices = []
    for kind in instance_types:
        if live is not None and kind in live:
            prices.append(live[kind])
        else:
            base = priced("instance.types", kind, US_EAST_1_SPOT_HOURLY)
            prices.append(round(base * priced("regions", region, REGION_MULTIPLIER), 4))
    return min(prices) if allocation in _PRICE_FIRST else sum(prices) / len(prices)


def spot_fleet_cost(
    on_demand: FleetCost,
    instance_types: Sequence[str],
    on_demand_base: int,
    allocation: str,
    *,
    live: Mapping[str, Mapping[str, float]] | None = None,
    price_source: str = f"table as of {SPOT_PRICES_AS_OF}",
) -> SpotFleetCost:
    """The `on_demand` fleet bought with `on_demand_base` instances on-demand per region and Spot above it.

    Volumes, addresses and data transfer cost the same either way; `live` maps region -> type -> current
    Spot $/hour.
    """
    not_negative("instance.on_demand_base", on_demand_base)
    lines = []
    for line in on_demand.lines:
        base = min(line.instances, on_demand_base)
        price = spot_hourly_price(instance_types, line.region, allocation, (live or {}).get(line.region))
        spot = line.instances - base
        compute = (base * line.hourly_price + spot * price) * on_demand.hours
        lines.append(SpotLine(line.region, base, spot, price, compute, compute + line.beside_compute))
    return SpotFleetCost(on_demand.hours, price_source, tuple(lines))
