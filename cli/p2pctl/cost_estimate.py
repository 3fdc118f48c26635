"""`p2pctl cost`: the fleet for its window and the control plane per month, from the shipped price tables."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rich.console import Console

from p2p_core.config import ConfigItem
from p2p_core.cost.bill import NOT_READ, BillItem, RegionCount, Running, bill_items, region_counts
from p2p_core.cost.checking import TODAY, Checking, for_config, runs_per_month
from p2p_core.cost.control_plane import (
    ControlPlaneCost,
    control_plane_cost,
    naive_control_plane_cost,
)
from p2p_core.cost.drift_events import DriftEvents
from p2p_core.cost.fleet import (
    DEFAULT_EGRESS_GB_PER_DAY,
    HOURS_PER_MONTH,
    PRICES_AS_OF,
    SPOT_PRICES_AS_OF,
    CostError,
    FleetCost,
    fleet_cost,
)
from p2p_core.cost.radar import radar_cost
from p2p_core.cost.spot import SpotFleetCost, spot_fleet_cost
from p2p_core.market import Buying
from p2p_core.radar.fleet_view import report_interval
from p2p_core.timemodel import effective_window
from p2pctl.cost_report import control_plane_json, print_estimate
from p2pctl.errors import CliError


@dataclass(frozen=True)
class FleetFacts:
    """What AWS said about the fleet's regions (p2pctl.cost_facts reads it), each with its source; the defaults:
    nothing read, so every selected region is priced, `-` regions at 0, Spot from the dated table."""

    enabled: frozenset[str] | None = None
    enabled_source: str = "not read: every selected region priced"
    running: Running = NOT_READ
    spot: dict[str, dict[str, float]] | None = None
    spot_source: str = f"table as of {SPOT_PRICES_AS_OF}"


@dataclass(frozen=True)
class Estimate:
    """Fleet cost over its window (or a month when it never stops) and the control plane's monthly cost."""

    fleet: FleetCost
    per_day: FleetCost
    hours_label: str
    control_plane: ControlPlaneCost
    naive: ControlPlaneCost
    buying: Buying
    spot: SpotFleetCost
    spot_per_day: SpotFleetCost
    counts: tuple[RegionCount, ...]
    left_out: dict[str, str]
    facts: FleetFacts
    radar: ControlPlaneCost | None = None  # agents reporting to the radar (agent.radar), per month
    schedule_expression: str = ""  # the config's: the control plane's cadence
    checking: Checking = TODAY  # how its checks read the regions (the config's verify_interval)

    def items(self) -> tuple[BillItem, ...]:
        """The fleet's bill per day while it runs, item by item, on-demand and on Spot."""
        return bill_items(self.per_day, self.spot_per_day)

    def as_dict(self) -> dict[str, Any]:
        fleet = self.fleet
        counted = {count.region: count for count in self.counts}
        return {
            "prices_as_of": PRICES_AS_OF,
            "egress_gb_per_day": fleet.egress_gb_per_day,
            "regions_source": self.facts.enabled_source,
            "not_priced": self.left_out,
            "items_per_day": [
                {
                    "item": i.name,
                    "on_demand_usd": round(i.on_demand, 4),
                    "spot_usd": round(i.spot, 4),
                    "source": i.source,
                }
                for i in self.items()
            ],
            "fleet": {
                "instance_type": fleet.instance_type,
                "hours": fleet.hours,
                "period": self.hours_label,
                "instances": fleet.instances,
                "instance_cost_usd": round(fleet.instance_cost, 4),
                "ebs_cost_usd": round(fleet.ebs_cost, 4),
                "ipv4_cost_usd": round(fleet.ipv4_cost, 4),
                "egress_cost_usd": round(fleet.egress_cost, 4),
                "total_usd": round(fleet.total, 4),
                "per_day_usd": round(self.per_day.total, 4),
                "regions": {
                    line.region: {
                        "instances": line.instances,
                        "instances_source": counted[line.region].source,
                        "usd": round(line.total, 4),
                    }
                    for line in fleet.lines
                },
            },
            "spot": {
                "instance_types": list(self.buying.types),
                "on_demand_base": self.buying.on_demand_base,
                "spot_allocation": self.buying.spot_allocation,
                "price_source": self.spot.price_source,
                "spot_instances": self.spot.spot_instances,
                "total_usd": round(self.spot.total, 4),
                "per_day_usd": round(self.spot_per_day.total, 4),
                "regions": {
                    line.region: {
                        "on_demand": line.on_demand,
                        "spot": line.spot,
                        "spot_hourly_usd": round(line.spot_hourly_price, 6),
                        "usd": round(line.cost, 4),
                    }
                    for line in self.spot.lines
                },
            },
            "control_plane": control_plane_json(self.control_plane, self.schedule_expression, self.checking),
            "control_plane_monthly_usd": round(self.control_plane.total, 4),
            "naive_fan_out_monthly_usd": round(self.naive.total, 4),
            "runs_per_month": self.control_plane.runs_per_month,
            "control_plane_items": {item.name: round(item.cost, 4) for item in self.control_plane.items},
            "radar_monthly_usd": round(self.radar.total, 4) if self.radar else 0.0,
            "radar_items": {item.name: round(item.cost, 4) for item in self.radar.items} if self.radar else {},
        }

    def print(self, console: Console) -> None:
        print_estimate(self, console)


