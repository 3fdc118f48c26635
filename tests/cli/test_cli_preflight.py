"""`p2pctl regions` and `p2pctl doctor` as an operator runs them, against `p2pctl local`.

The emulated account has not enabled `ap-east-1`, has an on-demand vCPU quota (L-1216C47A) of 8 and a
Spot vCPU quota (L-34B43A08) of 4 in `eu-west-3` (32, a new account's, elsewhere) and a new account's
Lambda concurrency of 10; Plan records the headroom, `status` and `run --wait` warn before the launches fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from p2p_core.regions import commercial_regions
from tests.cli.local_cli import Local


@pytest.fixture(scope="module")
def local(limited_local: Local) -> Local:
    """`p2pctl local` with quotas and Lambda concurrency set low (conftest.LIMITED_SWITCHES), ap-east-1 not enabled."""
    return limited_local


def test_a_healthy_stack_passes_every_check_and_doctor_exits_0(local: Local) -> None:
    local.reset(regions=["eu-central-1"], desired_capacity=1)
    done = local.p2pctl("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  ✗ " not in done.stdout and done.stdout.rstrip().endswith(", 0 ✗")
    for line in ("✓ credentials: account 123456789012", "✓ vCPU quota: 1 × t3.micro = 2 vCPUs", "✓ AMI:"):
        assert line in done.stdout
    assert "Spot vCPU quota" not in done.stdout  # on demand: not checked
    for name in ("schedule", "config-edit Pipe", "secret path: 200 with", "other paths: 404", "last run"):
        assert f"✓ {name}" in done.stdout, done.stdout
    report = local.json("doctor")
    assert report["ok"] is True and {c["mark"] for c in report["checks"]} <= {"ok", "warn"}


def test_a_fleet_over_quota_fails_doctor_naming_the_quota_and_the_request_and_status_warns(local: Local) -> None:
    local.reset(regions=["eu-west-3"], desired_capacity=5)
    done = local.p2pctl("doctor")
    assert done.returncode == 1
    assert "✗ vCPU quota: 5 × t3.micro = 10 vCPUs + 0 running = 10 > quota 8 (L-1216C47A)" in done.stdout
    fix = (
        "fix: aws service-quotas request-service-quota-increase --region eu-west-3 --service-code ec2 "
        "--quota-code L-1216C47A --desired-value 13"
    )
    assert fix in done.stdout
    warning = "eu-west-3: 5 × t3.micro = 10 vCPUs > quota 8 (L-1216C47A)"
    assert warning in local.ok("status").stdout
    assert warning in local.ok("run", "--wait").stdout
    assert local.json("run", "--wait")["quota_warnings"][0].startswith(warning)


def test_a_new_accounts_lambda_concurrency_is_a_warning_naming_how_many_regions_the_map_runs_at_once(
    local: Local, tmp_path: Path
) -> None:
    local.reset(regions=["eu-central-1"], desired_capacity=0)
    checks = {c["name"]: c for c in local.json("doctor")["checks"] if c["group"] == "account"}
    concurrency = checks["Lambda concurrency"]
    assert concurrency["mark"] == "warn"
    assert concurrency["detail"].startswith("10 unreserved of 10 in eu-central-1; below 50")
    assert concurrency["fix"] == (
        "aws service-quotas request-service-quota-increase --region eu-central-1 --service-code lambda "
        "--quota-code L-B99A9384 --desired-value 1000"
    )
    fourteen = tmp_path / "fourteen.json"
    fourteen.write_text(json.dumps({"regions": [r for r in commercial_regions() if r != "ap-east-1"][:14]}))
    done = local.p2pctl("doctor", "--file", str(fourteen))
    assert "⚠ Lambda concurrency: 10 unreserved of 10 in eu-central-1; 14 region(s) need 17 at once: " in done.stdout
    assert "the Map reconciles 7 at a time" in done.stdout


def test_on_spot_doctor_checks_the_spot_vcpu_quota_against_the_instances_above_the_base(local: Local) -> None:
    spot = {"market": "spot", "on_demand_base": 1}
    local.reset(regions=["eu-central-1", "eu-west-3"], desired_capacity=4, instance=spot)
    done = local.p2pctl("doctor")
    assert done.returncode == 1, done.stdout
    assert "✗ Spot vCPU quota: 3 × t3.micro = 6 vCPUs on Spot > quota 4 (L-34B43A08)" in done.stdout
    assert "--quota-code L-34B43A08 --desired-value 8" in done.stdout
    assert "✓ Spot vCPU quota: 3 × t3.micro = 6 vCPUs on Spot of quota 32 (L-34B43A08)" in done.stdout
    assert "✓ vCPU quota: 1 × t3.micro = 2 vCPUs" in done.stdout  # the on-demand base only


def test_a_selected_region_not_enabled_is_a_failure_with_the_enable_command(local: Local) -> None:
    local.reset(regions=["ap-east-1", "eu-central-1"], desired_capacity=1)
    done = local.p2pctl("doctor")
    assert done.returncode == 1
    assert "✗ enabled: disabled in this account" in done.stdout
    assert "fix: aws account enable-region --region-name ap-east-1" in done.stdout
    report = local.p2pctl("doctor", "--json")
    assert report.returncode == 1
    checks = json.loads(report.stdout)["checks"]
    assert [(c["group"], c["name"]) for c in checks if c["mark"] == "fail"] == [("ap-east-1", "enabled")]


def test_regions_lists_every_commercial_region_with_opt_in_zones_quota_and_need(local: Local) -> None:
    local.reset(
        regions=["ap-east-1", "eu-central-1", "eu-west-3"], desired_capacity={"all": 1, "aws": {"eu-west-3": 5}}
    )
    found = local.json("regions")
    rows = {r["region"]: r for r in found["regions"]}
    assert sorted(rows) == list(commercial_regions())
    assert (found["instance_type"], found["architectures"], found["vcpus_each"]) == ("t3.micro", ["x86_64"], 2)
    assert rows["ap-east-1"]["enabled"] is False and rows["ap-east-1"]["selected"] is True
    assert rows["af-south-1"]["opt_status"] == "ENABLED" and rows["us-east-1"]["opt_status"] == "ENABLED_BY_DEFAULT"
    assert len(rows["eu-central-1"]["zones"]) == 3 and rows["eu-central-1"]["quota_vcpus"] == 32
    assert (rows["eu-west-3"]["quota_vcpus"], rows["eu-west-3"]["needed_vcpus"]) == (8, 10)
    assert rows["us-east-1"]["selected"] is False and rows["us-east-1"]["needed_vcpus"] == 0
    table = local.ok("regions").stdout
    assert "✗ not enabled" in table and "✗ over quota" in table


def test_before_sam_deploy_doctor_checks_the_default_config_and_says_to_deploy(local: Local) -> None:
    done = local.p2pctl("doctor", "--stack-name", "not-deployed-yet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "⚠ stack: stack 'not-deployed-yet' not found" in done.stdout
    assert "fix: sam deploy --guided" in done.stdout
    assert "eu-central-1" in done.stdout and "control center" not in done.stdout
    assert json.loads(local.p2pctl("regions", "--stack-name", "not-deployed-yet", "--json").stdout)[
        "config"
    ].startswith("defaults")
