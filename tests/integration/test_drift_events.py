"""Drift events end to end, the emulator's side (issue 26 §3): an operator's hand-made change in a managed region is
CloudTrail's event there, the region's drift rule delivers it to the home bus, the template's DriftRule starts the
scheduled check, and the run it starts repairs the region. No run is started by hand and no schedule ticks.

The account has a multi-region trail (what CreateTrail=false expects) and AWS's events on (`aws_events_emitted`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from p2p_emulator import shims
from p2p_emulator.seed import seed_account_trail
from p2p_emulator.world import HOME, WorkflowWorld
from p2pctl.runs import wait_run
from tests.integration.test_drift_rules import OTHER, provisioned

SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
WITHIN_SECONDS = 60.0  # the check's 5-second window, Plan, one region's repair; on a busy 2-CPU machine


def checks(world: WorkflowWorld) -> list[dict[str, Any]]:
    assert world.stack.scheduled_check_arn is not None
    found: list[dict[str, Any]] = world.sfn.list_executions(stateMachineArn=world.stack.scheduled_check_arn)[
        "executions"
    ]
    return found


def fleet_security_group(world: WorkflowWorld, region: str) -> str:
    vpc = world.managed_vpcs(region)[0]
    ec2 = world.clients.client("ec2", region)
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    (group,) = [g for g in groups if g["GroupName"] != "default"]
    return str(group["GroupId"])


def ssh_open(world: WorkflowWorld, region: str, group: str) -> bool:
    ec2 = world.clients.client("ec2", region)
    rules = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    return any(r.get("FromPort") == 22 and {"CidrIp": "0.0.0.0/0"} in r.get("IpRanges", []) for r in rules)


def test_a_rule_opened_by_hand_is_revoked_through_events_with_no_run_started_by_hand(world: WorkflowWorld) -> None:
    provisioned(world)
    seed_account_trail(world.clients, HOME)
    group = fleet_security_group(world, OTHER)
    runs_before = len(world.reconcile_runs())
    with shims.aws_events_emitted():
        started = time.monotonic()
        world.clients.client("ec2", OTHER).authorize_security_group_ingress(GroupId=group, IpPermissions=[SSH])
        (check,) = checks(world)  # started by the event, before the operator's call returned
        checked = wait_run(world.sfn, check["executionArn"], timeout=120)
        assert checked.status == "SUCCEEDED", checked.cause
        assert json.loads(world.sfn.describe_execution(executionArn=check["executionArn"])["input"]) == {
            "source": "drift-event",
            "region": OTHER,
        }
        assert checked.output is not None and checked.output.get("reconcile_run")
        repaired = wait_run(world.sfn, str(checked.output["reconcile_run"]), timeout=120)
        elapsed = time.monotonic() - started
    assert repaired.status == "SUCCEEDED", repaired.cause
    assert not ssh_open(world, OTHER, group)
    assert len(world.reconcile_runs()) == runs_before + 1 and elapsed < WITHIN_SECONDS


def test_the_control_planes_own_changes_start_no_check(world: WorkflowWorld) -> None:
    """A provisioning run writes in both regions as the ReconcileRegion role: CloudTrail records every write, and
    the drift pattern lets none of them through."""
    seed_account_trail(world.clients, HOME)
    with shims.aws_events_emitted():
        provisioned(world)
        assert world.mutating_calls()  # the run changed both regions
    assert checks(world) == []
