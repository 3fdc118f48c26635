"""Issue 26's cost targets against their premise: the cheapest a check that reads the regions could be, and what a
quiet check made of Step Functions states alone would cost.

The premise (issue 26 §2, SPEC §12): every scheduled check reads each region's group and security groups (2 calls
per region) from a Lambda. Its floor here is generous on purpose: a function that imports botocore only (no boto3,
pydantic or Powertools), makes the 68 clients with one class per service, opens one HTTPS connection per regional
service with one TLS context (benchmarks/tls.py's figures), makes its 68 calls and one table read, and is billed for
its CPU alone (no waits, no logs, no status item: at 1,769 MB a vCPU-second costs the same at any size). Full
verifications every 6 hours, drift events and their repairs are today's model (`control_plane_cost`).

The alternative: between full verifications, while drift events are recorded, the check reads one small item from
Step Functions (its DynamoDB integration) and ends: no Lambda.

`python -m benchmarks.floors` (or `python -m benchmarks.run floors`) measures the botocore floor in fresh processes
and merges the rows into the last results and docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.imports import child_cpu
from benchmarks.report import RESULTS, record
from p2p_core.cost.checking import QUIET_READS_PER_REGION, TODAY, runs_per_month
from p2p_core.cost.control_plane import (
    DYNAMODB_PER_READ_UNIT,
    EXPRESS_PER_GB_SECOND,
    EXPRESS_PER_REQUEST,
    LAMBDA_ARM64_PER_GB_SECOND,
    LAMBDA_PER_REQUEST,
    SCHEDULER_PER_INVOCATION,
    control_plane_cost,
    express_billed_gb_seconds,
)
from p2p_core.cost.usage import FULL_VCPU_MB
from p2p_core.regions import commercial_regions

ROOT = Path(__file__).resolve().parents[1]
PER_VCPU_SECOND = LAMBDA_ARM64_PER_GB_SECOND * FULL_VCPU_MB / 1024  # Lambda's price of a CPU-bound second
FULL_VERIFICATION = "rate(6 hours)"  # the default verify_interval
STATES_ONLY_SECONDS = 0.1  # a Choice, a GetItem and a Succeed: one 100-ms step of Express duration


@dataclass(frozen=True)
class ReadingFloor:
    """The cheapest quiet check that reads `regions` regions from a Lambda: its CPU, in seconds."""

    regions: int
    init: float  # import botocore and make the quiet check's clients (measured)
    new_connection: float  # an HTTPS connection, one TLS context per process (benchmarks/tls.py)
    call: float  # a call on a kept connection

    @property
    def calls(self) -> int:
        """The regional reads and the table's one."""
        return self.regions * QUIET_READS_PER_REGION + 1

    def cpu(self, *, cold: bool, new_connections: bool = True) -> float:
        """CPU of one check: INIT when cold, a connection per regional service (and the table's) unless kept."""
        connections = self.calls if new_connections else 0
        return (self.init if cold else 0.0) + connections * self.new_connection + self.calls * self.call

    def per_check(self, *, cold: bool, new_connections: bool = True) -> float:
        """USD of one check: its CPU, its Lambda request, the Express execution lasting that CPU, the schedule."""
        cpu = self.cpu(cold=cold, new_connections=new_connections)
        express = express_billed_gb_seconds(cpu) * EXPRESS_PER_GB_SECOND + EXPRESS_PER_REQUEST
        return cpu * PER_VCPU_SECOND + LAMBDA_PER_REQUEST + express + SCHEDULER_PER_INVOCATION + DYNAMODB_PER_READ_UNIT


def states_only_check() -> float:
    """USD of a quiet check made of Step Functions states: the schedule, the Express execution, one small read."""
    express = express_billed_gb_seconds(STATES_ONLY_SECONDS) * EXPRESS_PER_GB_SECOND + EXPRESS_PER_REQUEST
    return SCHEDULER_PER_INVOCATION + express + DYNAMODB_PER_READ_UNIT


def full_verifications(regions: int) -> float:
    """USD a month of today's full verifications every 6 hours, with drift events and their repairs (the model)."""
    every_check_full = replace(TODAY, quiet_reads_per_region=None, verify_every_seconds=None)
    return control_plane_cost(runs_per_month(FULL_VERIFICATION), regions, checking=every_check_full).total


def monthly(schedule: str, regions: int, quiet_check: float) -> float:
    """USD a month: full verifications every 6 hours, and a quiet check costing `quiet_check` at every other tick."""
    quiet = max(0.0, runs_per_month(schedule) - runs_per_month(FULL_VERIFICATION))
    return full_verifications(regions) + quiet * quiet_check


_CHILD = """
import sys
import botocore.session
from p2p_core.aws.client_classes import share_client_classes
share_client_classes()
session = botocore.session.get_session()
session.set_credentials("AKIDEXAMPLE", "secret")
clients = [session.create_client(s, region_name=r) for r in sys.argv[1:] for s in ("ec2", "autoscaling")]
clients.append(session.create_client("dynamodb", region_name=sys.argv[1]))
"""


def botocore_init(regions: list[str], runs: int = 5) -> float:
    """CPU seconds of a fresh process importing botocore and making the quiet check's clients (median of `runs`)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT / "layers" / "core")
    child_cpu(_CHILD, env, 1, *regions)  # writes the bytecode and warms the disk cache
    return child_cpu(_CHILD, env, runs, *regions)


def rows(floor: ReadingFloor) -> dict[str, Any]:
    """The benchmark rows of `floor` and of the states-only alternative."""
    regions = floor.regions
    fifteen, minute = "rate(15 minutes)", "rate(1 minute)"
    cold = monthly(fifteen, regions, floor.per_check(cold=True))
    warm = monthly(minute, regions, floor.per_check(cold=False))
    kept = monthly(minute, regions, floor.per_check(cold=False, new_connections=False))
    states = [monthly(cadence, regions, states_only_check()) for cadence in (fifteen, minute)]
    connections = floor.calls * floor.new_connection
    return {
        "reading_floor_monthly_usd": f"{cold:.3f} / {warm:.3f} / {kept:.3f}",
        "reading_floor_cpu_seconds": f"{floor.init:.3f} / {connections:.3f} / {floor.calls * floor.call:.3f}",
        "states_only_monthly_usd": f"{states[0]:.3f} / {states[1]:.3f}",
        "full_verifications_monthly_usd": round(full_verifications(regions), 4),
    }


def measure(https: dict[str, Any] | None = None) -> dict[str, Any]:
    """The floor measured here, with the HTTPS figures given (`benchmarks.tls.measure`'s; default: the last
    results'), and its rows."""
    last = https if https is not None else json.loads(RESULTS.read_text())
    regions = list(commercial_regions())
    floor = ReadingFloor(
        regions=len(regions),
        init=botocore_init(regions),
        new_connection=last["https_cpu_ms_per_new_connection_shared"] / 1000,
        call=last["https_cpu_ms_per_call_shared"] / 1000,
    )
    return {**rows(floor), "machine_load_during_floor": round(os.getloadavg()[0], 1)}


if __name__ == "__main__":
    print(record(measure(), "floors_measured_at"))
