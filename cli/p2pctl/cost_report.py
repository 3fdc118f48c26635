"""How `p2pctl cost` and the demo print an estimate: regions, the bill item by item with sources, the control plane.

Fits 80 columns: region names are never cut (two regions must never print alike), and the sources
are printed as lines of their own rather than squeezed into a table column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from p2p_core.cost.checking import TODAY, Checking
from p2p_core.cost.control_plane import ControlPlaneCost, cold_share_at
from p2p_core.cost.drift_events import TRAIL_PRICES_AS_OF
from p2p_core.cost.fleet import HOURS_PER_MONTH, PRICES_AS_OF
from p2p_core.cost.radar import per_1000_agents
from p2p_core.cost.usage import MEASURED_AT
from p2p_core.regions import commercial_regions

if TYPE_CHECKING:
    from p2pctl.cost_estimate import Estimate

REGION_WIDTH = max(len(region) for region in commercial_regions()) + 2  # and " *" (instances read from AWS)


def print_estimate(report: Estimate, console: Console) -> None:
    """The estimate as an operator reads it."""
    fleet, spot = report.fleet, report.spot
    sources = {count.region: count.source for count in report.counts}
    regions = Table(title=f"fleet: {fleet.instance_type}, {report.hours_label}")
    regions.add_column("region", no_wrap=True, min_width=REGION_WIDTH)
    for name in ("n", "on-demand $/h", "on-demand $", "Spot $/h", "od+Spot", "Spot $"):
        regions.add_column(name, justify="right")
    for line, spot_line in zip(fleet.lines, spot.lines, strict=True):
        note = "" if sources[line.region] == "config" else " *"
        regions.add_row(
            line.region + note,
            str(line.instances),
            f"{line.hourly_price:.4f}",
            f"{line.total:.2f}",
            f"{spot_line.spot_hourly_price:.4f}",
            f"{spot_line.on_demand}+{spot_line.spot}",
            f"{spot_line.cost:.2f}",
        )
    console.print(regions)

    def say(text: str) -> None:
        console.print(text, highlight=False, markup=False, soft_wrap=True)

    for region, source in sources.items():
        if source != "config":
            say(f"* {region}: {source}")
    for region, reason in report.left_out.items():
        say(f"not priced: {region} ({reason})")
    say(f"regions enabled: {report.facts.enabled_source}")
    items = Table(title="per day while running, per instance billed")
    items.add_column("item", no_wrap=True)
    items.add_column("on-demand $", justify="right")
    items.add_column("Spot $", justify="right")
    for item in report.items():
        items.add_row(item.name, f"{item.on_demand:.2f}", f"{item.spot:.2f}")
    items.add_row("total", f"{report.per_day.total:.2f}", f"{report.spot_per_day.total:.2f}")
    console.print(items)
    for item in report.items():
        say(f"{item.name}: {item.source}")
    say(
        f"fleet: ${report.per_day.total:.2f} per day while running; ${fleet.total:.2f} {report.hours_label} "
        f"({fleet.instances} instances)"
    )
    say(
        f"fleet on Spot: ${report.spot_per_day.total:.2f} per day; ${spot.total:.2f} {report.hours_label} "
        f"({report.buying.words()}; {spot.spot_instances} Spot instances)"
    )
    say(f"Spot prices: {spot.price_source}")
    console.print(
        _items(report.control_plane, f"control plane per month ({report.control_plane.runs_per_month:,.0f} runs)")
    )
    starts = "every run a cold start" if cold_share_at(report.control_plane.runs_per_month) else "Lambdas kept warm"
    say(
        f"control plane: ${report.control_plane.total:.2f}/month (model: Lambda CPU as measured by `make bench`, "
        f"{starts}; a fan-out visiting every region each run: ${report.naive.total:.2f}/month); "
        f"prices as of {PRICES_AS_OF}"
    )
    drift = report.checking.drift
    if drift is not None:
        trail = (
            "the stack's own trail (CreateTrail=true), a paid second copy of management events"
            if drift.second_copy
            else "the stack's own trail (CreateTrail=true), the account's first copy of management events: free"
            if drift.create_trail
            else "the account's trail: its first copy of management events is free"
        )
        say(
            f"drift events: {drift.events_per_month:g} a month assumed (about one a day: hand-made changes, launch "
            f"failures, Spot warnings; --drift-events-per-month), each its own run; {trail}"
        )
    if report.radar is not None:
        radar, agents = report.radar, report.fleet.instances
        console.print(_items(radar, f"radar per month ({agents} agents, {radar.runs_per_month:,.0f} reports)"))
        per_1000 = f"${per_1000_agents(radar, agents):.2f} per 1,000 agents; " if agents else ""
        say(f"radar: ${radar.total:.2f}/month ({per_1000}agent.radar: false turns it off)")


def _items(cost: ControlPlaneCost, title: str) -> Table:
    """A monthly bill item by item: quantity, unit, dollars."""
    table = Table("item", "quantity", "unit", "$", title=title)
    for item in cost.items:
        table.add_row(item.name, f"{item.quantity:,.6g}", item.unit, f"{item.cost:.4f}")
    return table


def control_plane_json(cost: ControlPlaneCost, schedule_expression: str, checking: Checking = TODAY) -> dict[str, Any]:
    """`p2pctl cost --json`'s `control_plane`: the monthly total, what it assumes, and every billed item."""
    period = HOURS_PER_MONTH * 3600 / cost.runs_per_month if cost.runs_per_month else 0.0
    return {
        "monthly_usd": round(cost.total, 4),
        "design": cost.design,
        "schedule_expression": schedule_expression,
        "runs_per_month": round(cost.runs_per_month, 2),
        "regions": cost.regions,
        "cold_starts": "every check" if cold_share_at(cost.runs_per_month) else "none (kept warm)",
        "reads_per_region_per_check": round(checking.reads_per_region(period), 2) if period else 0,
        "full_verification": "every check" if checking.full_share(period or 1.0) == 1.0 else "tiered",
        "verify_every_hours": round(checking.verify_every_seconds / 3600, 2) if checking.verify_every_seconds else 0,
        "https_connections_per_check": round(checking.connections(cost.regions, period or None), 2),
        "drift_events_per_month": checking.drift.events_per_month if checking.drift else 0,
        "drift_events": drift_events_json(checking),
        "measured_at": MEASURED_AT,
        "prices_as_of": PRICES_AS_OF,
        "items": [
            {
                "item": item.name,
                "quantity": round(item.quantity, 6),
                "unit": item.unit,
                "unit_usd": item.unit_price,
                "usd": round(item.cost, 6),
            }
            for item in cost.items
        ],
    }


def drift_events_json(checking: Checking) -> dict[str, Any] | None:
    """What the model assumes of drift events and the trail (drift_events.py), or None without them."""
    drift = checking.drift
    if drift is None:
        return None
    return {
        "events_per_month": drift.events_per_month,
        "assumed": "about one a day: hand-made changes, launch failures, Spot warnings (--drift-events-per-month)",
        "events_per_run": drift.events_per_run,
        "repair_share": drift.repair_share,
        "coalescing_wait_seconds": drift.coalescing_wait_seconds,
        "create_trail": drift.create_trail,
        "trail_copy": ("second (paid)" if drift.second_copy else "first (free)") if drift.create_trail else None,
        "trail_prices_as_of": TRAIL_PRICES_AS_OF,
    }
