"""`p2pctl local` and the everyday commands against it, as an operator runs them (in process, a few as processes)."""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from p2p_core import MANAGED_TAG, STACK_TAG
from p2p_core.regions import commercial_regions
from tests.cli.local_cli import P2PCTL, STACK, Local, eventually

NOT_ENABLED, NO_CAPACITY = "ap-east-1", "ca-central-1"  # as both emulators of conftest.py model the account


def test_local_prints_one_json_line_with_everything_a_client_needs(local: Local) -> None:
    info = local.info
    assert set(info) >= {"endpoint_url", "region", "config_table", "state_machine_arn", "control_center_url"}
    assert info["endpoint_url"].startswith("http://127.0.0.1:")
    assert info["control_center_url"].startswith("http://127.0.0.1:")
    tables = local.client("dynamodb").list_tables()["TableNames"]
    assert info["config_table"] in tables


def test_a_plain_boto3_client_puts_a_config_item_and_the_asgs_follow(local: Local) -> None:
    """No p2pctl: a DynamoDB put_item on the printed endpoint; the stream starts the run."""
    item = {
        "pk": {"S": "config"},
        "regions": {"L": [{"S": "eu-west-1"}, {"S": "us-east-1"}]},
        "desired_capacity": {"N": "2"},
        "start_offset": {"S": "0 minutes"},
    }
    local.client("dynamodb").put_item(TableName=local.info["config_table"], Item=item)
    for region in ("eu-west-1", "us-east-1"):
        eventually(lambda r=region: (local.asg(r) or {}).get("DesiredCapacity") == 2)  # type: ignore[misc]


TWO_REGIONS = {"regions": ["eu-west-1", "us-east-1"], "start_offset": "0 minutes"}


def test_config_set_is_validated_and_bumps_the_version(local: Local) -> None:
    version = local.reset(**TWO_REGIONS)
    local.ok("config", "set", "desired_capacity", "{all: 1, aws: {us-east-1: 3}}")
    after = local.json("config", "show")
    assert after["desired_capacity"] == {"all": 1, "aws": {"us-east-1": 3}}
    assert after["version"] == version + 1
    eventually(lambda: (local.asg("us-east-1") or {}).get("DesiredCapacity") == 3)


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("desired_capacity.aws.eu-centrl-1", "2", "eu-centrl-1"),
        ("regions", "[mars-north-1]", "mars-north-1"),
        ("start_offset", "soon", "start_offset"),
        ("control_center.extra_headers", "{X-Bad: v}", "X-Bad"),
        ("control_center.extra_headers", "{cc-w-a-start: never}", "cc-w-a-start' is served by the control center"),
        ("instance.volume_size", "-5", "instance.volume_size"),
        ("start_time", "9999-12-31T23:59:59Z", "start_time: 9999-12-31T23:59:59Z is outside what AWS schedules"),
        ("run_duration", "99999999 days", "run_duration: '99999999 days' is longer than AWS can schedule"),
        ("start_offset", "80000 days", "start_offset: start_time + start_offset"),
        ("desired_capacity", "50000", "network.cidr_block 10.20.30.0/24 with network.az_number 3 makes 3 /26"),
        ("max_size", "178", "max_size 178 is more than the network holds"),
    ],
)
def test_bad_config_set_is_rejected_in_one_line_and_the_item_is_unchanged(
    local: Local, key: str, value: str, named: str
) -> None:
    local.reset(**TWO_REGIONS)
    before = local.json("config", "show")
    done = local.p2pctl("config", "set", "--", key, value)  # "--": values may start with "-"
    assert done.returncode == 1
    assert named in done.stderr
    assert "error:" in done.stderr and "fix:" in done.stderr
    assert "Traceback" not in done.stderr
    assert local.json("config", "show") == before


