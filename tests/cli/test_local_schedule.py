"""`p2pctl local` plays EventBridge Scheduler: the schedule's target (the scheduled check) starts at its pace.

A scheduled check that finds nothing to do starts no reconcile (Standard) run and is recorded (by its
Plan) as a no-op run, which `p2pctl status` shows; one that finds drift starts the reconcile run under its name.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.cli.local_cli import Local, eventually, running_local

REGION = {"regions": ["eu-west-1"], "desired_capacity": 1}
RUNNING = {**REGION, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}  # desired 1 now


def executions(local: Local, machine: str) -> list[dict[str, Any]]:
    """The executions of `machine` (an info key), oldest first."""
    found = local.client("stepfunctions").list_executions(stateMachineArn=local.info[machine])["executions"]
    return sorted(found, key=lambda r: r["startDate"])


def scheduled_runs(local: Local) -> list[dict[str, Any]]:
    """The checks the schedule started (its input {"source": "schedule"} names them), oldest first."""
    return [r for r in executions(local, "scheduled_check_arn") if r["name"].startswith("schedule-")]


def finished(local: Local, run: dict[str, Any]) -> dict[str, Any]:
    """The run once it has ended."""
    sfn = local.client("stepfunctions")

    def ended() -> dict[str, Any] | None:
        found: dict[str, Any] = sfn.describe_execution(executionArn=run["executionArn"])
        return None if found["status"] == "RUNNING" else found

    return eventually(ended, timeout=180)  # type: ignore[no-any-return]


def test_scheduled_no_op_checks_start_no_reconcile_run_and_p2pctl_status_shows_them(tmp_path: Path) -> None:
    with contextmanager(running_local)(tmp_path / "local.log", tick="2") as local:
        local.reset(**REGION)  # a config edit: the Pipe starts the reconcile workflow itself
        assert any(r["name"].startswith("config-edit-") for r in executions(local, "state_machine_arn"))
        local.settle()
        settled = datetime.now(UTC)
        checks = eventually(lambda: [r for r in scheduled_runs(local) if r["startDate"] > settled][2:], timeout=90)
        ended = finished(local, checks[0])
        assert ended["status"] == "SUCCEEDED", ended.get("cause")
        recorded = json.loads(ended["output"])  # Plan recorded it (no Finalize): the check's output is the run
        assert recorded["execution"] == checks[0]["name"]
        assert recorded["status"] in ("noop", "skipped")  # skipped: the check before it still held the lease
        assert "reconcile_run" not in recorded

        def shown_by_status() -> dict[str, Any] | None:
            # `p2pctl status` as a subprocess: a quiet check is recorded in its own small item
            last: dict[str, Any] | None = local.json("status")["last_check"]
            later = {r["name"] for r in scheduled_runs(local) if r["startDate"] > settled}
            return last if last is not None and last["execution"] in later else None

        shown = eventually(shown_by_status, timeout=120)
        names = {r["name"] for r in scheduled_runs(local) if r["startDate"] > settled}
        assert (shown["status"], shown["source"]) == ("noop", "schedule")
        assert not [r for r in executions(local, "state_machine_arn") if r["name"] in names]  # no Standard run
        assert "nothing to do, 1 region verified as configured" in local.ok("status").stdout


def test_a_scheduled_check_that_finds_drift_starts_the_reconcile_run_under_its_name(tmp_path: Path) -> None:
    with contextmanager(running_local)(tmp_path / "local.log", tick="2") as local:
        local.reset(**RUNNING)
        local.settle()
        group = local.asg("eu-west-1")
        assert group is not None
        drifted_at = datetime.now(UTC)
        local.client("autoscaling", "eu-west-1").set_desired_capacity(
            AutoScalingGroupName=group["AutoScalingGroupName"], DesiredCapacity=3
        )  # drift made behind the tool's back: no config edit, so only the schedule can find it
        fixed = eventually(lambda: (g := local.asg("eu-west-1")) is not None and g["DesiredCapacity"] == 1, 90)
        assert fixed
        checks = {r["name"] for r in scheduled_runs(local)}
        repairs = [
            r for r in executions(local, "state_machine_arn") if r["name"] in checks and r["startDate"] > drifted_at
        ]
        assert len(repairs) == 1, repairs
        assert finished(local, repairs[0])["status"] == "SUCCEEDED"


def test_without_tick_a_cron_schedule_fires_at_its_next_minute(tmp_path: Path) -> None:
    """The emulated clock skips the idle wait for the next minute (--fast-forward 60), so nothing waits on wall
    time; the default 15-minute rate, further away, is never skipped to."""
    with contextmanager(running_local)(tmp_path / "local.log", "--fast-forward", "60", tick=None) as local:
        local.reset(**REGION, schedule_expression="cron(* * * * ? *)")  # its run sets the schedule's cron
        set_at = datetime.now(UTC)
        runs = eventually(lambda: [r for r in scheduled_runs(local) if r["startDate"] > set_at], timeout=75)
        started = runs[0]["startDate"].astimezone(UTC)
        assert started.second < 15, started  # at a minute boundary (the ticker polls each second)
        assert started - set_at < timedelta(seconds=75), (started, set_at)  # the next minute, or the one after
        every = [r["startDate"].astimezone(UTC).second for r in scheduled_runs(local)]
        assert all(second < 15 for second in every), every  # each fired at a minute boundary
        ended = finished(local, runs[0])
        assert ended["status"] == "SUCCEEDED", ended.get("cause")
