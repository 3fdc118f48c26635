"""Start workflow runs and read their outcome: shared by `p2pctl run --wait`, local mode, the demo and tests."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@dataclass
class RunOutcome:
    """A finished execution: status, output or error, and its history."""

    execution_arn: str
    name: str
    status: str
    output: dict[str, Any] | None = None
    error: str | None = None
    cause: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def states_entered(self) -> list[str]:
        """Names of the states entered, in order (each is one state transition)."""
        return [e["stateEnteredEventDetails"]["name"] for e in self.events if e["type"].endswith("StateEntered")]

    @property
    def transitions(self) -> int:
        """State transitions of the run (what Step Functions bills)."""
        return len(self.states_entered)


def run_name(prefix: str = "run") -> str:
    """A unique execution name (moto reuses a default one when none is given)."""
    return f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


def start_run(sfn: Any, state_machine_arn: str, source: str = "manual", name: str | None = None) -> str:
    """Start an execution; returns its ARN."""
    started = sfn.start_execution(
        stateMachineArn=state_machine_arn, name=name or run_name(source), input=json.dumps({"source": source})
    )
    arn: str = started["executionArn"]
    return arn


def wait_run(sfn: Any, execution_arn: str, timeout: float = 300.0, poll: float = 0.05) -> RunOutcome:
    """Poll until the execution ends; raises TimeoutError after `timeout` seconds."""
    began = time.monotonic()
    while True:
        found = sfn.describe_execution(executionArn=execution_arn)
        if found["status"] in TERMINAL:
            break
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"execution {execution_arn} still {found['status']} after {timeout:.0f} s")
        time.sleep(poll)
    events = execution_history(sfn, execution_arn)
    return RunOutcome(
        execution_arn=execution_arn,
        name=found["name"],
        status=found["status"],
        output=json.loads(found["output"]) if found.get("output") else None,
        error=found.get("error"),
        cause=found.get("cause"),
        events=events,
        seconds=time.monotonic() - began,
    )


def execution_history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of an execution, oldest first (all pages)."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]
