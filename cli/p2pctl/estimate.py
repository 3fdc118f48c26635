"""`p2pctl cost`: the fleet for its window and the control plane per month, from the shipped price table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from p2p_core.config import ConfigItem
from p2p_core.cost import (
    HOURS_PER_MONTH,
    PRICES_AS_OF,
    ControlPlaneCost,
    CostError,
    FleetCost,
    control_plane_cost,
    fleet_cost,
    naive_control_plane_cost,
    runs_per_month,
)
from p2p_core.timemodel import effective_window
from p2pctl.errors import CliError


@dataclass(frozen=True)
class Estimate:
    """Fleet cost over its window (or a month when it never stops) and the control plane's monthly cost."""

    fleet: FleetCost
    per_day: FleetCost
    hours_label: str
    control_plane: ControlPlaneCost
    naive: ControlPlaneCost

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
            "control_plane_monthly_usd": round(self.control_plane.total, 4),
            "naive_fan_out_monthly_usd": round(self.naive.total, 4),
            "runs_per_month": self.control_plane.runs_per_month,
            "control_plane_items": {item.name: round(item.cost, 4) for item in self.control_plane.items},
        }

    def print(self, console: Console) -> None:
        fleet = self.fleet
        table = Table("region", "instances", "$/hour each", "instances $", "EBS $", "total $")
        for line in fleet.lines:
            table.add_row(
                line.region,
                str(line.instances),
                f"{line.hourly_price:.4f}",
                f"{line.instance_cost:.2f}",
                f"{line.ebs_cost:.2f}",
                f"{line.total:.2f}",
            )
        table.title = f"fleet: {fleet.instance_type}, {fleet.volume_gb} GB {fleet.volume_type}, {self.hours_label}"
        console.print(table)
        console.print(
            f"fleet: ${self.per_day.total:.2f} per day while running; ${fleet.total:.2f} {self.hours_label} "
            f"({fleet.instances} instances)",
            highlight=False,
        )
        plane = Table("item", "quantity", "unit", "$")
        for item in self.control_plane.items:
            plane.add_row(item.name, f"{item.quantity:,.6g}", item.unit, f"{item.cost:.4f}")
        plane.title = f"control plane per month ({self.control_plane.runs_per_month:,.0f} runs)"
        console.print(plane)
        console.print(
            f"control plane: ${self.control_plane.total:.2f}/month "
            f"(a fan-out visiting every region each run: ${self.naive.total:.2f}/month); prices as of {PRICES_AS_OF}",
            highlight=False,
        )


def estimate(config: ConfigItem, now: datetime) -> Estimate:
    """The estimate for `config` if it were first seen `now`."""
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
    except CostError as exc:
        raise CliError(str(exc), "choose a priced instance type, or estimate by hand for this one") from None
    return Estimate(
        fleet=fleet,
        per_day=per_day,
        hours_label=label,
        control_plane=control_plane_cost(runs, len(regions)),
        naive=naive_control_plane_cost(runs, len(regions)),
    )
