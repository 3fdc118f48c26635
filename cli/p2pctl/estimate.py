"""`p2pctl cost`: the fleet for its window and the control plane per month, from the shipped price table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from p2p_core.config import ConfigItem
from p2p_core.control_plane_cost import (
    ControlPlaneCost,
    cold_share_at,
    control_plane_cost,
    naive_control_plane_cost,
    runs_per_month,
)
from p2p_core.cost import HOURS_PER_MONTH, PRICES_AS_OF, SPOT_PRICES_AS_OF, CostError, FleetCost, fleet_cost
from p2p_core.market import Buying
from p2p_core.radar.fleet_view import report_interval
from p2p_core.radar_cost import per_1000_agents, radar_cost
from p2p_core.spot_cost import SpotFleetCost, spot_fleet_cost
from p2p_core.timemodel import effective_window
from p2pctl.errors import CliError

SpotPrices = Callable[[list[str], tuple[str, ...]], tuple[dict[str, dict[str, float]] | None, str]]


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
    radar: ControlPlaneCost | None = None  # agents reporting to the radar (agent.radar), per month

    def as_dict(self) -> dict[str, Any]:
        fleet = self.fleet
        return {
            "prices_as_of": PRICES_AS_OF,
            "fleet": {
                "instance_type": fleet.instance_type,
                "hours": fleet.hours,
                "period": self.hours_label,
                "instances": fleet.instances,
                "instance_cost_usd": round(fleet.instance_cost, 4),
                "ebs_cost_usd": round(fleet.ebs_cost, 4),
                "total_usd": round(fleet.total, 4),
                "per_day_usd": round(self.per_day.total, 4),
                "regions": {
                    line.region: {"instances": line.instances, "usd": round(line.total, 4)} for line in fleet.lines
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
            "control_plane_monthly_usd": round(self.control_plane.total, 4),
            "naive_fan_out_monthly_usd": round(self.naive.total, 4),
            "runs_per_month": self.control_plane.runs_per_month,
            "control_plane_items": {item.name: round(item.cost, 4) for item in self.control_plane.items},
            "radar_monthly_usd": round(self.radar.total, 4) if self.radar else 0.0,
            "radar_items": {item.name: round(item.cost, 4) for item in self.radar.items} if self.radar else {},
        }

    def print(self, console: Console) -> None:
        fleet = self.fleet
        # on-demand and Spot side by side; each total includes the volumes (EBS, the same either way)
        table = Table("region", "n", "on-demand $/h", "on-demand $", "Spot $/h", "od+Spot", "Spot $")
        for line, spot in zip(fleet.lines, self.spot.lines, strict=True):
            table.add_row(
                line.region,
                str(line.instances),
                f"{line.hourly_price:.4f}",
                f"{line.total:.2f}",
                f"{spot.spot_hourly_price:.4f}",
                f"{spot.on_demand}+{spot.spot}",
                f"{spot.cost:.2f}",
            )
        table.title = f"fleet: {fleet.instance_type}, {fleet.volume_gb} GB {fleet.volume_type}, {self.hours_label}"
        console.print(table)
        console.print(
            f"fleet: ${self.per_day.total:.2f} per day while running; ${fleet.total:.2f} {self.hours_label} "
            f"({fleet.instances} instances)",
            highlight=False,
        )
        console.print(
            f"fleet on Spot: ${self.spot_per_day.total:.2f} per day; ${self.spot.total:.2f} {self.hours_label} "
            f"({self.buying.words()}; {self.spot.spot_instances} Spot instances)",
            highlight=False,
        )
        console.print(f"Spot prices: {self.spot.price_source}", highlight=False)
        plane = Table("item", "quantity", "unit", "$")
        for item in self.control_plane.items:
            plane.add_row(item.name, f"{item.quantity:,.6g}", item.unit, f"{item.cost:.4f}")
        plane.title = f"control plane per month ({self.control_plane.runs_per_month:,.0f} runs)"
        console.print(plane)
        starts = "every run a cold start" if cold_share_at(self.control_plane.runs_per_month) else "Lambdas kept warm"
        console.print(
            f"control plane: ${self.control_plane.total:.2f}/month (model: Lambda CPU as measured by `make bench`, "
            f"{starts}; a fan-out visiting every region each run: ${self.naive.total:.2f}/month); "
            f"prices as of {PRICES_AS_OF}",
            highlight=False,
        )
        if self.radar is not None:
            print_radar(console, self.radar, self.fleet.instances)


def estimate(config: ConfigItem, now: datetime, spot_prices: SpotPrices | None = None) -> Estimate:
    """The estimate for `config` if it were first seen `now`, on-demand and on Spot side by side.

    The Spot column uses the config's purchase settings, or, for an on-demand item, what `market: spot`
    would buy; `spot_prices` reads current Spot prices (else the dated table is used).
    """
    window = effective_window(config, now)
    if window.stop is not None:
        hours = max(0.0, (window.stop - window.start).total_seconds() / 3600)
        label = f"for its {hours:g}-hour window"
    else:
        hours, label = HOURS_PER_MONTH, "per month (no stop set)"
    regions = config.selected_regions()
    capacity = {region: config.desired_capacity.resolve(region) or 0 for region in regions}
    instance = config.instance
    try:
        fleet = fleet_cost(instance.type, capacity, hours, instance.volume_size, instance.volume_type)
        per_day = fleet_cost(instance.type, capacity, 24.0, instance.volume_size, instance.volume_type)
        runs = runs_per_month(config.schedule_expression)
        buying = spot_buying(config)
        live, source = spot_prices(regions, buying.types) if spot_prices else (None, "")
        source = source or f"table as of {SPOT_PRICES_AS_OF}"

        def on_spot(on_demand: FleetCost) -> SpotFleetCost:
            return spot_fleet_cost(
                on_demand, buying.types, buying.on_demand_base, buying.spot_allocation, live=live, price_source=source
            )

        spot, spot_per_day = on_spot(fleet), on_spot(per_day)
    except CostError as exc:
        raise CliError(str(exc), "choose a priced instance type, or estimate by hand for this one") from None
    return Estimate(
        buying=buying,
        spot=spot,
        spot_per_day=spot_per_day,
        fleet=fleet,
        per_day=per_day,
        hours_label=label,
        control_plane=control_plane_cost(runs, len(regions)),
        radar=radar_estimate(config, capacity),
        naive=naive_control_plane_cost(runs, len(regions)),
    )


def radar_estimate(config: ConfigItem, capacity: dict[str, int]) -> ControlPlaneCost | None:
    """What the configured fleet's reports to the radar cost per month; None with `agent.radar: false`."""
    if not config.agent.radar:
        return None
    reporting = {region: n for region, n in capacity.items() if n > 0}
    return radar_cost(sum(reporting.values()), len(reporting), report_interval(config.agent.cron))


def print_radar(console: Console, radar: ControlPlaneCost, agents: int) -> None:
    """The radar's line items and its total per month."""
    table = Table("item", "quantity", "unit", "$")
    for item in radar.items:
        table.add_row(item.name, f"{item.quantity:,.6g}", item.unit, f"{item.cost:.4f}")
    table.title = f"radar per month ({agents} agents reporting, {radar.runs_per_month:,.0f} reports)"
    console.print(table)
    per_1000 = f"${per_1000_agents(radar, agents):.2f} per 1,000 agents; " if agents else ""
    console.print(f"radar: ${radar.total:.2f}/month ({per_1000}agent.radar: false turns it off)", highlight=False)


def spot_buying(config: ConfigItem) -> Buying:
    """The purchase settings the Spot column prices: the config's, or what `market: spot` would buy."""
    bought = config.instance.buying()
    if bought is not None and bought.spot:
        return bought
    spot = config.instance.model_copy(update={"market": "spot"}).buying()
    assert spot is not None  # market spot always buys over a MixedInstancesPolicy
    return spot
