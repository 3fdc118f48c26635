"""CPU of a new HTTPS connection and of a call on a kept one: botocore as shipped vs one shared TLS context.

`python -m benchmarks.tls` serves DynamoDB's ListTables over TLS from this process (its own CA) and
measures each variant in a fresh `python` (so the server's CPU is not counted): the process time of
CALLS calls that each open a new connection, and of CALLS calls on one kept connection, after one
warm-up call. Prints the figures and merges them into the last results and the table in docs/benchmarks.md.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.httpsession import get_cert_path

from benchmarks import measured
from benchmarks.https_stub import Authority, https_server
from benchmarks.report import record

ROOT = Path(__file__).resolve().parents[1]
CALLS = 40
REPEATS = 3

_CHILD = """
import sys, time
from botocore.config import Config
import boto3
from p2p_core.aws.clients import ClientFactory
from p2p_core.aws import tls
port, shared = int(sys.argv[1]), sys.argv[2] == "shared"
config = Config(retries={"max_attempts": 1, "mode": "standard"})
if shared:
    dynamodb = ClientFactory(endpoint_url=f"https://localhost:{port}", config=config).client("dynamodb", "eu-central-1")
else:
    dynamodb = boto3.Session().client(
        "dynamodb", region_name="eu-central-1", endpoint_url=f"https://localhost:{port}", config=config)
dynamodb.list_tables()  # warm: models loaded, first context made
began = time.process_time()
for _ in range(int(sys.argv[3])):
    dynamodb.list_tables()
print(time.process_time() - began)
"""


def _cpu_per_call(port: int, shared: bool, env: dict[str, str]) -> float:
    samples = []
    for _ in range(REPEATS):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(port), "shared" if shared else "stock", str(CALLS)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(done.stdout.strip()) / CALLS)
    return statistics.median(samples)


def measure() -> dict[str, Any]:
    """Milliseconds of client CPU per new connection and per kept-connection call, stock and shared."""
    with tempfile.TemporaryDirectory() as folder:
        ca = Authority(Path(folder), "bench")
        files = ca.server_files("localhost")
        # a bundle the size of the one botocore ships (its load is the cost), with the stub's CA added
        bundle = Path(folder) / "bundle.pem"
        bundle.write_bytes(Path(get_cert_path(True)).read_bytes() + ca.bundle.read_bytes())
        env = {
            **os.environ,
            "AWS_CA_BUNDLE": str(bundle),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "PYTHONPATH": f"{ROOT / 'layers' / 'core'}:{ROOT}",
        }
        env.pop("AWS_PROFILE", None)
        figures: dict[str, Any] = {}
        for kept, label in ((False, "new_connection"), (True, "call")):
            with https_server(*files, close_each=not kept) as port:
                for shared in (False, True):
                    key = f"https_cpu_ms_per_{label}_{'shared' if shared else 'stock'}"
                    figures[key] = round(1000 * _cpu_per_call(port, shared, env), 2)
    measured.write(  # what the cost model reads: the shared context, as the layer's clients use it
        https={
            "measured_at": datetime.now(UTC).strftime("%Y-%m-%d"),
            "cpu_seconds_per_new_connection": figures["https_cpu_ms_per_new_connection_shared"] / 1000,
            "cpu_seconds_per_call": figures["https_cpu_ms_per_call_shared"] / 1000,
        }
    )
    for label in ("new_connection", "call"):  # the table's rows: as shipped / shared
        figures[f"https_cpu_ms_per_{label}"] = (
            f"{figures[f'https_cpu_ms_per_{label}_stock']} / {figures[f'https_cpu_ms_per_{label}_shared']}"
        )
    return figures


def main() -> None:
    """Measure, merge into the last results and rewrite the table in docs/benchmarks.md."""
    figures = measure()
    record(figures, "tls_measured_at")
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
