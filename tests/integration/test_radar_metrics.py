"""What the FleetAgentsMissing alarm compares: the in-service count the scheduled check (Plan) emits, as EMF.

The workflow runs through the real ASL in the emulator; the handlers print their EMF lines to stdout, as on Lambda.
The radar's own `AgentReports` per region is covered by tests/unit/test_radar.py (the tally) and the handler test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from p2p_emulator.world import WorkflowWorld

RUNNING = {"regions": ["eu-central-1", "us-east-1"], "desired_capacity": 2, "start_time": "2020-01-01T00:00:00Z"}


def emf(out: str, name: str) -> list[dict[str, Any]]:
    """The EMF documents on stdout that carry metric `name`."""
    found = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            metrics = document["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            if any(m["Name"] == name for m in metrics):
                found.append(document)
    return found


def test_the_scheduled_check_emits_the_instances_in_service_over_every_region(
    world: WorkflowWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.put_config(**RUNNING, run_duration=None)
    assert world.run().status == "SUCCEEDED"
    capsys.readouterr()
    assert world.scheduled_run().status == "SUCCEEDED"
    (document,) = emf(capsys.readouterr().out, "AgentsInService")
    assert document["AgentsInService"] == [4.0]  # 2 instances in each of the 2 regions
    assert document["service"] == "p2p-control-plane"
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
