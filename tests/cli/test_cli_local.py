"""`p2pctl` as a user runs it: a subprocess against `p2pctl local`, itself a subprocess started here."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from p2p_core import MANAGED_TAG, STACK_TAG
from p2p_core.regions import commercial_regions
from p2pctl.fleet import managed_asg

STACK = "p2p-cli-test"
P2PCTL = [sys.executable, "-m", "p2pctl.main"]
NOT_ENABLED, NO_CAPACITY = "ap-east-1", "ca-central-1"
SWITCHES = ["--disable-region", NOT_ENABLED, "--fail-launches", f"{NO_CAPACITY}=InsufficientInstanceCapacity"]
SWITCHES += ["--refresh-seconds", "3600"]  # an instance refresh stays in progress while the tests look at it


class Local:
    """The running `p2pctl local` and a way to run `p2pctl` commands against it."""

    def __init__(self, process: subprocess.Popen[str], info: dict[str, str], log: Path) -> None:
        self.process = process
        self.info = info
        self.log = log
        self.env = {
            **os.environ,
            "AWS_ENDPOINT_URL": info["endpoint_url"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "COLUMNS": "200",
        }

    def p2pctl(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        command = [*P2PCTL, "--stack-name", STACK, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env or self.env, check=False)

    def json(self, *args: str) -> Any:
        done = self.p2pctl(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def client(self, service: str, region: str | None = None) -> Any:
        return boto3.client(
            service,
            region_name=region or self.info["region"],
            endpoint_url=self.info["endpoint_url"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def asg(self, region: str) -> dict[str, Any] | None:
        return managed_asg(self.client("autoscaling", region), STACK)


def eventually(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not true after {timeout} s: {check}")


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    log = tmp_path_factory.mktemp("local") / "local.log"
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    with log.open("w") as errors:
        process = subprocess.Popen(
            [*P2PCTL, "--stack-name", STACK, "local", "--tick", "3600", *SWITCHES],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, log.read_text()
    running = Local(process, json.loads(line), log)
    yield running
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, log.read_text()[-2000:]


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


def test_config_set_is_validated_and_bumps_the_version(local: Local) -> None:
    before = local.json("config", "show")
    done = local.p2pctl("config", "set", "desired_capacity", "{all: 1, aws: {us-east-1: 3}}")
    assert done.returncode == 0, done.stderr
    after = local.json("config", "show")
    assert after["desired_capacity"] == {"all": 1, "aws": {"us-east-1": 3}}
    assert after["version"] == before.get("version", 0) + 1
    eventually(lambda: (local.asg("us-east-1") or {}).get("DesiredCapacity") == 3)


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("desired_capacity.aws.eu-centrl-1", "2", "eu-centrl-1"),
        ("regions", "[mars-north-1]", "mars-north-1"),
        ("start_offset", "soon", "start_offset"),
        ("control_center.extra_headers", "{X-Bad: v}", "X-Bad"),
        ("instance.volume_size", "-5", "instance.volume_size"),
    ],
)
def test_bad_config_set_is_rejected_in_one_line_and_the_item_is_unchanged(
    local: Local, key: str, value: str, named: str
) -> None:
    before = local.json("config", "show")
    done = local.p2pctl("config", "set", "--", key, value)  # "--": values may start with "-"
    assert done.returncode == 1
    assert named in done.stderr
    assert "error:" in done.stderr and "fix:" in done.stderr
    assert "Traceback" not in done.stderr
    assert local.json("config", "show") == before


def test_two_concurrent_sets_one_wins_the_other_gets_a_conflict(local: Local) -> None:
    version = local.json("config", "show")["version"]
    expect = str(version)

    def set_to(count: str) -> subprocess.CompletedProcess[str]:
        return local.p2pctl("config", "set", "--expect-version", expect, "desired_capacity.aws.eu-west-1", count)

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
    version = local.json("config", "show")["version"]
    done = local.p2pctl("config", "edit", env={**local.env, "EDITOR": str(editor)})
    assert done.returncode == 0, done.stderr
    after = local.json("config", "show")
    assert after["schedule_expression"] == "rate(30 minutes)"
    assert after["version"] == version + 1


def test_plan_run_status_headers_and_cost(local: Local) -> None:
    local.p2pctl("config", "set", "regions", "[eu-west-1, us-east-1, sa-east-1]")
    planned = local.json("plan")
    assert {"regions", "unchanged_regions", "nothing_to_do"} <= set(planned)
    ran = local.json("run", "--wait")
    assert ran["status"] == "SUCCEEDED", ran
    status = local.json("status")
    assert sorted(status["managed_regions"]) == ["eu-west-1", "sa-east-1", "us-east-1"]
    assert status["last_run"]["status"] in {"ok", "noop"}
    assert json.loads(local.p2pctl("plan", "--json").stdout)["nothing_to_do"] is True
    headers = local.json("headers")
    assert headers["cc-w-s-expression"] == "rate(30 minutes)"
    # the run changed its own cadence (UpdateSchedule) from schedule_expression
    stack = local.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    name = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "ScheduleName")
    schedule = local.client("scheduler").get_schedule(Name=name)
    assert schedule["ScheduleExpression"] == "rate(30 minutes)"
    assert json.loads(headers["cc-a-desired-capacity"])["aws"]["eu-west-1"] in {5, 6}
    cost = local.json("cost")
    assert set(cost["fleet"]["regions"]) == {"eu-west-1", "sa-east-1", "us-east-1"}
    assert 0 < cost["control_plane_monthly_usd"] < 0.5
    text = local.p2pctl("status")
    assert text.returncode == 0 and "sa-east-1" in text.stdout


def test_errors_are_one_line_with_a_fix_and_no_traceback(local: Local) -> None:
    missing = local.p2pctl("--stack-name", "no-such-stack", "status")
    assert missing.returncode == 1
    assert "no-such-stack" in missing.stderr and "fix:" in missing.stderr and "Traceback" not in missing.stderr
    debug = local.p2pctl("--stack-name", "no-such-stack", "--debug", "status")
    assert "Traceback" in debug.stderr


def idle(local: Local) -> bool:
    """No run in progress (config edits start runs through the stream)."""
    sfn = local.client("stepfunctions")
    return not sfn.list_executions(stateMachineArn=local.info["state_machine_arn"], statusFilter="RUNNING")[
        "executions"
    ]


def test_degraded_and_skipped_regions_are_shown_by_run_wait_and_status(local: Local) -> None:
    """`p2pctl local --disable-region ap-east-1 --fail-launches ca-central-1=...`: an operator sees both."""
    assert local.p2pctl("config", "set", "desired_capacity", "1").returncode == 0
    done = local.p2pctl("config", "set", "regions", f"[eu-west-1, {NO_CAPACITY}, {NOT_ENABLED}]")
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


def test_a_template_change_on_running_agents_shows_its_instance_refresh_in_run_wait_and_status(local: Local) -> None:
    for key, value in (
        ("regions", "[eu-west-1]"),
        ("desired_capacity", "2"),
        ("run_duration", "null"),
        ("start_time", "2020-01-01T00:00:00Z"),
    ):
        done = local.p2pctl("config", "set", key, value)
        assert done.returncode == 0, done.stderr
    eventually(lambda: idle(local) and len((local.asg("eu-west-1") or {}).get("Instances", [])) == 2)
    eventually(lambda: idle(local))
    assert local.p2pctl("config", "set", "agent.delay", "30").returncode == 0  # new user data: version 2
    eventually(lambda: idle(local) and (local.asg("eu-west-1") or {})["LaunchTemplate"]["Version"] != "1")
    eventually(lambda: idle(local))

    ran = local.p2pctl("run", "--wait")  # the agents are still on version 1: the refresh is reported
    assert ran.returncode == 0, ran.stderr
    assert "✓ eu-west-1: no change" in ran.stdout
    assert "instance refresh to template version 2: InProgress, 0% (2 to update)" in ran.stdout
    status = local.p2pctl("status")
    assert "eu-west-1: instance refresh to template version 2: InProgress, 0% (2 to update)" in status.stdout
    plan = local.p2pctl("plan")
    assert "2 instance(s) on launch template version 1, want 2: instance refresh" in " ".join(plan.stdout.split())


def test_local_refuses_to_disable_a_region_every_account_has() -> None:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    done = subprocess.run(
        [*P2PCTL, "--stack-name", STACK, "local", "--disable-region", "eu-central-1"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "'eu-central-1' is not an opt-in region" in done.stderr and "Traceback" not in done.stderr


def test_teardown_leaves_nothing_managed_in_any_region(local: Local) -> None:
    done = local.p2pctl("teardown", "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    managed = [{"Name": f"tag:{STACK_TAG}", "Values": [STACK]}, {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]
    for region in set(commercial_regions()) - {NOT_ENABLED}:  # the account cannot even look there
        ec2 = local.client("ec2", region)
        assert ec2.describe_vpcs(Filters=managed)["Vpcs"] == [], region
        assert local.asg(region) is None, region
    assert local.json("config", "show")["regions"] == []
