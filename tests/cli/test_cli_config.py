"""`p2pctl config` as an operator uses it: what is typed is what is stored, and nobody's change is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from p2p_core.config.rfc3339 import format_time, parse_time
from p2pctl.fleet import scheduled_actions
from tests.cli.local_cli import STACK, Local, eventually

ONE_REGION = {"regions": ["eu-west-1"], "start_offset": "0 minutes"}


def test_text_fields_keep_what_was_typed_and_agents_are_served_it(local: Local) -> None:
    local.reset(**ONE_REGION)
    typed = {"agent.main_run": "no", "agent.pre_run": "0x10", "agent.post_run": "010"}
    for key, value in typed.items():
        done = local.ok("config", "set", key, value)
        assert f"{key} = {value}\n" in done.stdout  # the confirmation shows what was stored
    assert local.stored()["agent"] == {"main_run": "no", "pre_run": "0x10", "post_run": "010"}
    local.settle(local.stored()["version"])
    headers = local.json("headers")
    assert (headers["cc-a-main-run"], headers["cc-a-pre-run"], headers["cc-a-post-run"]) == ("no", "0x10", "010")


def test_the_confirmation_prints_what_was_stored_not_what_was_typed(local: Local) -> None:
    local.reset(**ONE_REGION)
    done = local.ok("config", "set", "schedule_expression", "30 minutes")
    assert "schedule_expression = rate(30 minutes)" in done.stdout
    assert local.stored()["schedule_expression"] == "rate(30 minutes)"
    assert "instances per region: 1; runs rate(30 minutes)" in done.stdout


def test_only_what_a_person_set_is_stored_so_stop_time_can_be_set(local: Local) -> None:
    local.reset(**ONE_REGION)
    stop = format_time(datetime.now(UTC) + timedelta(days=2))
    local.ok("config", "set", "stop_time", stop)
    stored = local.stored()
    assert set(stored) == {"regions", "start_offset", "stop_time", "version", "updated_at", "updated_by"}
    assert stored["stop_time"] == stop
    assert local.json("config", "show", "--effective")["stop_time"] == stop
    local.ok("config", "set", "stop_time", "null")  # null where null is not a value: the field is removed
    assert "stop_time" not in local.stored()
    local.ok("config", "set", "run_duration", "null")  # null where it is a value: run until changed
    assert local.stored()["run_duration"] is None
    effective = local.json("config", "show", "--effective")
    assert effective["run_duration"] is None and "stop_time" not in effective
    local.ok("config", "unset", "run_duration")  # unset: the default applies again
    assert "run_duration" not in local.stored()
    assert local.json("config", "show", "--effective")["run_duration"] == "7 days"


def test_a_stale_file_is_a_conflict_and_reverts_nobodys_change(local: Local, tmp_path: Path) -> None:
    local.reset(**ONE_REGION)
    mine = tmp_path / "config.yaml"
    mine.write_text(local.ok("config", "show").stdout)
    local.ok("config", "set", "desired_capacity", "4")  # someone else writes meanwhile
    done = local.p2pctl("config", "put", str(mine))
    assert done.returncode == 3, done.stderr
    assert "config changed since version" in done.stderr and "Traceback" not in done.stderr
    assert local.stored()["desired_capacity"] == 4
    local.follow_fix(done.stderr)  # 'p2pctl config show'
    mine.write_text(local.ok("config", "show").stdout.replace("desired_capacity: 4", "desired_capacity: 3"))
    local.ok("config", "put", str(mine), "--yes")  # 4 -> 3 stops an agent: meant
    assert local.stored()["desired_capacity"] == 3
    assert "stored version" in local.ok("config", "put", "--help").stdout  # --expect-version is explained


def test_a_region_key_under_a_bare_capacity_turns_it_into_a_map(local: Local) -> None:
    local.reset(regions=["eu-west-1", "us-east-1"], desired_capacity=2, start_offset="0 minutes")
    done = local.ok("config", "set", "desired_capacity.aws.us-east-1", "5")
    assert "desired_capacity.aws.us-east-1 = 5" in done.stdout
    assert local.stored()["desired_capacity"] == {"all": 2, "aws": {"us-east-1": 5}}
    eventually(lambda: (local.asg("us-east-1") or {}).get("DesiredCapacity") == 5)
    assert (local.asg("eu-west-1") or {}).get("DesiredCapacity") == 2


def window(local: Local) -> dict[str, Any]:
    """The window `p2pctl plan` previews, and the one agents are served."""
    planned = local.json("plan")["window"]
    headers = local.json("headers")
    assert parse_time(headers["cc-a-start"]) == parse_time(planned["start"])  # the preview is what the run used
    assert parse_time(headers["cc-a-stop"]) == parse_time(planned["stop"])
    return {key: planned[key] for key in ("start", "stop", "anchor")}


def test_an_unrelated_edit_keeps_the_window_and_restart_window_moves_it(local: Local) -> None:
    local.reset(regions=["eu-west-1"], start_offset="2 minutes")
    first = window(local)
    local.ok("config", "set", "logs.retention_days", "7")  # the same value as before: no window field moves
    local.settle(local.stored()["version"])
    assert window(local) == first
    done = local.ok("config", "restart-window", "--yes")  # agents may have started by now: restarting stops them
    assert "window_version = 1" in done.stdout and "agents start 2 minutes after the next run begins" in done.stdout
    local.settle(local.stored()["version"])
    restarted = window(local)
    assert parse_time(restarted["start"]) > parse_time(first["start"])
    assert parse_time(restarted["start"]) == parse_time(restarted["anchor"]) + timedelta(minutes=2)
    actions = scheduled_actions(local.client("autoscaling", "eu-west-1"), STACK)
    assert actions["p2p-start"]["StartTime"].astimezone(UTC) == parse_time(restarted["start"])
