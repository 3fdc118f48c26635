"""The radar's rows: its CPU per report (the handler in process over many reports) and its modelled monthly cost.

`python -m benchmarks.radar` runs functions/radar/app.py in a fresh `python` whose AWS answers come from a
botocore `before-send` hook (no server: only the function's own CPU is counted, signing and parsing included):
INIT (the handler imported), REPORTS reports of new agents (each a GetItem and a PutItem), then REPORTS reports
answered from memory. The figures feed `RadarUsage` and the cost model's rows; merged into the last results.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

from benchmarks.report import record
from benchmarks.world import ROOT
from p2p_core.cost.radar import RADAR_TARGET_PER_1000_AGENTS, RadarUsage, per_1000_agents, radar_cost

REPORTS = 2000
REPEATS = 3

_CHILD = """
import io, json, sys, time, contextlib, importlib.util
began = time.process_time()
from botocore.awsrequest import AWSResponse
from p2p_core.workflow.runtime import current_deployment
from p2p_emulator import handler_clients
from p2p_core.models.function_url import function_url_event

class Raw(io.BytesIO):
    def stream(self, **kwargs):
        yield self.getvalue()

def answer(request, **kwargs):
    target = request.headers.get("X-Amz-Target", b"")
    target = target.decode() if isinstance(target, bytes) else target
    body = {"AmazonSSM.GetParameter": {"Parameter": {"Value": json.dumps({"current": "t"})}}}.get(target, {})
    raw = Raw(json.dumps(body).encode())
    return AWSResponse(request.url, 200, {"content-type": "application/x-amz-json-1.0"}, raw)

handler_clients.install()
handler_clients.adopt(current_deployment())  # the factory the handler gets: every client answers locally
handler_clients.add_client_hook("before-send", answer)
spec = importlib.util.spec_from_file_location("radar_app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
init = time.process_time() - began
count = int(sys.argv[2])
query = "cloud=aws&region=eu-west-1&autoscaler=true&capacity=2&services=ipfs%20bitcoin&duration=60&uptime=60"
events = [function_url_event(f"{query}&instance=i-{n:017x}&auth=t", "10.0.0.1") for n in range(count)]

class Context:
    function_name, memory_limit_in_mb, aws_request_id = "radar", 128, "bench"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:radar"

with contextlib.redirect_stdout(io.StringIO()):
    app.handler(function_url_event(query + "&auth=t", "10.0.0.2"), Context())  # warm: the token read
    began = time.process_time()
    for event in events:
        assert app.handler(event, Context())["statusCode"] == 200
    new = (time.process_time() - began) / count
    began = time.process_time()
    for event in events:
        assert app.handler(event, Context())["statusCode"] == 200
    known = (time.process_time() - began) / count
print(json.dumps({"init": init, "new": new, "known": known}))
"""


def _child_env() -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": "radar",
        "AWS_ENDPOINT_URL": "",
        "P2P_STACK_NAME": "bench",
        "P2P_RADAR_TABLE": "radar",
        "POWERTOOLS_SERVICE_NAME": "p2p-control-plane",
        "POWERTOOLS_METRICS_NAMESPACE": "P2PControlPlane",
    }


def measure() -> dict[str, Any]:
    """CPU of INIT, of a new agent's report (two table calls) and of a report answered from memory; the cost rows."""
    samples = []
    for _ in range(REPEATS):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(ROOT / "functions" / "radar" / "app.py"), str(REPORTS)],
            env=_child_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    init, new, known = (statistics.median(s[key] for s in samples) for key in ("init", "new", "known"))
    usage = RadarUsage(
        report_cpu_seconds=round(known, 6), call_cpu_seconds=round(max(0.0, new - known) / 2, 6), init_seconds=init
    )
    cost = radar_cost(1000, 1, usage=usage)
    return {
        "radar_cpu_ms_per_report": f"{known * 1000:.2f} / {new * 1000:.2f}",
        "radar_cpu_measured": {"init_s": init, "known_s": known, "new_s": new, "reports": REPORTS},
        "radar_usage": {"report_cpu_seconds": usage.report_cpu_seconds, "call_cpu_seconds": usage.call_cpu_seconds},
        "radar_monthly_usd_per_1000_agents": round(per_1000_agents(cost, 1000), 3),
        "radar_cost_items": {item.name: round(item.cost, 4) for item in cost.items},
        "radar_target_usd": RADAR_TARGET_PER_1000_AGENTS,
    }


def main() -> None:
    print(record(measure(), "radar_measured_at"))


if __name__ == "__main__":
    main()
