"""Seconds from a hand-made security-group rule to its repair through drift events, in the emulator.

The account has a multi-region trail (what `CreateTrail=false` expects) and the emulator emits AWS's own events.
An operator's plain boto3 call opens 22/tcp to 0.0.0.0/0 on the fleet's security group in a managed region that
is not the home one; CloudTrail's event goes through the region's drift-event rule to the home bus, DriftRule
starts the scheduled check, the check's 5-second window closes, Plan verifies the region and the reconcile run
revokes the rule. Nothing is started by hand and no schedule ticks. Timed with the wall clock from the call to the
first describe that no longer shows the rule, `changes` times, each after the last one's runs ended.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.world import HOME, emulated, succeeded
from p2p_emulator import shims
from p2p_emulator.seed import seed_account_trail
from p2p_emulator.world import WorkflowWorld
from p2pctl.runs import wait_run

OTHER = "us-east-1"
SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
FLEET = {"regions": [HOME, OTHER], "desired_capacity": 1, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}


def _fleet_group(world: WorkflowWorld) -> str:
    ec2 = world.clients.client("ec2", OTHER)
    vpc = world.managed_vpcs(OTHER)[0]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    return str(next(g["GroupId"] for g in groups if g["GroupName"] != "default"))


def _ssh_open(world: WorkflowWorld, group: str) -> bool:
    rules = world.clients.client("ec2", OTHER).describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    return any(
        r.get("FromPort") == 22 and {"CidrIp": "0.0.0.0/0"} in r.get("IpRanges", []) for r in rules["IpPermissions"]
    )


def _settled(world: WorkflowWorld) -> None:
    """Every execution the events started has ended (the next change starts from a quiet account)."""
    for machine in (world.stack.scheduled_check_arn, world.stack.state_machine_arn):
        for run in world.sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            wait_run(world.sfn, run["executionArn"], timeout=300)


def drift_event_repair(workdir: Path, changes: int = 5) -> dict[str, Any]:
    """Hand-made 22/tcp → revoked, through events only: seconds (median, max) and runs started per change."""
    with emulated([HOME, OTHER], workdir) as world:
        world.put_config(**FLEET)
        succeeded(world, "provision")
        seed_account_trail(world.clients, HOME)
        group, ec2 = _fleet_group(world), world.clients.client("ec2", OTHER)
        seconds, runs_before = [], len(world.reconcile_runs())
        with shims.aws_events_emitted():
            for _ in range(changes):
                began = time.monotonic()
                ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[SSH])
                while _ssh_open(world, group):
                    if time.monotonic() - began > 300:
                        raise TimeoutError("the rule opened by hand was not revoked within 300 s")
                    time.sleep(0.05)
                seconds.append(time.monotonic() - began)
                _settled(world)
        runs = len(world.reconcile_runs()) - runs_before
    median, slowest = round(statistics.median(seconds), 2), round(max(seconds), 2)
    return {
        "drift_event_repair_seconds": f"{median} / {slowest}",
        "drift_event_repair_seconds_median": median,
        "drift_event_runs_per_change": round(runs / changes, 2),
    }
