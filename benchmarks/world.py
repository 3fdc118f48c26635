"""The benchmarks' emulated account: the tests' world (p2p_emulator/world.py), runs that must succeed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from p2p_core.aws.clients import is_mutating
from p2p_emulator import shims
from p2p_emulator.world import WorkflowWorld, deployed_world
from p2pctl.runs import RunOutcome

ROOT = Path(__file__).resolve().parents[1]
HOME = "eu-central-1"
OWN_BOOKKEEPING = {"PutItem", "UpdateItem", "DeleteItem"}  # lease and status item in the config table
CONTROL_PLANE_SERVICES = {"dynamodb", "stepfunctions", "scheduler", "cloudfront", "lambda", "events"}
ACCOUNT_READS = {"DescribeRegions"}  # once per Plan, in the home region: which regions the account enabled


API_LATENCY = 0.08  # seconds: a regional AWS API round trip from a Lambda in another region is 50-250 ms


@contextlib.contextmanager
def emulated(regions: list[str], workdir: Path) -> Iterator[WorkflowWorld]:
    """The tests' world (p2p_emulator/world.py): the stack deployed into a fresh emulated account,
    AMI parameters and instance type offerings in `regions`, every AWS call the handlers make recorded."""
    shims.use_small_image_catalogue(workdir)
    shims.complete_instance_type_offerings(regions)
    with deployed_world("p2p-bench", regions) as world:
        yield world


def succeeded(world: WorkflowWorld, prefix: str) -> RunOutcome:
    """One run of the workflow, which must succeed for its figures to count."""
    outcome = world.run(prefix, timeout=900)
    if outcome.status != "SUCCEEDED":
        raise RuntimeError(f"{prefix} run {outcome.status}: {outcome.cause}")
    return outcome


def checked(world: WorkflowWorld, prefix: str) -> RunOutcome:
    """A scheduled run as EventBridge Scheduler starts it (the scheduled check), which must succeed."""
    outcome = world.scheduled_run(prefix, timeout=300)
    if outcome.status != "SUCCEEDED":
        raise RuntimeError(f"{prefix} check {outcome.status}: {outcome.cause}")
    return outcome


def fleet_reads(world: WorkflowWorld, regions: list[str]) -> list[Any]:
    """The last run's read calls of the fleet's regional services (not the control plane's, not the account's)."""
    return [
        call
        for call in world.calls
        if call.service not in CONTROL_PLANE_SERVICES
        and call.region in regions
        and call.operation not in ACCOUNT_READS
        and not is_mutating(call.operation)
    ]


def fleet_mutations(world: WorkflowWorld) -> list[tuple[str, str]]:
    """(region, operation) of the last run's mutating calls on the fleet (not the lease and status item)."""
    return [(region, op) for region, op in world.mutating_calls() if op not in OWN_BOOKKEEPING]


def config_for(regions: list[str], capacity: Any = 2) -> dict[str, Any]:
    return {
        "regions": regions,
        "desired_capacity": capacity,
        "start_time": "2020-01-01T00:00:00Z",
        "run_duration": None,
    }


def state_seconds(events: list[dict[str, Any]], state: str) -> float:
    """How long the execution spent in `state` (its first entry to its exit), from the execution history."""
    entered = next(e["timestamp"] for e in events if e.get("stateEnteredEventDetails", {}).get("name") == state)
    exited = next(e["timestamp"] for e in events if e.get("stateExitedEventDetails", {}).get("name") == state)
    return float((exited - entered).total_seconds())
