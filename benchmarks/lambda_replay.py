"""One Lambda execution environment, replayed: import a handler as Lambda's INIT does, invoke it with recorded events.

Run as `python -m benchmarks.lambda_replay SPEC.json` in a fresh process whose environment is the function's (as
template.yaml sets it) and whose `AWS_ENDPOINT_URL` is an emulator in another process, so the CPU time measured
here is the handler's own work (imports, botocore, our code), never the emulator's. Writes one JSON report to
SPEC's "out" (stdout is the handler's log).

SPEC: {"code_dir", "handler" ("app.handler"), "events": [...], "latency": seconds slept per regional API call
(the network's round trip, which costs wall time but no CPU), "regional_services": [...]}.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class _Context:
    """Lambda's context as Powertools reads it (as the emulator's LambdaContext: not imported from there, since
    importing the emulator loads moto and botocore before the handler's INIT is timed)."""

    function_name: str = "replay"
    invoked_function_arn: str = "arn:aws:lambda:eu-central-1:123456789012:function:replay"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "replay"
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def _peak_rss_mb() -> float:
    # VmHWM, not getrusage: ru_maxrss survives exec, so it would report the parent's peak
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _outcome(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        return {}
    return {key: result[key] for key in ("nothing_to_do", "skipped", "recorded", "status") if key in result}


def _timed(step: Any) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = step()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    sys.path[:0] = [spec["code_dir"], *spec.get("python_path", [])]
    module_name, _, attr = spec["handler"].rpartition(".")
    module, init_cpu, init_wall = _timed(lambda: importlib.import_module(module_name))
    init_rss = _peak_rss_mb()
    handler = getattr(module, attr)

    from p2p_core.workflow.runtime import current_deployment
    from p2p_emulator import handler_clients

    handler_clients.install()
    handler_clients.adopt(current_deployment())  # the clients INIT made, and those the handler makes next

    regional = set(spec["regional_services"])

    def network(model: Any, **_: Any) -> None:
        if model.service_model.endpoint_prefix in regional:
            time.sleep(spec["latency"])

    refused: list[str] = []
    table_calls: Counter[str] = Counter()  # DynamoDB calls by operation and item (what the model bills)

    def answered(model: Any, http_response: Any = None, **_: Any) -> None:
        if http_response is not None and http_response.status_code >= 300:
            refused.append(f"{model.service_model.endpoint_prefix}:{model.name} {http_response.status_code}")

    def table_call(params: Any, model: Any, **_: Any) -> None:
        item = isinstance(params, dict) and (params.get("Key") or params.get("Item"))
        if item:
            table_calls[f"{model.name} {item['pk']['S']}"] += 1

    handler_clients.add_client_hook("before-call", network)
    handler_clients.add_client_hook("after-call", answered)
    handler_clients.add_client_hook("before-parameter-build.dynamodb", table_call)
    invocations = []
    profile = os.environ.get("REPLAY_PROFILE")  # a file for cProfile's stats of the first invocation
    for number, event in enumerate(spec["events"]):
        if profile and number == int(os.environ.get("REPLAY_PROFILE_INVOCATION", "0")):
            import cProfile

            profiler = cProfile.Profile()
            result, cpu, wall = profiler.runcall(_timed, lambda event=event: handler(event, _Context()))
            profiler.dump_stats(profile)
        else:
            result, cpu, wall = _timed(lambda event=event: handler(event, _Context()))
        calls, _ = dict(table_calls), table_calls.clear()
        invocations.append(
            {"cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 3), "table_calls": calls, **_outcome(result)}
        )
    report = {
        "init_cpu_seconds": round(init_cpu, 3),
        "init_wall_seconds": round(init_wall, 3),
        "init_rss_mb": init_rss,
        "invocations": invocations,
        "peak_rss_mb": _peak_rss_mb(),
        "refused": refused,
    }
    Path(spec["out"]).write_text(json.dumps(report), encoding="utf-8")  # stdout is the handler's log


if __name__ == "__main__":
    main(sys.argv[1])
