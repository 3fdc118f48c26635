"""Every message is true: teardown and decommission say what is left and why; doctor, logs, Ctrl-C what happened."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from p2p_core import MANAGED_TAG, STACK_TAG
from p2p_core.reconciler.decommission import BLOCKED_RUNS_LIMIT, DECOMMISSION_BLOCKED
from tests.cli.local_cli import P2PCTL, STACK, Local, eventually, p2pctl

REGION, NOT_ENABLED = "eu-west-1", "ap-east-1"
ONE_REGION = {"regions": [REGION], "start_offset": "0 minutes", "desired_capacity": 1}
MANAGED = [{"Name": f"tag:{STACK_TAG}", "Values": [STACK]}, {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]


def managed_vpcs(local: Local) -> list[str]:
    return [v["VpcId"] for v in local.client("ec2", REGION).describe_vpcs(Filters=MANAGED)["Vpcs"]]


def hand_made_subnet(local: Local) -> str:
    """A subnet made by hand in the stack's VPC (the stack's subnets use the first three /26 blocks)."""
    (vpc,) = managed_vpcs(local)
    ec2 = local.client("ec2", REGION)
    return str(ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.30.192/26")["Subnet"]["SubnetId"])


def words(text: str) -> str:
    """Printed text with the terminal's line wrapping undone."""
    return " ".join(text.split())


def removal_command(text: str, subnet: str) -> None:
    command = f"aws ec2 delete-subnet --subnet-id {subnet} --region {REGION}"
    assert command in words(text), text


# ------------------------------------------------------------------------------------------------ teardown


def test_teardown_terminates_an_instance_detached_by_hand_and_removes_its_network(local: Local) -> None:
    local.reset(**ONE_REGION)
    group = local.asg(REGION) or {}
    (instance,) = [i["InstanceId"] for i in group["Instances"]]
    local.client("autoscaling", REGION).detach_instances(
        InstanceIds=[instance], AutoScalingGroupName=group["AutoScalingGroupName"], ShouldDecrementDesiredCapacity=True
    )
    done = local.p2pctl("teardown", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "teardown complete: nothing of the stack remains in any region" in done.stdout
    ec2 = local.client("ec2", REGION)
    (found,) = [i for r in ec2.describe_instances(InstanceIds=[instance])["Reservations"] for i in r["Instances"]]
    assert found["State"]["Name"] == "terminated"
    assert managed_vpcs(local) == []
    assert ec2.describe_internet_gateways(Filters=MANAGED)["InternetGateways"] == []


def test_teardown_blocked_by_what_the_stack_did_not_make_names_it_and_exits_1(local: Local) -> None:
    local.reset(**ONE_REGION)
    subnet = hand_made_subnet(local)
    done = local.p2pctl("teardown", "--yes")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "teardown complete" not in done.stdout
    assert f"teardown incomplete: resources remain in {REGION}" in done.stderr
    removal_command(done.stdout, subnet)
    assert local.asg(REGION) is None  # everything else of the stack went
    local.client("ec2", REGION).delete_subnet(SubnetId=subnet)  # what the printed command does
    again = local.p2pctl("teardown", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert managed_vpcs(local) == []


# ------------------------------------------------------------------------------------------------ decommission


def test_a_decommission_blocked_by_a_hand_made_subnet_names_it_then_fails(local: Local) -> None:
    local.reset(**ONE_REGION)
    subnet = hand_made_subnet(local)
    local.reset(regions=["eu-north-1"], start_offset="0 minutes")  # eu-west-1 is decommissioned: blocked run 1
    for run in range(2, BLOCKED_RUNS_LIMIT):
        waiting = local.ok("run", "--wait")
        assert "waiting: VPC vpc-" in waiting.stdout and f"(run {run} of {BLOCKED_RUNS_LIMIT}" in waiting.stdout
        removal_command(waiting.stdout, subnet)
        assert "not made by the stack" in words(local.ok("status").stdout)
    last = local.p2pctl("run", "--wait")
    assert last.returncode == 1, last.stdout + last.stderr
    (result,) = [r for r in local.json("status")["last_run"]["regions"] if r["region"] == REGION]
    assert (result["status"], result["error_code"]) == ("failed", DECOMMISSION_BLOCKED)
    removal_command(result["error_message"], subnet)
    local.client("ec2", REGION).delete_subnet(SubnetId=subnet)
    local.ok("run", "--wait")
    assert managed_vpcs(local) == []


# ------------------------------------------------------------------------------------------------ doctor, logs


def test_doctor_skips_the_secret_path_of_a_switched_off_control_center(local: Local) -> None:
    local.reset(**ONE_REGION, control_center={"enabled": False})
    checks = json.loads(local.p2pctl("doctor", "--json").stdout)["checks"]
    (secret,) = [c for c in checks if c["name"] == "secret path"]
    assert (secret["mark"], secret["detail"]) == ("ok", "skipped: control_center.enabled is false")


def test_doctor_against_a_dead_endpoint_says_it_cannot_reach_it() -> None:
    dead = "http://127.0.0.1:9"
    done = p2pctl("--stack-name", STACK, "--endpoint-url", dead, "doctor")
    assert done.returncode == 1
    assert f"cannot reach the endpoint {dead}" in done.stdout
    assert "AWS_PROFILE" not in done.stdout + done.stderr


def test_logs_of_a_region_the_account_has_not_enabled_say_so(local: Local) -> None:
    done = local.p2pctl("logs", "--region", NOT_ENABLED)
    assert done.returncode == 0, done.stderr
    assert f"{NOT_ENABLED}: not enabled in this account" in done.stderr
    assert "security token" not in done.stderr


def test_deploy_key_delete_takes_json(local: Local) -> None:
    created = local.json("deploy-key", "create")
    deleted = json.loads(local.ok("deploy-key", "delete", "--yes", "--json").stdout)
    assert deleted == {
        "deleted": created["parameter"],
        "region": created["region"],
        "fingerprint": created["fingerprint"],
    }


# ------------------------------------------------------------------------------------------------ Ctrl-C


def test_ctrl_c_prints_one_line_and_exits_130(local: Local, tmp_path: Path) -> None:
    marker = tmp_path / "editor-started"
    env = {**local.env, "EDITOR": f"sh -c 'touch {marker}; exec sleep 60'"}
    process = subprocess.Popen(
        [*P2PCTL, "--stack-name", STACK, "config", "edit"], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    eventually(marker.exists, timeout=60)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, out + err
    assert err.startswith("interrupted (Ctrl-C)") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in out + err
