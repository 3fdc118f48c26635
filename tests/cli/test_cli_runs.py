"""Runs as an operator sees them: `p2pctl status` and `p2pctl run --wait` as subprocesses against `p2pctl local`.

A run stopped in Plan by a bad item, a failed region, and a run that found the lease taken are each
reported as what they were, with an exit code that says so.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

from p2p_core.config import ConfigItem
from p2p_core.resources.template_content import ami_parameter
from p2p_core.storage.lease import LEASE_KEY
from tests.cli.local_cli import Local, eventually

HOME_ONLY = {"regions": ["eu-west-1"], "desired_capacity": 1, "start_offset": "0 minutes"}
FOUR_REGIONS = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1"]
NO_AMI = "us-east-2"  # the test deletes the OS's public AMI parameter there (for good: the shared emulator
# cannot put an /aws/ parameter back), so no other module sharing `p2pctl local` may use this region


def last_run_status(local: Local) -> str | None:
    last = local.status().last_run
    return last.status if last is not None else None


def at_80_columns(local: Local, *args: str) -> subprocess.CompletedProcess[str]:
    done = local.p2pctl(*args, env={**local.env, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    return done


def test_status_shows_the_run_a_misspelt_field_stopped_naming_it_and_keeps_the_regions(local: Local) -> None:
    local.reset(**HOME_ONLY)
    version = int(local.stored()["version"])
    local.put_item({**HOME_ONLY, "desired_capcity": 2, "version": version + 1})  # any DynamoDB client can
    local.settle()
    eventually(lambda: last_run_status(local) == "failed")  # the edit's own run stopped in Plan

    ran = local.p2pctl("run", "--wait")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    error = ran.stderr.splitlines()
    assert "stopped in Plan, nothing was changed" in error[0] and "desired_capcity: unknown field" in error[0]
    assert "the next run retries" not in ran.stderr  # untrue here: every run stops the same way until fixed
    assert "Traceback" not in ran.stderr

    shown = at_80_columns(local, "status").stdout
    assert "failed" in shown and "desired_capcity: unknown field" in shown
    assert "stopped in Plan (ConfigInvalid)" in shown
    row = next(line for line in shown.splitlines() if line.startswith("eu-west-1 "))
    assert row.split()[1] == "ok"  # the region keeps its last known result
    table = shown[shown.index("regions (each") : shown.index("recent runs")]
    assert max(len(line) for line in table.splitlines()) <= 80

    fixed = local.follow_fix(ran.stderr)  # the fix line's command removes the bad field
    assert all(done.returncode == 0 for done in fixed)
    assert "desired_capcity" not in local.stored()
    local.settle()


def test_status_and_run_wait_over_a_status_item_damaged_by_hand_warn_and_the_run_rewrites_it(local: Local) -> None:
    """The status item edited by hand (`recent_runs` not a list, `last_run` missing its fields): `status` and
    `run --wait` work, naming the damaged parts as warnings, never a traceback; the run rewrites the item."""
    local.reset(**HOME_ONLY)
    local.client("dynamodb").update_item(
        TableName=local.info["config_table"],
        Key={"pk": {"S": "status"}},
        UpdateExpression="SET recent_runs = :s, last_run = :m",
        ExpressionAttributeValues={":s": {"S": "oops"}, ":m": {"M": {"execution": {"N": "5"}}}},
    )
    shown = local.p2pctl("status")
    assert shown.returncode == 0, shown.stderr
    assert "warning: status item: recent_runs is unreadable (Input should be a valid list, got 'oops')" in shown.stderr
    assert "warning: status item: last_run is unreadable" in shown.stderr
    assert "eu-west-1" in shown.stdout  # what is readable is shown: every region's last result
    as_json = local.p2pctl("status", "--json")
    assert as_json.returncode == 0 and len(json.loads(as_json.stdout)["warnings"]) == 2
    ran = local.p2pctl("run", "--wait")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr + shown.stderr
    local.settle()
    after = local.p2pctl("status")
    assert after.returncode == 0 and "warning" not in after.stderr, after.stderr
    assert local.status().warnings == []


def test_run_wait_names_the_failed_region_and_its_error_and_exits_1(local: Local) -> None:
    local.reset(**HOME_ONLY)
    ssm = local.client("ssm", NO_AMI)
    ssm.delete_parameter(Name=ami_parameter(ConfigItem().instance))
    local.ok("config", "set", "regions", f"[eu-west-1, {NO_AMI}]")
    local.settle(int(local.stored()["version"]))  # the edit's own run recorded: `run --wait` then runs alone

    ran = local.p2pctl("run", "--wait")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert f"✗ {NO_AMI}: failed: ParameterNotFound" in ran.stdout
    assert "✓ ?" not in ran.stdout
    assert "run manual-" in ran.stderr and f"{NO_AMI}: ParameterNotFound" in ran.stderr
    assert f"the next run retries {NO_AMI} (ParameterNotFound)" in ran.stderr

    shown = at_80_columns(local, "status").stdout
    row = next(line for line in shown.splitlines() if line.startswith(f"{NO_AMI} "))
    assert row.split()[1] == "failed" and "ParameterNotFound" in row
    local.ok("config", "set", "regions", "[eu-west-1]", "--yes")  # the region leaves the selection: decommissioned
    local.settle()


def put_lease(local: Local, owner: str) -> None:
    """The lease item as `Lease.acquire` writes it: the run named `owner` holds it for ten minutes."""
    expires = datetime.now(UTC) + timedelta(minutes=10)
    item = {"pk": {"S": LEASE_KEY}, "owner": {"S": owner}, "expires_at": {"N": str(int(expires.timestamp()))}}
    local.client("dynamodb").put_item(TableName=local.info["config_table"], Item=item)


def test_run_wait_follows_the_run_holding_the_lease_and_its_follow_up(local: Local) -> None:
    """A run provisioning four regions holds the lease; an edit lands meanwhile; then `run --wait`.

    Its run is skipped naming the holder; it follows the holder to its end and reports it, then the
    follow-up run the holder started for the edit (if the edit landed after the holder's Plan read
    the item: else the holder applied it itself). Either way the edit is applied when it exits 0.
    """
    local.reset(**HOME_ONLY)
    holder = f"holder-{uuid.uuid4().hex[:8]}"
    put_lease(local, holder)  # before the edit: the edit's own run finds the lease taken
    version = int(local.stored()["version"])
    local.put_item({**HOME_ONLY, "regions": FOUR_REGIONS, "version": version + 1})
    sfn = local.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=local.info["state_machine_arn"], name=holder, input='{"source": "manual"}'
    )
    local.ok("config", "set", "desired_capacity", "2")

    ran = local.p2pctl("run", "--wait")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"skipped: another run holds the lease: {holder}" in ran.stdout
    assert f"following run {holder}: it holds the lease" in ran.stdout
    assert f"run {holder}: SUCCEEDED" in ran.stdout
    follow_up = json.loads(sfn.describe_execution(executionArn=started["executionArn"])["output"]).get("follow_up")
    if follow_up:
        assert f"following run {follow_up}: it applies the newer config" in ran.stdout
        assert f"run {follow_up}: SUCCEEDED" in ran.stdout
    skipped = local.status().last_skipped
    assert skipped is not None and skipped.held_by == holder
    local.settle(version + 2)  # a run (the holder or its follow-up) recorded the edit
    assert all(local.asg(region)["DesiredCapacity"] == 2 for region in FOUR_REGIONS)  # type: ignore[index]
