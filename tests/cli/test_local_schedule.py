"""`p2pctl local` plays EventBridge Scheduler: the schedule's target starts runs at the schedule's pace."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.cli.local_cli import Local, eventually, running_local

REGION = {"regions": ["eu-west-1"], "desired_capacity": 1}


def scheduled_runs(local: Local) -> list[dict[str, Any]]:
    """The runs the schedule's target started (its input {"source": "schedule"} names them), oldest first."""
    sfn = local.client("stepfunctions")
    runs = sfn.list_executions(stateMachineArn=local.info["state_machine_arn"])["executions"]
    return sorted((r for r in runs if r["name"].startswith("schedule-")), key=lambda r: r["startDate"])


def finished(local: Local, run: dict[str, Any]) -> dict[str, Any]:
    """The run once it has ended."""
    sfn = local.client("stepfunctions")

    def ended() -> dict[str, Any] | None:
        found: dict[str, Any] = sfn.describe_execution(executionArn=run["executionArn"])
        return None if found["status"] == "RUNNING" else found

    return eventually(ended, timeout=180)  # type: ignore[no-any-return]


def test_the_ticker_starts_scheduled_runs_that_succeed_and_sigterm_exits_0(tmp_path: Path) -> None:
    with contextmanager(running_local)(tmp_path / "local.log", tick="1") as local:
        local.reset(**REGION)
        runs = eventually(lambda: len(scheduled_runs(local)) >= 2 and scheduled_runs(local), timeout=60)
        ended = finished(local, runs[-1])
        assert ended["status"] == "SUCCEEDED", ended.get("cause")
        assert local.status().last_run is not None


def test_without_tick_a_cron_schedule_fires_at_its_next_minute(tmp_path: Path) -> None:
    with contextmanager(running_local)(tmp_path / "local.log", tick=None) as local:
        local.reset(**REGION, schedule_expression="cron(* * * * ? *)")  # its run sets the schedule's cron
        set_at = datetime.now(UTC)
        runs = eventually(lambda: [r for r in scheduled_runs(local) if r["startDate"] > set_at], timeout=75)
        started = runs[0]["startDate"].astimezone(UTC)
        assert started.second < 15, started  # at a minute boundary (the ticker polls each second)
        every = [r["startDate"].astimezone(UTC).second for r in scheduled_runs(local)]
        assert all(second < 15 for second in every), every  # each fired at a minute boundary
        ended = finished(local, runs[0])
        assert ended["status"] == "SUCCEEDED", ended.get("cause")
