"""Measure the control plane's speed and cost targets in one run; print them, save JSON, update docs/benchmarks.md.

Each figure comes from the real template deployed into the emulator, the real ASL executed and the
real handlers invoked (as `p2pctl local` runs them), except the cost figures, which come from the
shipped price table, and the import ratio, which times fresh `python` processes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

import p2p_core.clock
from benchmarks import measured
from benchmarks.costs import model_rows, scheduled_check_costs, spot_costs
from benchmarks.drift_events import drift_event_repair
from benchmarks.floors import measure as floors
from benchmarks.imports import import_ratio
from benchmarks.radar import measure as radar_cpu
from benchmarks.report import RESULTS, record, table, update_page
from benchmarks.suite import SUITE_KEYS
from benchmarks.tls import measure as tls_cpu
from benchmarks.world import (
    API_LATENCY,
    CONTROL_PLANE_SERVICES,
    HOME,
    config_for,
    emulated,
    fleet_mutations,
    fleet_reads,
    state_seconds,
    succeeded,
)
from p2p_core.aws.clients import ClientFactory
from p2p_core.config import parse_config
from p2p_core.regions import catalogue, commercial_regions
from p2p_emulator import shims
from p2p_emulator.handler_clients import add_client_hook, remove_client_hook
from p2p_emulator.shims import lambda_concurrency
from p2pctl.fleet import managed_asg


def fleet(workdir: Path) -> dict[str, Any]:
    """34 regions: fresh provisioning, a no-op run, one region's capacity changed; and 1 region fresh."""
    regions = list(commercial_regions())
    with emulated(regions, workdir) as bench:
        bench.put_config(**config_for(regions))
        fresh = succeeded(bench, "fresh-34")
        fresh_mutations = len(fleet_mutations(bench))
        noop = succeeded(bench, "noop-34")
        reads = fleet_reads(bench, regions)
        per_region = Counter(call.region for call in reads)
        # the regional services a no-op run reads: a new HTTPS connection each in the cost model
        services = {(call.region, call.service) for call in reads}
        noop_mutations = fleet_mutations(bench)
        bench.put_config(**config_for(regions, {"all": 2, "aws": {"sa-east-1": 4}}))
        one = succeeded(bench, "one-region")
        outside = [c for c in fleet_mutations(bench) if c[0] not in {"sa-east-1", "aws-global"}]
    with emulated(["eu-west-1"], workdir) as bench:
        bench.put_config(**config_for(["eu-west-1"]))
        single = succeeded(bench, "fresh-1")
    reads_per_region = max(per_region.values(), default=0)
    measured.write(
        check={
            "measured_at": datetime.now(UTC).strftime("%Y-%m-%d"),
            "reads_per_region": reads_per_region,
            "services_per_region": max(Counter(region for region, _ in services).values()),
        }
    )
    return {
        **fan_out(workdir),
        "regions": len(regions),
        "fresh_34_seconds": round(fresh.seconds, 2),
        "fresh_34_transitions": fresh.transitions,
        "fresh_34_mutating_calls": fresh_mutations,
        "fresh_1_seconds": round(single.seconds, 2),
        "fan_out_wall_ratio": round(fresh.seconds / single.seconds, 2),
        "noop_transitions": noop.transitions,
        "noop_states": noop.states_entered,
        "noop_mutating_calls": len(noop_mutations),
        "noop_reads_per_region_max": reads_per_region,
        "noop_reads_per_region_median": statistics.median(per_region.values()) if per_region else 0,
        "noop_seconds": round(noop.seconds, 2),
        "one_region_transitions": one.transitions,
        "one_region_mutations_outside": len(outside),
        "one_region_seconds": round(one.seconds, 2),
    }


def fan_out(workdir: Path) -> dict[str, Any]:
    """Fresh provisioning and a no-op Plan of 1 and of 34 regions, 80 ms per regional call: wall and CPU time."""
    regions = list(commercial_regions())
    one, every = (runs_with_api_latency(workdir, regions[:n]) for n in (1, len(regions)))
    return {
        "api_latency_ms": int(API_LATENCY * 1000),
        "fresh_34_seconds_with_api_latency": round(every[0], 2),
        "fresh_1_seconds_with_api_latency": round(one[0], 2),
        "fan_out_wall_ratio_with_api_latency": round(every[0] / one[0], 2),
        "fresh_cpu_seconds_with_api_latency": f"{every[2]:.1f} / {one[2]:.1f}",
        "machine_load_during_fan_out": round(os.getloadavg()[0], 1),
        "noop_plan_34_seconds_with_api_latency": round(every[1], 2),
        "noop_plan_1_seconds_with_api_latency": round(one[1], 2),
    }


def _as_on_aws(seconds: float) -> None:
    """The reconciler's pause for a resource AWS has not propagated: real (the emulator's own has none)."""
    time.sleep(seconds)