def test_two_concurrent_sets_one_wins_the_other_gets_a_conflict(local: Local) -> None:
    version = local.reset(**TWO_REGIONS)
    expect = str(version)

    def set_to(count: str) -> subprocess.CompletedProcess[str]:  # two processes: two operators at once
        return local.as_process("config", "set", "--expect-version", expect, "desired_capacity.aws.eu-west-1", count)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(set_to, ["5", "6"]))
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 3], [r.stderr for r in results]
    loser = next(r for r in results if r.returncode == 3)
    assert "config changed since version" in loser.stderr and "Traceback" not in loser.stderr
    winner = "5" if results[0].returncode == 0 else "6"
    after = local.json("config", "show")
    assert after["version"] == version + 1
    assert after["desired_capacity"]["aws"]["eu-west-1"] == int(winner)


def test_config_edit_applies_what_the_editor_saved(local: Local, tmp_path: Path) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/^schedule_expression: .*/schedule_expression: rate(30 minutes)/' \"$1\"\n")
    editor.chmod(0o755)
    version = local.reset(**TWO_REGIONS, schedule_expression="rate(15 minutes)")
    done = local.p2pctl("config", "edit", env={**local.env, "EDITOR": str(editor)})
    assert done.returncode == 0, done.stderr
    after = local.json("config", "show")
    assert after["schedule_expression"] == "rate(30 minutes)"
    assert after["version"] == version + 1


def test_plan_run_status_headers_and_cost(local: Local) -> None:
    local.reset(**TWO_REGIONS, schedule_expression="rate(30 minutes)", desired_capacity={"aws": {"eu-west-1": 5}})
    local.ok("config", "set", "regions", "[eu-west-1, us-east-1, sa-east-1]")
    local.settle(int(local.stored()["version"]))  # the edit's own run, started by the stream, has applied it
    planned = local.json("plan")
    assert {"regions", "unchanged_regions", "nothing_to_do"} <= set(planned)
    ran = local.json("run", "--wait")
    assert ran["status"] == "SUCCEEDED", ran
    status = local.json("status")
    assert sorted(status["managed_regions"]) == ["eu-west-1", "sa-east-1", "us-east-1"]
    assert status["last_run"]["status"] == "noop"  # the edit's own run already applied it
    assert local.json("plan")["nothing_to_do"] is True
    headers = local.json("headers")
    assert headers["cc-w-s-expression"] == "rate(30 minutes)"
    # the run changed its own cadence (UpdateSchedule) from schedule_expression
    schedule = local.client("scheduler").get_schedule(Name=local.output("ScheduleName"))
    assert schedule["ScheduleExpression"] == "rate(30 minutes)"
    assert json.loads(headers["cc-a-desired-capacity"]) == {"aws": {"eu-west-1": 5}}
    cost = local.json("cost")
    assert set(cost["fleet"]["regions"]) == {"eu-west-1", "sa-east-1", "us-east-1"}
    assert 0 < cost["control_plane_monthly_usd"] < 0.5
    text = local.ok("status")
    assert "sa-east-1" in text.stdout
    dashboard = local.output("DashboardName")
    assert f"cloudwatch/home?region={local.info['region']}#dashboards/dashboard/{dashboard}" in text.stdout
    assert local.client("cloudwatch").get_dashboard(DashboardName=dashboard)["DashboardBody"]


def test_errors_are_one_line_with_a_fix_and_no_traceback(local: Local) -> None:
    missing = local.p2pctl("--stack-name", "no-such-stack", "status")
    assert missing.returncode == 1
    assert "no-such-stack" in missing.stderr and "fix:" in missing.stderr and "Traceback" not in missing.stderr
    debug = local.as_process("--stack-name", "no-such-stack", "--debug", "status")  # the console script's traceback
    assert "Traceback" in debug.stderr


def idle(local: Local) -> bool:
    """No run in progress (config edits start runs through the stream)."""
    sfn = local.client("stepfunctions")
    return not sfn.list_executions(stateMachineArn=local.info["state_machine_arn"], statusFilter="RUNNING")[
        "executions"
    ]


