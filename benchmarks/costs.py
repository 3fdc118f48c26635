"""Cost rows: the scheduled check (the Express watcher) measured and priced, the fleet on-demand vs Spot."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.world import (
    API_LATENCY,
    CONTROL_PLANE_SERVICES,
    config_for,
    emulated,
    state_seconds,
    succeeded,
)
from p2p_core.config import parse_config
from p2p_core.control_plane_cost import (
    RunTimings,
    Transitions,
    control_plane_cost,
    naive_control_plane_cost,
    runs_per_month,
)
from p2p_core.regions import commercial_regions
from p2p_core.workflow.runtime import add_client_hook, remove_client_hook
from p2pctl.runs import RunOutcome
from tests.integration.workflow_world import WorkflowWorld


def execution_seconds(events: list[dict[str, Any]]) -> float:
    """An execution's duration from its history: started to ended (what Express bills)."""
    return float((events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds())


def checked(world: WorkflowWorld, prefix: str) -> RunOutcome:
    """A scheduled run as EventBridge Scheduler starts it (the watcher), which must succeed."""
    outcome = world.scheduled_run(prefix, timeout=300)
    if outcome.status != "SUCCEEDED":
        raise RuntimeError(f"{prefix} check {outcome.status}: {outcome.cause}")
    return outcome


def scheduled_checks(workdir: Path, regions: list[str]) -> dict[str, Any]:
    """Scheduled runs through the watcher in `regions`, 80 ms per regional API call, and the reconcile runs'
    transitions: fresh provisioning, a scheduled no-op, one region's capacity changed and found by the schedule."""
    with emulated(regions, workdir) as world:

        def network(model: Any, **_: Any) -> None:
            if model.service_model.endpoint_prefix not in CONTROL_PLANE_SERVICES:
                time.sleep(API_LATENCY)

        add_client_hook("before-call", network)
        try:
            world.put_config(**config_for(regions))
            fresh = succeeded(world, f"watch-fresh-{len(regions)}")
            standard = succeeded(world, f"watch-noop-{len(regions)}")
            before = len(world.reconcile_runs())
            check = checked(world, f"check-{len(regions)}")
            assert check.states_entered == ["Plan", "NothingToDo", "Recorded"], check.states_entered  # Plan recorded it
            started = [run["name"] for run in world.reconcile_runs()][before:]
            noop_transitions = sum(world.reconcile_run(name, timeout=900).transitions for name in started)
            world.put_config(**config_for(regions, {"all": 2, "aws": {regions[-1]: 4}}))
            drift_check = checked(world, f"drift-{len(regions)}")
            assert drift_check.states_entered[-1] == "StartReconcile", drift_check.states_entered
            drift = world.reconcile_run(drift_check.name, timeout=900)
            if drift.status != "SUCCEEDED":
                raise RuntimeError(f"{drift.name} run {drift.status}: {drift.cause}")
        finally:
            remove_client_hook("before-call", network)
    return {
        "fresh_transitions": fresh.transitions,
        "standard_noop_transitions": standard.transitions,
        "scheduled_noop_standard_transitions": noop_transitions,
        "scheduled_noop_standard_executions": len(started),
        "watcher_seconds": round(execution_seconds(check.events), 2),
        "plan_seconds": round(state_seconds(check.events, "Plan"), 2),
        "drift_transitions": drift.transitions,
        "reconcile_seconds": round(state_seconds(drift.events, "ReconcileRegion"), 2),
    }


def watcher_costs(workdir: Path) -> dict[str, Any]:
    """Scheduled no-op through the watcher (34 regions and 1), and the control plane's monthly cost modelled
    from what these runs measured: transitions counted, Lambda and Express durations timed."""
    every, one = scheduled_checks(workdir, list(commercial_regions())), scheduled_checks(workdir, ["eu-west-1"])
    regions = len(commercial_regions())
    per_region = (every["fresh_transitions"] - every["drift_transitions"]) / (regions - 1)
    transitions = Transitions(
        noop=every["standard_noop_transitions"],
        drift_run=round(every["drift_transitions"] - per_region),
        per_drifted_region=round(per_region),
    )
    assert transitions == Transitions(), f"the model's transitions {Transitions()} differ from real runs {transitions}"
    timings = RunTimings(
        plan_seconds=every["plan_seconds"],
        reconcile_seconds=every["reconcile_seconds"],
        watcher_seconds=every["watcher_seconds"],
        region_seconds=one["plan_seconds"],
    )
    fifteen, minute = runs_per_month("rate(15 minutes)"), runs_per_month("rate(1 minute)")
    ours = control_plane_cost(fifteen, regions, timings=timings, transitions=transitions)
    standard_only = control_plane_cost(fifteen, regions, timings=timings, transitions=transitions, watcher=False)
    return {
        "watcher_measured": {"regions_34": every, "regions_1": one},
        "watcher_timings": dataclasses.asdict(timings),
        "scheduled_noop_standard_transitions": every["scheduled_noop_standard_transitions"],
        "scheduled_noop_express_seconds": every["watcher_seconds"],
        "scheduled_noop_express_seconds_1_region": one["watcher_seconds"],
        "control_plane_monthly_usd": round(ours.total, 4),
        "control_plane_monthly_usd_1_minute": round(
            control_plane_cost(minute, regions, timings=timings, transitions=transitions).total, 3
        ),
        "control_plane_monthly_usd_standard_only": round(standard_only.total, 4),
        "naive_monthly_usd": round(
            naive_control_plane_cost(fifteen, regions, timings=timings, transitions=transitions).total, 2
        ),
    }


def spot_costs() -> dict[str, Any]:
    """The demo's fleet per day, on-demand and on Spot (the dated price tables: no Spot price is read)."""
    from p2pctl.demo import DEMO_CONFIG
    from p2pctl.estimate import estimate

    report = estimate(parse_config(DEMO_CONFIG), datetime.now(UTC))
    return {
        "demo_fleet_on_demand_usd_per_day": round(report.per_day.total, 2),
        "demo_fleet_spot_usd_per_day": round(report.spot_per_day.total, 2),
    }
