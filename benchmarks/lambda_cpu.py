"""What a scheduled check's Lambdas would bill on AWS: their own CPU time, network waits and memory, measured apart
from the emulator.

Inside the emulator the handlers share a process (and its CPU) with moto and the IAM evaluator, so their wall time
there says little about Lambda's bill. Here a scheduled check runs through the watcher as usual while its Lambda
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
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from benchmarks.costs import checked
from benchmarks.world import API_LATENCY, CONTROL_PLANE_SERVICES, HOME, ROOT, config_for, emulated, succeeded
from p2pctl.emulator import shims

REPLAYED = ("PlanFunction",)  # the whole no-op check: Plan records it (status item, lease release), no Finalize
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


def lambda_cpu(workdir: Path, regions: list[str], *, hold: bool = False) -> dict[str, Any]:
    """Provision `regions`, run one scheduled no-op check recording its Lambda events, replay them (Plan only)."""
    recorded: dict[str, list[dict[str, Any]]] = {}

    def record(logical_id: str, event: dict[str, Any]) -> None:
        recorded.setdefault(logical_id, []).append(json.loads(json.dumps(event)))

    with emulated(regions, workdir) as world:
        world.put_config(**config_for(regions))
        succeeded(world, f"cpu-fresh-{len(regions)}")
        shims.add_fault(lambda logical_id, event: record(logical_id, event))
        try:
            check = checked(world, f"cpu-check-{len(regions)}")
        finally:
            shims.clear_faults()
        assert check.states_entered == ["Plan", "NothingToDo", "Recorded"], check.states_entered
        assert set(recorded) == set(REPLAYED), recorded.keys()
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
        server.start()
        try:
            measured = {
                logical: _replay(world.stack.functions[logical], recorded[logical], f"http://127.0.0.1:{port}", workdir)
                for logical in REPLAYED
            }
            if hold:  # keep the account up to replay by hand (profiling): the specs stay in workdir
                print(f"holding: http://127.0.0.1:{port}, specs in {workdir}", file=sys.stderr, flush=True)
                threading.Event().wait()
            return measured
        finally:
            server.stop()


if __name__ == "__main__":
    import tempfile

    from p2p_core.regions import commercial_regions

    chosen = list(commercial_regions()) if "--all" in sys.argv else ["eu-west-1"]
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(lambda_cpu(Path(tmp), chosen, hold="--hold" in sys.argv), indent=1))