def test_degraded_and_skipped_regions_are_shown_by_run_wait_and_status(limited_local: Local) -> None:
    """`p2pctl local --disable-region ap-east-1 --fail-launches ca-central-1=...`: an operator sees both."""
    local = limited_local
    local.reset(**TWO_REGIONS)  # agents start at once (start_offset 0), so launches are tried
    assert local.p2pctl("config", "set", "desired_capacity", "1", "--yes").returncode == 0  # may stop agents: meant
    done = local.p2pctl("config", "set", "regions", f"[eu-west-1, {NO_CAPACITY}, {NOT_ENABLED}]", "--yes")
    assert done.returncode == 0, done.stderr
    eventually(lambda: idle(local) and local.asg(NO_CAPACITY) is not None)
    eventually(lambda: idle(local))

    ran = local.p2pctl("run", "--wait")
    assert ran.returncode == 0, ran.stderr  # degraded is not the control plane's failure
    assert (
        f"⚠ {NO_CAPACITY}: degraded: instances below desired (0/1): We currently do not have sufficient" in ran.stdout
    )
    assert f"- {NOT_ENABLED}: skipped: not enabled in this account" in ran.stdout
    status = local.p2pctl("status")
    assert f"{NO_CAPACITY} degraded: instances below desired (0/1)" in " ".join(status.stdout.split())
    assert "not enabled in this account" in status.stdout
    found = local.json("status")
    assert found["last_run"]["status"] == "degraded"
    assert NOT_ENABLED not in found["managed_regions"] and NO_CAPACITY in found["managed_regions"]


def test_a_template_change_on_running_agents_shows_its_instance_refresh_in_run_wait_and_status(
    limited_local: Local,
) -> None:
    """`p2pctl local --refresh-seconds 3600`: the refresh stays in progress while the operator looks at it."""
    local = limited_local
    running = {
        "regions": ["eu-west-1"],
        "desired_capacity": 2,
        "run_duration": None,
        "start_time": "2020-01-01T00:00:00Z",
    }
    version = local.reset(**running)
    eventually(lambda: len((local.asg("eu-west-1") or {}).get("Instances", [])) == 2)
    old = (local.asg("eu-west-1") or {})["LaunchTemplate"]["Version"]
    local.ok("config", "set", "agent.delay", "30")  # new user data: a new launch template version
    local.settle(version + 1)
    new = (local.asg("eu-west-1") or {})["LaunchTemplate"]["Version"]
    assert new != old

    ran = local.ok("run", "--wait")  # the agents still run the old version: the refresh is reported, not restarted
    progress = f"instance refresh to template version {new}: InProgress, 0% (2 to update)"
    assert "✓ eu-west-1: no change" in ran.stdout and progress in ran.stdout
    status = local.ok("status")
    assert f"eu-west-1: {progress}" in status.stdout
    (result,) = [r for r in local.json("status")["last_run"]["regions"] if r["region"] == "eu-west-1"]
    assert (result["refresh"]["status"], result["refresh"]["percentage_complete"]) == ("InProgress", 0)
    refreshes = local.client("autoscaling", "eu-west-1").describe_instance_refreshes(
        AutoScalingGroupName=(local.asg("eu-west-1") or {})["AutoScalingGroupName"]
    )["InstanceRefreshes"]
    assert [r["Status"] for r in refreshes].count("InProgress") == 1  # never a second one
    plan = " ".join(local.ok("plan").stdout.split())
    assert f"want {new}: instance refresh" in plan
    local.ok("teardown", "--yes")  # the hour-long refresh must not outlive this test on a shared emulator


def test_local_refuses_to_disable_a_region_every_account_has() -> None:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    done = subprocess.run(
        [*P2PCTL, "--stack-name", STACK, "local", "--disable-region", "eu-central-1"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "'eu-central-1' is not an opt-in region" in done.stderr and "Traceback" not in done.stderr


def test_teardown_leaves_nothing_managed_in_any_region(local: Local) -> None:
    local.reset(**TWO_REGIONS)
    assert local.asg("us-east-1") is not None
    done = local.p2pctl("teardown", "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    managed = [{"Name": f"tag:{STACK_TAG}", "Values": [STACK]}, {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]
    for region in set(commercial_regions()) - {NOT_ENABLED}:  # the account cannot even look there
        ec2 = local.client("ec2", region)
        assert ec2.describe_vpcs(Filters=managed)["Vpcs"] == [], region
        assert local.asg(region) is None, region
    assert local.json("config", "show")["regions"] == []
