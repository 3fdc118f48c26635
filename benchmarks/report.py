"""The benchmark table: rows, targets, and docs/benchmarks.md's section between the bench markers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from benchmarks.world import ROOT

RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
PAGE = ROOT / "docs" / "benchmarks.md"  # the page whose table `record` rewrites


ROWS = [
    ("no-op run, 34 regions: state transitions", "noop_transitions", "≤ 3"),
    ("no-op run: mutating API calls", "noop_mutating_calls", "0"),
    ("no-op run: read calls per region (max), every managed resource verified", "noop_reads_per_region_max", "≤ 9"),
    (
        "quiet scheduled check: read calls per region (max), between full verifications",
        "quiet_check_reads_per_region_max",
        "≤ 2",
    ),
    ("one region's capacity changed of 34: transitions", "one_region_transitions", "≤ 9"),
    ("one region changed: mutating calls outside it", "one_region_mutations_outside", "0"),
    ("fresh provisioning, 34 regions (s)", "fresh_34_seconds", ""),
    ("fresh provisioning, 1 region (s)", "fresh_1_seconds", ""),
    (
        "first run, 14 fresh regions, Lambda concurrency 10 (a new account), one run (s)",
        "new_account_first_run_seconds",
        "succeeds",
    ),
    ("the same: Lambda invocations at once (peak) / throttled invokes", "new_account_invocations", "≤ 10 / 0"),
    ("34-region / 1-region wall time, emulator CPU-bound (2 CPUs, one process)", "fan_out_wall_ratio", "-"),
    ("34-region / 1-region wall time, 80 ms per regional API call", "fan_out_wall_ratio_with_api_latency", "≤ 3"),
    (
        "the same: CPU of the one process (emulator and handlers), 34 / 1 region (s)",
        "fresh_cpu_seconds_with_api_latency",
        "-",
    ),
    ("the same: machine load (1-minute average; 2 CPUs)", "machine_load_during_fan_out", "-"),
    ("no-op Plan, 34 regions verified, 80 ms per regional API call (s)", "noop_plan_34_seconds_with_api_latency", ""),
    ("no-op Plan, 1 region verified, 80 ms per regional API call (s)", "noop_plan_1_seconds_with_api_latency", ""),
    (
        "`p2pctl regions`, 34 regions, 80 ms per API call, clients made fresh (s)",
        "regions_34_seconds_with_api_latency_fresh_clients",
        "seconds",
    ),
    ("`p2pctl regions`, 34 / 1 region wall time, 80 ms per API call", "regions_wall_ratio_with_api_latency", "≤ 3"),
    ("config edit → ASG desired, stream path, median (s)", "stream_edit_to_asg_seconds_median", "≤ 3"),
    (
        "hand-made 22/tcp rule → revoked through drift events, no run started by hand (emulator), median / max (s)",
        "drift_event_repair_seconds",
        "seconds",
    ),
    ("the same: reconcile runs started per hand-made change", "drift_event_runs_per_change", "1"),
    ("handler cold import / `import boto3`", "import_ratio", "≤ 1.5"),
    ("the same, INIT's client preparation apart: modules and models only", "import_ratio_modules_only", "-"),
    (
        "the same, the layer as `sam build` alone ships it: sources, compiled at each cold start",
        "import_ratio_from_sources",
        "-",
    ),
    (
        "client CPU per new HTTPS connection, botocore as shipped / one TLS context per process (ms)",
        "https_cpu_ms_per_new_connection",
        "≤ 5",
    ),
    ("client CPU per call on a kept HTTPS connection, as shipped / shared (ms)", "https_cpu_ms_per_call", "≤ 2.5"),
    ("`p2pctl status`, nothing listening: seconds to fail", "cli_nothing_listening_seconds", "≤ 5"),
    ("scheduled no-op run, 34 regions: Standard transitions", "scheduled_noop_standard_transitions", "0"),
    (
        "scheduled no-op run, 34 regions: scheduled check (Express) duration, 80 ms per regional API call (s)",
        "scheduled_noop_express_seconds",
        "≤ 300 (Express limit)",
    ),
    ("scheduled no-op check: Lambda invocations", "scheduled_check_lambda_invocations", "1"),
    (
        "Plan, 34 regions, own process: CPU of a cold / warm invocation (s)",
        "plan_cpu_seconds_34",
        "-",
    ),
    ("Plan, 34 regions: INIT (imports and clients made, s)", "plan_init_seconds_34", "-"),
    ("Plan, 34 regions: peak memory (MB; MemorySize 384)", "plan_peak_rss_mb_34", "< 384"),
    ("status item, 34 regions provisioned (KB; each read and write billed by it)", "status_item_kb_34", "< 400"),
    (
        "(model) control plane per month, 34 regions, 15-min cadence, every run a cold start ($)",
        "control_plane_monthly_usd",
        "≤ 0.05",
    ),
    (
        "(model) the same with the Lambdas kept warm ($/month)",
        "control_plane_monthly_usd_warm",
        "≤ 0.05",
    ),
    (
        "(model) control plane per month, 34 regions, 1-min cadence, list price ($)",
        "control_plane_monthly_usd_1_minute",
        "≤ 0.30",
    ),
    (
        "(model) the same at 15 min without the scheduled check (every run a Standard execution) ($/month)",
        "control_plane_monthly_usd_standard_only",
        "",
    ),
    ("(model) naive fan-out visiting every region each run ($/month)", "naive_monthly_usd", ""),
    (
        "(floor) the same targets if every check reads 2 calls per region from a Lambda (botocore only, CPU alone "
        "billed): 15 min cold / 1 min warm / 1 min warm with connections kept ($/month)",
        "reading_floor_monthly_usd",
        "≤ 0.05 / ≤ 0.30 / ≤ 0.30",
    ),
    (
        "the floor's CPU per check: import botocore and 69 clients / 69 new HTTPS connections / 69 calls (s)",
        "reading_floor_cpu_seconds",
        "-",
    ),
    (
        "(model) quiet checks as Step Functions states only (drift events recorded), 15 min / 1 min ($/month)",
        "states_only_monthly_usd",
        "≤ 0.05 / ≤ 0.30",
    ),
    (
        "the same: of which full verifications every 6 hours, drift events and repairs ($/month)",
        "full_verifications_monthly_usd",
        "-",
    ),
    (
        "radar: CPU per report answered from memory / of a new agent (two table calls), handler in process (ms)",
        "radar_cpu_ms_per_report",
        "-",
    ),
    (
        "(model) radar per month, 1,000 agents reporting every 15 minutes, storage included ($)",
        "radar_monthly_usd_per_1000_agents",
        "≤ 1.50",
    ),
    (
        "(model) demo fleet per day, on demand, with IPv4, volume and 1 GB/day egress per instance ($)",
        "demo_fleet_on_demand_usd_per_day",
        "",
    ),
    ("(model) the same on `market: spot` (Spot price table) ($)", "demo_fleet_spot_usd_per_day", ""),
    ("(model) of which public IPv4 addresses / on-demand compute ($)", "demo_fleet_ipv4_vs_compute", ""),
    ("`make test`: tests run (1,083 before issue 23)", "make_test_count", "≥ 1,083"),
    ("`make test`: wall time, quiet machine (s; 1,320 before issue 23)", "make_test_seconds", "≤ 600"),
    ("`make test`: CPU, user + sys (s)", "make_test_cpu_seconds", "-"),
    ("`make test`: coverage of layers/, cli/ and emulator/ (%)", "make_test_coverage_percent", "-"),
]


def table(results: dict[str, Any]) -> str:
    results = {**results}
    if "new_account_peak_invocations" in results:
        peak, throttled = results["new_account_peak_invocations"], results["new_account_throttled_invokes"]
        results["new_account_invocations"] = f"{peak} / {throttled}"
    lines = ["| measure | result | target |", "|---|---|---|"]
    lines += [f"| {label} | {results.get(key, 'not measured')} | {target or '-'} |" for label, key, target in ROWS]
    stamp = f"Measured {results['measured_at']} on {results['machine']} by `make bench`"
    if "scheduled_check_measured_at" in results:  # a partial run: `python -m benchmarks.run check`
        when = results["scheduled_check_measured_at"]
        stamp += f"; the scheduled-run and (model) rows {when} by `python -m benchmarks.run check`"
    if "fan_out_measured_at" in results:  # `python -m benchmarks.run fan-out`
        stamp += f"; the fan-out and import rows {results['fan_out_measured_at']} by `python -m benchmarks.run fan-out`"
    if "control_plane_model_at" in results:  # `python -m benchmarks.run model`: the model on the shipped figures
        when = results["control_plane_model_at"]
        stamp += f"; the control plane's (model) rows {when} by `python -m benchmarks.run model` (measured_usage.json)"
    if "floors_measured_at" in results:  # `python -m benchmarks.floors`
        stamp += f"; the floor rows {results['floors_measured_at']} by `python -m benchmarks.floors`"
    if "radar_measured_at" in results:  # a partial run: `python -m benchmarks.radar`
        stamp += f"; the radar rows {results['radar_measured_at']} by `python -m benchmarks.radar`"
    if "new_account_measured_at" in results:  # `python -m benchmarks.run new-account`
        stamp += (
            f"; the new-account rows {results['new_account_measured_at']} by `python -m benchmarks.run new-account`"
        )
    if "import_measured_at" in results:  # `python -m benchmarks.imports`
        stamp += f"; the import rows {results['import_measured_at']} by `python -m benchmarks.imports`"
    if "fleet_costs_computed_at" in results:
        stamp += f"; the demo fleet rows {results['fleet_costs_computed_at']} by `python -m benchmarks.run costs`"
    if "tls_measured_at" in results:  # a partial run: `python -m benchmarks.tls`
        stamp += f"; the HTTPS rows {results['tls_measured_at']} by `python -m benchmarks.tls`"
    if "suite_measured_at" in results:  # `make bench-suite` times `make test` apart
        stamp += f"; the `make test` rows {results['suite_measured_at']} by `make bench-suite`"
    return "\n".join(lines) + f"\n\n{stamp}; raw numbers in `benchmarks/results/latest.json`.\n"


def with_table(page: str, text: str) -> str:
    """`page` with the part between the bench markers replaced by the table `text`."""
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in page or end not in page:
        raise ValueError(f"the benchmarks page has no {start} ... {end} markers to write the table between")
    head, rest = page.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{text}{end}{tail}"


def update_page(text: str) -> None:
    """Rewrite the benchmark table in docs/benchmarks.md."""
    PAGE.write_text(with_table(PAGE.read_text(), text))


def record(figures: dict[str, Any], stamp_key: str | None = None) -> str:
    """Merge newly measured rows into the last results (stamped under `stamp_key`), rewrite the table in
    docs/benchmarks.md, and return the table."""
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    if stamp_key is not None:
        results[stamp_key] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    rendered = table(results)
    update_page(rendered)
    return rendered
