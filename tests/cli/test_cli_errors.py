"""Errors an operator meets against a running stack: each names the real cause, and each fix line works."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from p2p_core import MANAGED_TAG, STACK_TAG
from p2p_core.control_center.publish import publish_function
from p2pctl.context import CliContext
from tests.cli.local_cli import STACK, Local, p2pctl

ONE_REGION = {"regions": ["eu-west-1"], "start_offset": "0 minutes"}


def with_bad_fields(local: Local, **bad: object) -> None:
    """A valid item, then bad fields added by another client (boto3, the console)."""
    local.reset(**ONE_REGION)
    local.put_item({**local.stored(), **bad})


def test_a_bad_field_stored_by_another_client_is_named_and_the_printed_fix_removes_it(local: Local) -> None:
    with_bad_fields(local, desired_capcity=2)
    done = local.p2pctl("config", "set", "desired_capacity", "2")
    assert done.returncode == 1
    assert "desired_capcity: unknown field" in done.stderr and "not yours" in done.stderr
    assert "fix: p2pctl config set desired_capcity null\n" in done.stderr
    local.follow_fix(done.stderr)
    assert "desired_capcity" not in local.stored()
    local.ok("config", "set", "desired_capacity", "2")


def test_several_bad_fields_are_removed_by_one_printed_command(local: Local) -> None:
    with_bad_fields(local, desired_capcity=2, min_size=-1)
    done = local.p2pctl("config", "set", "logs.retention_days", "14")
    assert done.returncode == 1
    assert "fix: p2pctl config unset desired_capcity min_size\n" in done.stderr
    local.follow_fix(done.stderr)
    local.ok("config", "set", "logs.retention_days", "14")


def test_the_operators_own_bad_value_is_blamed_first_and_the_stored_one_named_too(local: Local) -> None:
    with_bad_fields(local, desired_capcity=2)
    done = local.p2pctl("config", "set", "--", "min_size", "-3")
    assert done.returncode == 1
    own, stored = done.stderr.index("min_size:"), done.stderr.index("desired_capcity: unknown field")
    assert own < stored
    local.follow_fix(done.stderr)  # removes the stored bad field; the operator fixes their own value
    local.ok("config", "set", "min_size", "0")


@pytest.mark.parametrize("command", [["plan"], ["cost"], ["config", "show", "--effective"]])
def test_commands_reading_a_bad_stored_item_say_so_never_report_a_bug(local: Local, command: list[str]) -> None:
    with_bad_fields(local, desired_capcity=2)
    done = local.p2pctl(*command)
    assert done.returncode == 1
    assert "desired_capcity: unknown field" in done.stderr
    assert "Traceback" not in done.stderr and "report" not in done.stderr
    local.follow_fix(done.stderr)
    local.ok(*command)


def test_teardown_works_whatever_else_the_item_holds(local: Local) -> None:
    local.reset(**ONE_REGION)
    assert local.asg("eu-west-1") is not None
    local.put_item({**local.stored(), "desired_capcity": 2})
    done = local.p2pctl("teardown", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert local.asg("eu-west-1") is None
    managed = [{"Name": f"tag:{STACK_TAG}", "Values": [STACK]}, {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]
    assert local.client("ec2", "eu-west-1").describe_vpcs(Filters=managed)["Vpcs"] == []
    assert local.stored()["regions"] == [] and local.stored()["desired_capcity"] == 2  # only regions written
    found = re.search(r"removed: (p2pctl config set desired_capcity null)", done.stdout)
    assert found is not None, done.stdout
    local.ok(*found.group(1).split()[1:])
    local.ok("config", "set", "regions", "[eu-west-1]")  # the item is valid again


@pytest.mark.parametrize("answer", ["n\n", ""], ids=["no", "no-terminal"])
def test_a_cancelled_teardown_changes_nothing_and_is_not_an_error(local: Local, answer: str) -> None:
    local.reset(**ONE_REGION)
    run = local.as_process if answer == "" else local.p2pctl  # no terminal at all: the real process's stdin
    done = run("teardown", stdin=answer)
    assert done.returncode == 1
    assert "teardown cancelled: nothing was changed" in done.stdout
    assert "error:" not in done.stderr and "Aborted" not in done.stdout + done.stderr
    assert local.stored()["regions"] == ["eu-west-1"]


def test_headers_before_the_first_publish_say_the_function_is_not_published(local: Local) -> None:
    local.reset(**ONE_REGION)
    placeholder = 'function handler(event) {\n  return { statusCode: 404, statusDescription: "Not Found" };\n}\n'
    publish_function(local.client("cloudfront", "us-east-1"), local.output("ControlCenterFunctionName"), placeholder)
    done = local.p2pctl("headers")
    assert done.returncode == 1
    assert "is not published yet" in done.stderr and "fix: p2pctl run --wait" in done.stderr
    local.follow_fix(done.stderr)
    assert local.json("headers")["cc-a-main-run"] == "main.yml"


def test_headers_of_a_switched_off_control_center_say_so(local: Local) -> None:
    version = local.reset(**ONE_REGION, control_center={"enabled": False})
    done = local.p2pctl("headers")
    assert done.returncode == 1
    assert "control_center.enabled is false" in done.stderr
    local.follow_fix(done.stderr)
    local.settle(version + 1)
    assert local.json("headers")["cc-a-main-run"] == "main.yml"


def test_global_options_work_before_or_after_the_command(local: Local) -> None:
    env = {k: v for k, v in local.env.items() if k != "AWS_ENDPOINT_URL"}
    url = local.info["endpoint_url"]
    after = p2pctl("status", "--stack-name", STACK, "--endpoint-url", url, "--json", env=env)
    assert after.returncode == 0, after.stderr
    assert "managed_regions" in json.loads(after.stdout)
    mixed = p2pctl("config", f"--endpoint-url={url}", "show", "--json", "--stack-name", STACK, env=env)
    assert mixed.returncode == 0, mixed.stderr
    before = p2pctl("--endpoint-url", url, "--stack-name", STACK, "status", "--json", env=env)
    assert json.loads(before.stdout) == json.loads(after.stdout)
    for usage_error in (["status", "--bogus"], ["config", "set", "only-a-key"], ["no-such-command"]):
        assert local.p2pctl(*usage_error).returncode == 2, usage_error


def test_the_stacks_region_from_samconfig_wins_over_the_shells_default_region(local: Local, tmp_path: Path) -> None:
    env = {**{k: v for k, v in local.env.items() if k != "AWS_REGION"}, "AWS_DEFAULT_REGION": "us-west-2"}
    stack_dir, elsewhere = tmp_path / "stack", tmp_path / "elsewhere"
    stack_dir.mkdir()
    elsewhere.mkdir()
    (stack_dir / "samconfig.toml").write_text(
        f'version = 0.1\n[default.global.parameters]\nstack_name = "{STACK}"\nregion = "{local.info["region"]}"\n'
    )
    assert p2pctl("status", env=env, cwd=stack_dir).returncode == 0
    lost = p2pctl("status", "--stack-name", STACK, env=env, cwd=elsewhere)
    assert lost.returncode == 1
    assert "not found in us-west-2 (region from AWS_DEFAULT_REGION)" in lost.stderr
    assert "--region" in lost.stderr and "samconfig.toml" in lost.stderr


def test_status_and_plan_are_readable_at_80_columns(local: Local) -> None:
    local.reset(regions=["ap-south-1"], start_offset="0 minutes")  # a fresh region: a run with many changes
    narrow = {**local.env, "COLUMNS": "80"}
    status = local.p2pctl("status", env=narrow).stdout
    recorded = local.status()
    for run in recorded.recent_runs[:5]:  # `status` lists 5 by default
        assert run.execution in status and run.finished_at in status  # never cut short
    lines = status.splitlines()
    table = lines[lines.index("regions (each one's last known result, from whichever run found it):") + 1 :]
    table = table[: next(n for n, line in enumerate(table) if line.startswith("fully verified:"))]
    # its header, then a few lines a region (three changes shown, the rest counted): no cell of 50 lines
    assert len(table) <= 1 + 8 * len(recorded.regions)
    assert max(len(line) for line in lines if "console.aws.amazon.com" not in line) <= 80
    assert "… and" in status and "--json lists all" in status
    # the run built the region: it is verified fully by the next check, not before (p2p_core.verification)
    assert re.search(r"fully verified: 0 of (\d) regions, \1 due next check", status)
    plan = local.p2pctl("plan", env=narrow).stdout
    times = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*", status + plan)
    assert times and all(t.rstrip(",)").endswith("Z") for t in times), times


def test_local_says_it_keeps_everything_in_memory(local: Local) -> None:
    assert "lives in memory and is gone when it stops" in local.log.read_text()


def test_an_endpoint_needs_no_credentials_and_the_cli_writes_none_into_the_environment(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator takes any key: the CLI gives its clients one, never os.environ (an in-process run must not
    change the environment of whatever runs it)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    before = dict(os.environ)
    cli = CliContext(endpoint_url=local.info["endpoint_url"], region=local.info["region"], stack_name=STACK)
    assert cli.config_table() == local.info["config_table"]  # a signed call, answered
    assert dict(os.environ) == before
