"""`p2pctl` as a user runs it against `p2pctl local` (a subprocess shared by the modules of one worker, conftest.py).

Commands run in the test process (`in_process.py`) unless a test needs the process itself (`process`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3

from p2p_core.models.deployment import deploy_key_parameter, staged_deploy_key_parameter
from p2p_core.storage.config import ConfigStore, to_dynamodb
from p2p_core.storage.lease import LEASE_KEY
from p2p_core.storage.status import CHECKS_KEY, STATUS_KEY, Status, StatusStore
from p2pctl.fleet import managed_asg
from tests.cli.in_process import run_in_process

STACK = "p2p-cli-test"
SETTLE_SECONDS = 180.0  # a first provisioning on a busy 2-CPU machine can take a minute
# the account most modules share (conftest.py): one opt-in region (ap-east-1) not enabled, as many real accounts are;
# no AWS events (the tests make drift by hand and run by hand, and a run an event started would race them) and no
# trail of the account's own (the doctor's trail checks make theirs)
SHARED_SWITCHES = ("--disable-region", "ap-east-1", "--no-aws-events", "--no-trail")
STOP_SECONDS = 90.0  # SIGTERM lets running executions finish; slow when the machine is busy
P2PCTL = [sys.executable, "-m", "p2pctl.main"]


def p2pctl(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process, answering as the subprocess would (`in_process.py`)."""
    return run_in_process(args, env=env, cwd=cwd, stdin=stdin)


