"""`p2pctl local` plays EventBridge Scheduler: the schedule's target starts runs at the ticker's pace."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3

STACK = "p2p-tick-test"


def test_the_ticker_starts_scheduled_runs_and_sigterm_exits_0(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    command = [sys.executable, "-m", "p2pctl.main", "--stack-name", STACK, "local", "--tick", "1"]
    log = tmp_path / "local.log"
    with log.open("w") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        sfn = boto3.client(
            "stepfunctions",
            region_name=info["region"],
            endpoint_url=info["endpoint_url"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        began, scheduled = time.monotonic(), []
        while time.monotonic() - began < 30 and len(scheduled) < 2:
            runs = sfn.list_executions(stateMachineArn=info["state_machine_arn"])["executions"]
            scheduled = [r for r in runs if r["name"].startswith("schedule-")]
            time.sleep(0.2)
        assert len(scheduled) >= 2, log.read_text()[-3000:]  # the target's input {"source": "schedule"} names it
        finished = sfn.describe_execution(executionArn=scheduled[-1]["executionArn"])
        assert finished["status"] in {"RUNNING", "SUCCEEDED"}, finished.get("cause")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()[-3000:]