def runs_with_api_latency(workdir: Path, regions: list[str]) -> tuple[float, float, float]:
    """(fresh provisioning seconds, the next no-op run's Plan seconds, the fresh run's CPU seconds in this process:
    emulator, handlers and all) when every regional call takes API_LATENCY.

    The emulator answers in microseconds and runs every region's calls in one Python process, so
    without latency the figure measures the emulator's CPU, not the fan-out; with it, a serial
    fan-out would take `regions` times as long as one region, a parallel one about as long. The
    no-op Plan verifies every managed resource of every region (one read per resource type).
    """
    with emulated(regions, workdir) as bench:

        def network(model: Any, **_: Any) -> None:
            if model.service_model.endpoint_prefix not in CONTROL_PLANE_SERVICES:
                time.sleep(API_LATENCY)

        add_client_hook("before-call", network)
        emulated_pause, p2p_core.clock.pause = p2p_core.clock.pause, _as_on_aws  # AWS's propagation takes time
        try:
            bench.put_config(**config_for(regions))
            began = time.process_time()
            fresh = succeeded(bench, f"latency-{len(regions)}").seconds
            cpu = time.process_time() - began
            noop = succeeded(bench, f"latency-noop-{len(regions)}")
            assert noop.states_entered == ["Plan", "NothingToDo", "Finalize"], noop.states_entered
            return fresh, state_seconds(noop.events, "Plan"), cpu
        finally:
            p2p_core.clock.pause = emulated_pause
            remove_client_hook("before-call", network)


def stream_latency(edits: int = 5) -> dict[str, Any]:
    """Config edit → ASG desired updated, through the DynamoDB stream, in `p2pctl local` (a subprocess)."""
    import boto3

    command = [sys.executable, "-m", "p2pctl.main", "--stack-name", "p2p-bench", "local", "--tick", "3600"]
    # a fresh process: none of this one's emulator settings (endpoint, image catalogue file)
    env = {k: v for k, v in os.environ.items() if k not in {"AWS_ENDPOINT_URL", "MOTO_AMIS_PATH", "MOTO_PORT"}}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        kwargs = {"endpoint_url": info["endpoint_url"], "aws_access_key_id": "x", "aws_secret_access_key": "x"}
        db = boto3.client("dynamodb", region_name=info["region"], **kwargs)
        asg = boto3.client("autoscaling", region_name="eu-west-1", **kwargs)

        def desired() -> int | None:
            group = managed_asg(asg, "p2p-bench")
            return group["DesiredCapacity"] if group else None

        def put(count: int) -> float:
            item = {
                "pk": {"S": "config"},
                "regions": {"L": [{"S": "eu-west-1"}]},
                "desired_capacity": {"N": str(count)},
                "start_time": {"S": "2020-01-01T00:00:00Z"},
                "run_duration": {"NULL": True},
            }
            began = time.monotonic()
            db.put_item(TableName=info["config_table"], Item=item)
            while desired() != count:
                if time.monotonic() - began > 60:
                    raise TimeoutError(f"desired {count} not reached in 60 s")
                time.sleep(0.02)
            return time.monotonic() - began

        first = put(1)  # creates the region: not an edit
        time.sleep(1.0)  # let that run finish and release its lease
        seconds = []
        for count in range(2, 2 + edits):
            seconds.append(put(count))
            time.sleep(1.0)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "stream_fresh_region_seconds": round(first, 2),
        "stream_edit_to_asg_seconds_median": round(statistics.median(seconds), 2),
        "stream_edit_to_asg_seconds_max": round(max(seconds), 2),
        "stream_edits": edits,
    }