def p2pctl_process(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a subprocess, as an operator would: where the process boundary is what a test checks."""
    return subprocess.run(
        [*P2PCTL, *args], capture_output=True, text=True, timeout=180, env=env, cwd=cwd, input=stdin, check=False
    )


def fix_commands(stderr: str) -> list[list[str]]:
    """The p2pctl commands the `fix:` lines tell the operator to run: a whole line, or a 'quoted' command."""
    found: list[list[str]] = []
    for line in stderr.splitlines():
        if not line.startswith("fix: "):
            continue
        fix = line.removeprefix("fix: ")
        commands = [fix] if fix.startswith("p2pctl ") else re.findall(r"'(p2pctl [^']+)'", fix)
        found += [shlex.split(command)[1:] for command in commands]
    return found


class Local:
    """The running `p2pctl local` and a way to run `p2pctl` commands against it."""

    def __init__(self, process: subprocess.Popen[str], info: dict[str, str], log: Path) -> None:
        self.process = process
        self.info = info
        self.log = log
        self._clients: dict[tuple[str, str], Any] = {}
        self.env = {
            **os.environ,
            "AWS_ENDPOINT_URL": info["endpoint_url"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "COLUMNS": "200",
        }

    def p2pctl(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
        """A command against this emulator, run in the test process."""
        return p2pctl("--stack-name", STACK, *args, env=env or self.env, stdin=stdin)

    def as_process(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
        """A command against this emulator as its own process (the installed console script's exit and streams)."""
        return p2pctl_process("--stack-name", STACK, *args, env=env or self.env, stdin=stdin)

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.p2pctl(*args)
        assert done.returncode == 0, f"p2pctl {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def follow_fix(self, stderr: str) -> list[subprocess.CompletedProcess[str]]:
        """Run every command the error's `fix:` line names; each must succeed."""
        commands = fix_commands(stderr)
        assert commands, f"no command in the fix line: {stderr}"
        return [self.ok(*command) for command in commands]

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client on the emulator, made once per (service, region): tests poll with them."""
        key = (service, region or self.info["region"])
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,
                region_name=key[1],
                endpoint_url=self.info["endpoint_url"],
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self._clients[key]

    def put_item(self, item: dict[str, Any]) -> None:
        """Replace the config item as any DynamoDB client can (no validation, no bookkeeping)."""
        table = self.info["config_table"]
        self.client("dynamodb").put_item(TableName=table, Item=to_dynamodb({"pk": "config", **item}))

    def stored(self) -> dict[str, Any]:
        """The config item's fields as stored."""
        return ConfigStore(self.client("dynamodb"), self.info["config_table"]).load_raw() or {}

    def status(self) -> Status:
        """The status item."""
        return StatusStore(self.client("dynamodb"), self.info["config_table"]).load()

    def reset(self, **fields: Any) -> int:
        """Replace the item with `fields` at a new version and wait for the run it starts; returns that version."""
        # above any version a run recorded too: an item put without one (as any client may) restarts at 0
        recorded = max((run.config_version for run in self.status().recent_runs), default=0)
        version = max(int(self.stored().get("version", 0)), recorded) + 1
        self.put_item({**fields, "version": version})
        self.settle(version)
        return version

    def settle(self, version: int | None = None) -> None:
        """Wait until no run is in progress (a reconcile run, or a check: a follow-up check may still start one) and,
        with `version`, until a run has recorded that config version."""
        sfn = self.client("stepfunctions")
        machines = [self.info[key] for key in ("state_machine_arn", "scheduled_check_arn") if self.info.get(key)]

        def idle() -> bool:
            for machine in machines:
                if any(r["status"] == "RUNNING" for r in sfn.list_executions(stateMachineArn=machine)["executions"]):
                    return False
            # any recent run: a run skipped for the lease (config version 0) may finish last
            return version is None or any(r.config_version >= version for r in self.status().recent_runs)

        eventually(idle, timeout=SETTLE_SECONDS)

    def fresh(self) -> None:
        """A shared emulator handed to the next module as a new one would be: no run in progress, no region
        managed (agents on an older launch template would make the next module's first run an instance refresh),
        no status item (the runs, and the window anchor, an earlier module's configs left), no lease left by a
        failed test, no deploy key. The config item stays (deleting it starts no run; its version goes on)."""
        self.settle()
        table = self.info["config_table"]
        self.client("dynamodb").delete_item(TableName=table, Key={"pk": {"S": LEASE_KEY}})
        if self.status().managed_regions:
            self.reset(regions=[])  # decommissioned by the run it starts
        for key in (STATUS_KEY, CHECKS_KEY):
            self.client("dynamodb").delete_item(TableName=table, Key={"pk": {"S": key}})
        self.client("ssm").delete_parameters(Names=[deploy_key_parameter(STACK), staged_deploy_key_parameter(STACK)])

    def output(self, key: str) -> str:
        """One of the stack's outputs (resource names derive from the stack id)."""
        stack = self.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
        return str(next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == key))

    def asg(self, region: str) -> dict[str, Any] | None:
        return managed_asg(self.client("autoscaling", region), STACK)


FIRST_POLL, LAST_POLL = 0.05, 0.5  # seconds between checks: quick at first, then sparing the busy emulator


def eventually(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """`check()` once it is truthy; polled ever less often (each poll is API calls on a shared 2-CPU machine)."""
    began = time.monotonic()
    pause = FIRST_POLL
    while time.monotonic() - began < timeout:
        value = check()
        if value:
            return value
        time.sleep(pause)
        pause = min(pause * 1.5, LAST_POLL)
    raise AssertionError(f"not true after {timeout} s: {check}")


def running_local(log: Path, *switches: str, tick: str | None = "3600") -> Iterator[Local]:
    """Start `p2pctl local` (by default no scheduled runs during the tests), yield it, stop it with SIGTERM (exit 0).

    `tick=None` leaves the ticker at the schedule's own expression, as `p2pctl local` runs for a user.
    """
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    ticker = [] if tick is None else ["--tick", tick]
    with log.open("w") as errors:
        process = subprocess.Popen(
            [*P2PCTL, "--stack-name", STACK, "local", *ticker, *switches],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, log.read_text()
    try:
        yield Local(process, json.loads(line), log)
    except BaseException:  # a failed test must not leave its emulator running
        process.kill()
        process.wait(timeout=STOP_SECONDS)
        raise
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=STOP_SECONDS) == 0, log.read_text()[-2000:]
