"""Drift made by hand and changes AWS cannot make in place, as the operator sees them: `p2pctl` subprocesses.

The operator's own boto3 client changes the managed security group behind the tool's back;
`p2pctl plan` names the drift, `p2pctl run --wait` repairs it, and `plan` then has nothing to do.
A new `network.cidr_block` is refused: `plan` names the field, and the run fails that region.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from p2p_core import MANAGED_TAG, STACK_TAG
from tests.cli.local_cli import SHARED_SWITCHES, STACK, Local, running_local

REGION = "eu-west-1"
FLEET = {"regions": [REGION], "desired_capacity": 1, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}
SSH_TO_THE_WORLD = "security group: extra ingress 22/tcp from 0.0.0.0/0"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    """An emulator of its own, new: after the shared one ran test_cli_config's and test_cli_deploy_key's configs
    (and `Local.fresh`), the run applying FLEET left p2p-start/p2p-stop actions in eu-west-1 that `plan` then
    wants removed (run and plan disagree about the window there: not yet understood), and this module's first
    check is that `plan` finds nothing to do after a run."""
    yield from running_local(tmp_path_factory.mktemp("local") / "local.log", *SHARED_SWITCHES)


def managed_security_group(local: Local) -> str:
    ec2 = local.client("ec2", REGION)
    managed = [{"Name": f"tag:{STACK_TAG}", "Values": [STACK]}, {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]
    groups: list[dict[str, Any]] = ec2.describe_security_groups(Filters=managed)["SecurityGroups"]
    [group] = groups
    return str(group["GroupId"])


def test_plan_names_a_rule_added_by_hand_and_the_next_run_removes_it(local: Local) -> None:
    local.reset(**FLEET)
    assert "nothing to do" in local.ok("plan").stdout
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    local.client("ec2", REGION).authorize_security_group_ingress(
        GroupId=managed_security_group(local), IpPermissions=[ssh]
    )

    shown = local.ok("plan").stdout
    assert f"{REGION}: create/update infrastructure" in shown and SSH_TO_THE_WORLD in shown, shown
    [region] = local.json("plan")["regions"]
    assert region["reasons"] == [SSH_TO_THE_WORLD]

    local.ok("run", "--wait")
    assert "nothing to do: 1 region(s) match the config" in local.ok("plan").stdout


def test_a_new_cidr_block_is_refused_by_plan_naming_the_field(local: Local) -> None:
    local.reset(**FLEET)
    local.ok("config", "set", "network.cidr_block", "10.99.0.0/24")
    local.settle(int(local.stored()["version"]))

    shown = local.ok("plan").stdout
    assert f"{REGION}: refused: network.cidr_block '10.99.0.0/24' cannot be applied in place" in shown, shown
    last = local.status().last_run
    assert last is not None and last.status == "failed"
    [result] = last.regions
    assert result.error_code == "CidrBlockChanged" and "network.cidr_block" in (result.error_message or "")
