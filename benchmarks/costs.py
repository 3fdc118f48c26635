"""Cost rows: the scheduled check (the Express state machine) measured and priced, the fleet on-demand vs Spot."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import measured
from benchmarks.lambda_cpu import lambda_cpu
from benchmarks.world import (
    API_LATENCY,
    CONTROL_PLANE_SERVICES,
    checked,
    config_for,
    emulated,
    fleet_reads,
    state_seconds,
    succeeded,
)
from p2p_core.config import parse_config
from p2p_core.cost.checking import runs_per_month
from p2p_core.cost.control_plane import (
    Transitions,
    Usage,
    control_plane_cost,
    naive_control_plane_cost,
)
from p2p_core.cost.usage import FINALIZE, PLAN, ItemSizes, LambdaProfile, PerRegion, TableCalls
from p2p_core.regions import commercial_regions
from p2p_core.storage.status import CHECKS_KEY, QUOTA_KEY
from p2p_core.storage.verified import VERIFIED_KEY
from p2p_emulator.handler_clients import add_client_hook, remove_client_hook


def execution_seconds(events: list[dict[str, Any]]) -> float:
    """An execution's duration from its history: started to ended (what Express bills)."""
    return float((events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds())


def scheduled_checks(workdir: Path, regions: list[str]) -> dict[str, Any]:
    """Scheduled runs through the scheduled check in `regions`, 80 ms per regional API call, and the reconcile runs'
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
            check = checked(world, f"check-{len(regions)}")  # quiet: the manual no-op verified every region fully
            quiet_reads = Counter(call.region for call in fleet_reads(world, regions))
            recorded = ["Source", "Plan", "NothingToDo", "Recorded"]  # Plan recorded it
            assert check.states_entered == recorded, check.states_entered
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
        "check_seconds": round(execution_seconds(check.events), 2),
        "quiet_reads_per_region_max": max(quiet_reads.values(), default=0),
        "plan_seconds": round(state_seconds(check.events, "Plan"), 2),
        "drift_transitions": drift.transitions,
        "reconcile_seconds": round(state_seconds(drift.events, "ReconcileRegion"), 2),
    }


def _profile(one: dict[str, Any], many: dict[str, Any], regions: int, default: LambdaProfile) -> LambdaProfile:
    """A function's profile fitted to its replays over 1 region (`one`) and `regions` regions (`many`)."""
    cold, warm = (many["invocations"][n] for n in (0, 1))
    cold_1, warm_1 = (one["invocations"][n] for n in (0, 1))
    return LambdaProfile(
        name=default.name,
        memory_mb=default.memory_mb,  # the template's MemorySize (tests/unit/test_cost.py checks they agree)
        init=PerRegion.fit(one["init_wall_seconds"], many["init_wall_seconds"], regions),
        cold_cpu=PerRegion.fit(cold_1["cpu_seconds"], cold["cpu_seconds"], regions),
        warm_cpu=PerRegion.fit(warm_1["cpu_seconds"], warm["cpu_seconds"], regions),
        wait=PerRegion.fit(
            warm_1["wall_seconds"] - warm_1["cpu_seconds"], warm["wall_seconds"] - warm["cpu_seconds"], regions
        ),
    )


def table_calls(replays: dict[str, Any]) -> TableCalls:
    """The config table's calls of one check, counted in the replay of every function it invoked."""
    counted: Counter[str] = Counter()
    for report in replays.values():
        counted.update(report["invocations"][0]["table_calls"])
    return TableCalls(
        config_gets=counted["GetItem config"],
        status_gets=counted["GetItem status"],
        check_gets=counted[f"GetItem {CHECKS_KEY}"],
        quota_gets=counted[f"GetItem {QUOTA_KEY}"],
        verified_gets=counted[f"GetItem {VERIFIED_KEY}"],
        lease_writes=sum(n for call, n in counted.items() if call.endswith(" lease")),
        status_writes=sum(n for call, n in counted.items() if call.endswith(" status") and "Get" not in call),
        check_writes=sum(n for call, n in counted.items() if call.endswith(CHECKS_KEY) and "Get" not in call),
    )


def measured_usage(one: dict[str, Any], many: dict[str, Any], regions: int) -> Usage:
    """The model's inputs from `lambda_cpu` over 1 region and over `regions`: each function the no-op check invoked,
    the reconcile workflow's Plan and Finalize, item sizes (the status item holding the provisioning run)."""
    defaults = {"PlanFunction": PLAN, "FinalizeFunction": FINALIZE}
    profiles = {
        logical: _profile(one["profiles"][logical], report, regions, defaults[logical])
        for logical, report in many["profiles"].items()
    }
    calls = table_calls(many["profiles"])
    assert calls == TableCalls(), f"the model's table calls {TableCalls()} differ from the replay's {calls}"
    sizes = {
        key: PerRegion.fit(one["sizes"][key], many["sizes"][key], regions)
        for key in ("config_bytes", "status_bytes", "quota_bytes", "verified_bytes")
    }
    return Usage(
        check=tuple(profiles.values()),
        plan=profiles["PlanFunction"],
        finalize=profiles.get("FinalizeFunction", FINALIZE),
        sizes=ItemSizes(
            config=sizes["config_bytes"],
            status=sizes["status_bytes"],
            quota=sizes["quota_bytes"],
            verified=sizes["verified_bytes"],
        ),
    )


def scheduled_check_costs(workdir: Path) -> dict[str, Any]:
    """Scheduled no-op through the scheduled check (34 regions and 1): Standard transitions counted and Express duration
    timed in the emulator; the check's Lambdas replayed apart from it (benchmarks/lambda_cpu.py); the control
    plane's monthly cost modelled from those figures, cold starts (every 15 minutes) and warm."""
    every, one = scheduled_checks(workdir, list(commercial_regions())), scheduled_checks(workdir, ["eu-west-1"])
    regions = len(commercial_regions())
    per_region = (every["fresh_transitions"] - every["drift_transitions"]) / (regions - 1)
    transitions = Transitions(
        noop=every["standard_noop_transitions"],
        drift_run=round(every["drift_transitions"] - per_region),
        per_drifted_region=round(per_region),
    )
    assert transitions == Transitions(), f"the model's transitions {Transitions()} differ from real runs {transitions}"
    replay_many = lambda_cpu(workdir, list(commercial_regions()))
    replay_one = lambda_cpu(workdir, ["eu-west-1"])
    usage = measured_usage(replay_one, replay_many, regions)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    measured.write(  # the figures the layer's cost model reads
        **{"lambda": measured.lambda_section({p.name: p for p in (*usage.check, usage.finalize)}, today, machine)},
        item_bytes={
            name: measured.line(getattr(usage.sizes, name)) for name in ("config", "quota", "status", "verified")
        },
    )
    plan = replay_many["profiles"]["PlanFunction"]
    return {
        "scheduled_check_measured": {"regions_34": every, "regions_1": one},
        "lambda_replays": {"regions_34": replay_many, "regions_1": replay_one},
        "lambda_profiles": {p.name: dataclasses.asdict(p) for p in (*usage.check, usage.plan, usage.finalize)},
        "item_sizes": dataclasses.asdict(usage.sizes),
        "scheduled_noop_standard_transitions": every["scheduled_noop_standard_transitions"],
        "scheduled_noop_express_seconds": every["check_seconds"],
        "quiet_check_reads_per_region_max": every["quiet_reads_per_region_max"],
        "scheduled_noop_express_seconds_1_region": one["check_seconds"],
        "scheduled_check_lambda_invocations": len(usage.check),
        "plan_cpu_seconds_34": " / ".join(str(i["cpu_seconds"]) for i in plan["invocations"]),
        "plan_init_seconds_34": plan["init_wall_seconds"],
        "plan_peak_rss_mb_34": plan["peak_rss_mb"],
        "status_item_kb_34": round(replay_many["sizes"]["status_bytes"] / 1024, 1),
        **model_rows(usage, transitions),
    }


def model_rows(usage: Usage | None = None, transitions: Transitions | None = None) -> dict[str, Any]:
    """The (model) control-plane rows, 34 regions: from `usage` (default: the shipped measured_usage.json) and
    today's checks (`checking.TODAY`: tiered, HTTPS connections counted, drift events as assumed in
    `cost/drift_events.py`, the account's own trail)."""
    usage, transitions = usage or Usage(), transitions or Transitions()
    regions = len(commercial_regions())
    fifteen, minute = runs_per_month("rate(15 minutes)"), runs_per_month("rate(1 minute)")

    def monthly(runs: float, **options: Any) -> float:
        return control_plane_cost(runs, regions, usage=usage, transitions=transitions, **options).total

    return {
        "control_plane_monthly_usd": round(monthly(fifteen), 4),
        "control_plane_monthly_usd_warm": round(monthly(fifteen, cold_share=0.0), 4),
        "control_plane_monthly_usd_1_minute": round(monthly(minute), 3),
        "control_plane_monthly_usd_standard_only": round(monthly(fifteen, scheduled_check=False), 4),
        "naive_monthly_usd": round(
            naive_control_plane_cost(fifteen, regions, usage=usage, transitions=transitions).total, 2
        ),
    }


def spot_costs() -> dict[str, Any]:
    """The demo's fleet per day, on-demand and on Spot, every item billed (compute, root volume, public IPv4
    address, the default data transfer out), in the regions its emulated account has enabled; the dated price
    tables (no Spot price is read)."""
    from p2p_core.regions import commercial_regions
    from p2pctl.cost_estimate import FleetFacts, estimate
    from p2pctl.demo import DEMO_CONFIG, NOT_ENABLED

    enabled = frozenset(commercial_regions()) - {NOT_ENABLED}  # as the demo's account answers DescribeRegions
    report = estimate(parse_config(DEMO_CONFIG), datetime.now(UTC), FleetFacts(enabled=enabled))
    return {
        "demo_fleet_on_demand_usd_per_day": round(report.per_day.total, 2),
        "demo_fleet_spot_usd_per_day": round(report.spot_per_day.total, 2),
        "demo_fleet_ipv4_vs_compute": f"{report.per_day.ipv4_cost:.2f} / {report.per_day.instance_cost:.2f}",
        "demo_fleet_instances": report.per_day.instances,
    }