def cli_fail_fast(runs: int = 3) -> dict[str, Any]:
    """`p2pctl status` against a port where nothing listens: seconds until it fails (54 s before its client config)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    command = [sys.executable, "-m", "p2pctl.main", "--endpoint-url", f"http://127.0.0.1:{port}", "status"]
    samples = []
    for _ in range(runs):
        began = time.monotonic()
        done = subprocess.run([*command, "--stack-name", "p2p-nowhere"], capture_output=True, check=False)
        samples.append(time.monotonic() - began)
        assert done.returncode == 1, done.stderr
    return {"cli_nothing_listening_seconds": round(statistics.median(samples), 2)}


def regions_preflight(workdir: Path) -> dict[str, Any]:
    """`p2pctl regions`' reads (read_facts) of 1 and of 34 regions when every AWS call takes API_LATENCY.

    The ratio is measured with the clients already made, so it shows the fan-out; a new command also
    makes two botocore clients per region first (CPU work, serialized by the GIL: about 75 ms per EC2
    client on this loaded machine), which the "clients made fresh" figure includes.
    """
    from p2pctl.preflight import read_facts

    regions = list(commercial_regions())
    config = parse_config({"regions": "all"})
    latency = [0.0]

    def network(**_: Any) -> None:
        time.sleep(latency[0])

    def timed(clients: ClientFactory, names: list[str]) -> float:
        began = time.monotonic()
        read_facts(clients, config, HOME, regions=names)
        return time.monotonic() - began

    def slowed() -> ClientFactory:
        session = boto3.Session()  # the factory's clients copy its handlers
        session.events.register("before-call", network)
        return ClientFactory(session=session)

    with emulated([HOME], workdir):
        warm = slowed()
        timed(warm, regions)  # makes the clients; moto builds each region's backend on first use (AWS has them)
        latency[0] = API_LATENCY
        one, every = timed(warm, regions[:1]), timed(warm, regions)
        fresh = timed(slowed(), regions)
    return {
        "regions_1_seconds_with_api_latency": round(one, 2),
        "regions_34_seconds_with_api_latency": round(every, 2),
        "regions_34_seconds_with_api_latency_fresh_clients": round(fresh, 2),
        "regions_wall_ratio_with_api_latency": round(every / one, 2),
    }


NEW_ACCOUNT_CONCURRENCY = 10  # Lambda's ConcurrentExecutions on many new accounts
NEW_ACCOUNT_REGIONS = 14


def new_account(workdir: Path) -> dict[str, Any]:
    """The first run over 14 fresh regions on an account whose Lambda concurrency is 10: it must succeed in one run."""
    regions = [r for r in commercial_regions() if not catalogue()[r].opt_in][:NEW_ACCOUNT_REGIONS]
    with emulated(regions, workdir) as bench:
        shims.set_lambda_concurrency(NEW_ACCOUNT_CONCURRENCY)
        bench.put_config(**config_for(regions))
        first = succeeded(bench, "new-account")
        return {
            "new_account_first_run_seconds": round(first.seconds, 2),
            "new_account_peak_invocations": f"{lambda_concurrency.peak_in_flight()} of {NEW_ACCOUNT_CONCURRENCY}",
            "new_account_throttled_invokes": lambda_concurrency.throttled(),
        }


def merged(update: Any, stamp_key: str) -> None:
    """Some rows measured again, merged into the last results; the table in docs/benchmarks.md rewritten."""
    with tempfile.TemporaryDirectory() as workdir, contextlib.redirect_stdout(io.StringIO()):
        figures = update(Path(workdir))
    print(record(figures, stamp_key))


def main() -> None:
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
    }
    with tempfile.TemporaryDirectory() as workdir, contextlib.redirect_stdout(io.StringIO()):
        results.update(fleet(Path(workdir)))  # the handlers' logs go to stdout: keep the report readable
        results.update(regions_preflight(Path(workdir)))
        results.update(new_account(Path(workdir)))
        results.update(drift_event_repair(Path(workdir)))
    results.update(stream_latency())
    results.update(import_ratio())
    results.update(tls_cpu())
    results.update(floors(results))  # with the HTTPS rows just measured
    results.update(radar_cpu())
    results.update(cli_fail_fast())
    with tempfile.TemporaryDirectory() as workdir, contextlib.redirect_stdout(io.StringIO()):
        results.update(scheduled_check_costs(Path(workdir)))
    results.update(spot_costs())
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({k: v for k, v in previous.items() if k in (*SUITE_KEYS, "suite_measured_at")})  # bench-suite's
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    rendered = table(results)
    update_page(rendered)
    print(rendered)


def scheduled_check_only() -> None:
    """`python -m benchmarks.run check`: only the scheduled check and cost rows, merged into the last results."""
    with tempfile.TemporaryDirectory() as workdir, contextlib.redirect_stdout(io.StringIO()):
        figures = scheduled_check_costs(Path(workdir))
    figures.update(spot_costs())  # the price table's rows, so the whole table can be printed
    print(record(figures, "scheduled_check_measured_at"))


def costs_only() -> None:
    """`python -m benchmarks.run costs`: only the demo fleet's cost rows (the model, no measurement), merged."""
    print(record(spot_costs(), "fleet_costs_computed_at"))


if __name__ == "__main__":
    partial = {
        "fan-out": lambda: merged(lambda workdir: {**fan_out(workdir), **import_ratio()}, "fan_out_measured_at"),
        "check": scheduled_check_only,
        "costs": costs_only,
        "model": lambda: print(record(model_rows(), "control_plane_model_at")),
        "new-account": lambda: merged(new_account, "new_account_measured_at"),
        "drift-events": lambda: merged(drift_event_repair, "drift_events_measured_at"),
        "floors": lambda: print(record(floors(), "floors_measured_at")),  # also `python -m benchmarks.floors`
        "imports": lambda: print(record(import_ratio(), "import_measured_at")),  # also `python -m benchmarks.imports`
    }
    partial.get(" ".join(sys.argv[1:]), main)()
