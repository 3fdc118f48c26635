"""What a scheduled check's Lambdas would bill on AWS: their own CPU time, network waits and memory, measured apart
from the emulator.

Inside the emulator the handlers share a process (and its CPU) with moto and the IAM evaluator, so their wall time
there says little about Lambda's bill. Here a scheduled check runs through the scheduled check as usual while its Lambda
events are recorded (a no-op check has one: Plan, which records the run itself); then each function is replayed in a
fresh `python` process (benchmarks/lambda_replay.py: INIT = importing the handler, then the recorded event twice,
cold clients and warm) against the same emulated account served over HTTP from this process, each regional call
waiting `API_LATENCY`. The replay's CPU time is the handler's own work only (imports, botocore, our code); its wall
time minus that CPU is the wait for AWS's answers.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from benchmarks.world import API_LATENCY, CONTROL_PLANE_SERVICES, HOME, ROOT, checked, config_for, emulated, succeeded
from p2p_core.cost.usage import item_bytes
from p2p_core.storage.status import QUOTA_KEY, STATUS_KEY
from p2p_core.storage.verified import VERIFIED_KEY
from p2p_emulator import shims

REPLAYS = 3  # fresh processes per function; the median of each figure counts (the machine is shared)
REGIONAL_SERVICES = ("ec2", "autoscaling", "logs", "ssm", "servicequotas")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _replay(target: shims.HandlerTarget, events: list[dict[str, Any]], endpoint: str, workdir: Path) -> dict[str, Any]:
    spec_path, out = workdir / f"{target.logical_id}.spec.json", workdir / f"{target.logical_id}.out.json"
    spec = {
        "code_dir": str(target.code_dir),
        "handler": target.handler,
        "events": [events[0], events[0]],  # the same check twice: INIT + cold clients, then a warm invoke
        "latency": API_LATENCY,
        "regional_services": [s for s in REGIONAL_SERVICES if s not in CONTROL_PLANE_SERVICES],
        "out": str(out),
    }
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "P2P_", "POWERTOOLS_"))}
    env.update(target.environment)
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": HOME,
            "AWS_REGION": HOME,
            "BOTO_DISABLE_CRT": "true",  # Lambda's Python runtime has no awscrt: botocore signs in Python there
        }
    )
    (workdir / f"{target.logical_id}.env.json").write_text(json.dumps(env), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "benchmarks.lambda_replay", str(spec_path)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return report


def _median_report(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the replays (the table calls and outcomes of the first)."""
    first = reports[0]
    median = {key: statistics.median(r[key] for r in reports) for key in ("init_cpu_seconds", "init_wall_seconds")}
    invocations = [
        {
            **call,
            "cpu_seconds": statistics.median(r["invocations"][n]["cpu_seconds"] for r in reports),
            "wall_seconds": statistics.median(r["invocations"][n]["wall_seconds"] for r in reports),
        }
        for n, call in enumerate(first["invocations"])
    ]
    return {**first, **median, "invocations": invocations, "peak_rss_mb": max(r["peak_rss_mb"] for r in reports)}


def item_sizes(world: Any) -> dict[str, int]:
    """The config, status, quota and verified items' sizes (DynamoDB's rules) after the regions were provisioned
    and checked: the status item then holds the provisioning run, every region's actions, the newest of its history."""
    found = {
        key: world.db.get_item(TableName=world.stack.config_table, Key={"pk": {"S": key}}).get("Item", {})
        for key in ("config", STATUS_KEY, QUOTA_KEY, VERIFIED_KEY)
    }
    return {f"{key.split('#')[-1]}_bytes": item_bytes(item) for key, item in found.items()}


def lambda_cpu(workdir: Path, regions: list[str], *, hold: bool = False) -> dict[str, Any]:
    """Provision `regions`, run one scheduled no-op check recording its Lambda events, replay each function it
    invoked; the config and status items' sizes after it."""
    recorded: dict[str, list[dict[str, Any]]] = {}

    def record(logical_id: str, event: dict[str, Any]) -> None:
        recorded.setdefault(logical_id, []).append(json.loads(json.dumps(event)))

    with emulated(regions, workdir) as world:
        # every check verifies every managed resource (verify_interval 0): the replays measure the full check, which
        # the cost model scales down to the quiet checks between full verifications (p2p_core/cost/checking.py)
        world.put_config(**config_for(regions), verify_interval="0 seconds")
        succeeded(world, f"cpu-fresh-{len(regions)}")
        shims.add_fault(lambda logical_id, event: record(logical_id, event))
        try:
            check = checked(world, f"cpu-check-{len(regions)}")
        finally:
            shims.clear_faults()
        sizes = item_sizes(world)
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{port}"
            measured = {
                logical: _median_report(
                    [_replay(world.stack.functions[logical], events, endpoint, workdir) for _ in range(REPLAYS)]
                )
                for logical, events in recorded.items()
            }
            if hold:  # keep the account up to replay by hand (profiling): the specs stay in workdir
                print(f"holding: http://127.0.0.1:{port}, specs in {workdir}", file=sys.stderr, flush=True)
                threading.Event().wait()
            return {"profiles": measured, "sizes": sizes, "states": check.states_entered}
        finally:
            server.stop()


if __name__ == "__main__":
    import tempfile

    from p2p_core.regions import commercial_regions

    chosen = list(commercial_regions()) if "--all" in sys.argv else ["eu-west-1"]
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(lambda_cpu(Path(tmp), chosen, hold="--hold" in sys.argv), indent=1))