def estimate(
    config: ConfigItem,
    now: datetime,
    facts: FleetFacts | None = None,
    egress_gb_per_day: float = DEFAULT_EGRESS_GB_PER_DAY,
    drift: DriftEvents | None = None,
) -> Estimate:
    """The estimate for `config` if it were first seen `now`, on-demand and on Spot side by side; the control plane
    with the `drift` events assumed (and CreateTrail's trail when `drift.create_trail`).

    `facts` is what AWS said (enabled regions, `-` regions' instances, Spot prices; default: nothing
    read). The Spot column uses the config's purchase settings, or, for an on-demand item, what
    `market: spot` would buy.
    """
    facts = facts or FleetFacts()
    window = effective_window(config, now)
    if window.stop is not None:
        hours = max(0.0, (window.stop - window.start).total_seconds() / 3600)
        label = f"for its {hours:g}-hour window"
    else:
        hours, label = HOURS_PER_MONTH, "per month (no stop set)"
    regions = config.selected_regions()
    checking = replace(for_config(config), drift=drift or DriftEvents())
    counts, left_out = region_counts(regions, config.desired_capacity, facts.enabled, facts.running)
    capacity = {count.region: count.instances for count in counts}
    instance = config.instance
    public_ipv4 = config.network.public_ipv4  # IPv6-only agents hold no public IPv4
    try:

        def on_demand(period: float) -> FleetCost:
            return fleet_cost(
                instance.type,
                capacity,
                period,
                instance.volume_size,
                instance.volume_type,
                public_ipv4=public_ipv4,
                egress_gb_per_day=egress_gb_per_day,
            )

        fleet, per_day = on_demand(hours), on_demand(24.0)
        runs = runs_per_month(config.schedule_expression)
        buying = spot_buying(config)

        def on_spot(bill: FleetCost) -> SpotFleetCost:
            return spot_fleet_cost(
                bill,
                buying.types,
                buying.on_demand_base,
                buying.spot_allocation,
                live=facts.spot,
                price_source=facts.spot_source,
            )

        spot, spot_per_day = on_spot(fleet), on_spot(per_day)
    except CostError as exc:
        fix = "choose a priced instance type, or estimate by hand for this one"
        if exc.field == "egress_gb_per_day":
            fix = "--egress-gb-per-day takes GB per instance per day, 0 or more"
        raise CliError(str(exc), fix) from None
    return Estimate(
        buying=buying,
        spot=spot,
        spot_per_day=spot_per_day,
        fleet=fleet,
        per_day=per_day,
        hours_label=label,
        control_plane=control_plane_cost(runs, len(regions), checking=checking),
        radar=radar_estimate(config, capacity),
        naive=naive_control_plane_cost(runs, len(regions)),
        schedule_expression=config.schedule_expression,
        checking=checking,
        counts=tuple(counts),
        left_out=left_out,
        facts=facts,
    )


def radar_estimate(config: ConfigItem, capacity: dict[str, int]) -> ControlPlaneCost | None:
    """What the configured fleet's reports to the radar cost per month; None with `agent.radar: false`."""
    if not config.agent.radar:
        return None
    reporting = {region: n for region, n in capacity.items() if n > 0}
    return radar_cost(sum(reporting.values()), len(reporting), report_interval(config.agent.cron))


def spot_buying(config: ConfigItem) -> Buying:
    """The purchase settings the Spot column prices: the config's, or what `market: spot` would buy."""
    bought = config.instance.buying()
    if bought is not None and bought.spot:
        return bought
    spot = config.instance.model_copy(update={"market": "spot"}).buying()
    assert spot is not None  # market spot always buys over a MixedInstancesPolicy
    return spot
