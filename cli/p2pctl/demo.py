"""`p2pctl demo`: the whole product on this machine, every step verified, no AWS account needed.

It starts `p2pctl local` as a separate process (as a user would) and then acts only as an AWS client
of it: config edits go into the DynamoDB item, the stream starts the runs, and the checks read the
Auto Scaling groups, scheduled actions and control-center headers back.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.table import Table

from p2p_core import STACK_TAG
from p2p_core.config.rfc3339 import format_time
from p2pctl.context import CliContext
from p2pctl.errors import CliError
from p2pctl.fleet import managed_asg, scheduled_actions
from p2pctl.output import console

DEMO_REGIONS = ["ap-southeast-1", "eu-central-1", "eu-west-1", "sa-east-1", "us-east-1"]
NOT_ENABLED = "ap-east-1"  # an opt-in region the demo's emulated account has not enabled
DEMO_CONFIG: dict[str, Any] = {
    "regions": [*DEMO_REGIONS, NOT_ENABLED],
    "desired_capacity": {"all": 2, "aws": {"us-east-1": 3}},
    "start_time": "now",
    "start_offset": "0 minutes",
    "run_duration": "2 hours",
    "instance": {"type": "t4g.micro", "architecture": "arm64"},
    "agent": {"repository": "https://github.com/example/ipfs-agent.git", "main_run": "ipfs.yml"},
}
STEP_TIMEOUT = 60.0


class DemoFailed(CliError):
    """A step's outcome was not what the demo expected."""


@dataclass
class Local:
    """The `p2pctl local` process and what it printed."""

    process: subprocess.Popen[str]
    info: dict[str, str]
    log: Path


def start_local(log: Path, stack_name: str) -> Local:
    """Start `p2pctl local` and read its JSON line."""
    command = [
        sys.executable,
        "-m",
        "p2pctl.main",
        "--stack-name",
        stack_name,
        "local",
        "--disable-region",
        NOT_ENABLED,
    ]
    with log.open("w") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=10)
        raise DemoFailed(f"p2pctl local exited with {process.returncode} before it was up", f"see {log}")
    return Local(process=process, info=json.loads(line), log=log)


def stop_local(local: Local) -> int:
    """SIGTERM, as an operator's Ctrl-C would; the exit code."""
    local.process.send_signal(signal.SIGTERM)
    try:
        return local.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        local.process.kill()
        return -9


def until(what: str, check: Callable[[], Any], timeout: float = STEP_TIMEOUT) -> tuple[Any, float]:
    """Poll `check` until it returns something truthy; (value, seconds) or DemoFailed naming `what`."""
    began = time.monotonic()
    while True:
        value = check()
        if value:
            return value, time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise DemoFailed(f"timed out after {timeout:.0f} s waiting for {what}", "see the local log for errors")
        time.sleep(0.1)


class Demo:
    """The demo's steps against one running `p2pctl local`."""

    def __init__(self, cli: CliContext, info: dict[str, str]) -> None:
        self.cli = cli
        self.info = info
        self.sfn = cli.client("stepfunctions")
        self.verified: list[str] = []

    def ok(self, message: str) -> None:
        self.verified.append(message)
        console.print("✓", style="green", end=" ")
        console.print(message, highlight=False, markup=False)

    def asg(self, region: str) -> dict[str, Any] | None:
        return managed_asg(self.cli.client("autoscaling", region), str(self.cli.stack_name))

    def actions(self, region: str) -> dict[str, dict[str, Any]]:
        return scheduled_actions(self.cli.client("autoscaling", region), str(self.cli.stack_name))

    def settle(self) -> list[dict[str, Any]]:
        """Wait until no run is in progress; the runs of this step, oldest first."""
        arn = self.info["state_machine_arn"]

        def idle() -> list[dict[str, Any]] | None:
            runs = self.sfn.list_executions(stateMachineArn=arn)["executions"]
            return None if any(r["status"] == "RUNNING" for r in runs) else runs or None

        runs, _ = until("the runs to finish", idle)
        return sorted(runs, key=lambda r: r["startDate"])

    def set_config(self, key: str, value: Any) -> datetime:
        from p2pctl.config_write import current_item, write_item
        from p2pctl.values import with_value

        raw, version = current_item(self.cli)
        written = write_item(self.cli, with_value(raw, key, value), version)
        shown = json.dumps(value, default=str)
        console.print(f"  config v{written.version}: {key} = {shown}", highlight=False, markup=False)
        return datetime.now(UTC)

    def put_config(self, fields: dict[str, Any]) -> None:
        from p2pctl.config_write import current_item, write_item

        _, version = current_item(self.cli)
        written = write_item(self.cli, fields, version)
        console.print(f"  config v{written.version} written: {len(fields['regions'])} regions", highlight=False)

    # ------------------------------------------------------------------------------------------- steps

    def deployed(self, stack_name: str) -> None:
        """The stack, its state machine, config table and schedule exist as template.yaml made them."""
        stack = self.cli.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise DemoFailed(f"stack {stack_name} is {stack['StackStatus']}", "see the p2pctl local log")
        machine = self.sfn.describe_state_machine(stateMachineArn=self.info["state_machine_arn"])
        table = self.cli.client("dynamodb").describe_table(TableName=self.info["config_table"])["Table"]
        if machine.get("status", "ACTIVE") != "ACTIVE" or table["TableStatus"] != "ACTIVE":
            raise DemoFailed(f"state machine {machine.get('status')}, table {table['TableStatus']}", "")
        if not table.get("StreamSpecification", {}).get("StreamEnabled"):
            raise DemoFailed(f"table {self.info['config_table']} has no stream: edits would start no run", "")
        self.ok(
            f"stack {stack_name} {stack['StackStatus']} from template.yaml: state machine {machine['name']}, "
            f"config table with its stream"
        )

    def provision(self) -> None:
        console.rule(f"1. a config item for 5 regions and {NOT_ENABLED}, which the account has not enabled")
        self.put_config(DEMO_CONFIG)
        expected = {r: 3 if r == "us-east-1" else 2 for r in DEMO_REGIONS}

        def all_up() -> bool:
            return all((g := self.asg(r)) is not None and g["DesiredCapacity"] == n for r, n in expected.items())

        _, seconds = until("5 Auto Scaling groups at their desired capacity", all_up)
        runs = self.settle()
        self.ok(f"5 regions provisioned by a stream-triggered run in {seconds:.1f} s ({runs[-1]['name']})")
        for region in DEMO_REGIONS:
            vpcs = self._managed("ec2", region)
            if vpcs != 1:
                raise DemoFailed(f"{region}: {vpcs} managed VPCs, expected exactly 1", "see 'p2pctl status'")
        self.ok("each region has exactly one managed VPC and one Auto Scaling group")
        self.not_enabled_region()
        self.region_table()

    def not_enabled_region(self) -> None:
        from p2p_core.storage.status import StatusStore

        status = StatusStore(self.cli.client("dynamodb"), self.cli.config_table()).load()
        last = status.last_run
        found = [r for r in (last.regions if last else []) if r.region == NOT_ENABLED]
        if not last or last.status == "failed" or [r.status for r in found] != ["skipped"]:
            raise DemoFailed(f"{NOT_ENABLED} is not recorded as skipped: {found}", "see 'p2pctl status'")
        if NOT_ENABLED in status.managed_regions:
            raise DemoFailed(f"{NOT_ENABLED} was recorded as managed", "see 'p2pctl status'")
        self.ok(f"{NOT_ENABLED} (opt-in, not enabled in this account) ended skipped: {found[0].error_message}")

    def _managed(self, service: str, region: str) -> int:
        filters = [{"Name": f"tag:{STACK_TAG}", "Values": [str(self.cli.stack_name)]}]
        return len(self.cli.client(service, region).describe_vpcs(Filters=filters)["Vpcs"])

    def region_table(self) -> None:
        table = Table("region", "ASG", "min/desired/max", "scheduled actions")
        for region in DEMO_REGIONS:
            group = self.asg(region) or {}
            sizes = f"{group.get('MinSize')}/{group.get('DesiredCapacity')}/{group.get('MaxSize')}"
            table.add_row(region, group.get("AutoScalingGroupName", "-"), sizes, ", ".join(self.actions(region)))
        console.print(table)

    def edit_capacity(self) -> float:
        console.rule("2. change one region's capacity by editing the item")
        self.set_config("desired_capacity.aws.eu-west-1", 4)
        _, seconds = until("eu-west-1 at desired 4", lambda: (self.asg("eu-west-1") or {}).get("DesiredCapacity") == 4)
        self.settle()
        self.ok(f"edit → eu-west-1 desired 4 in {seconds:.2f} s through the stream-triggered run")
        others = {r: (self.asg(r) or {}).get("DesiredCapacity") for r in DEMO_REGIONS if r != "eu-west-1"}
        if others != {"ap-southeast-1": 2, "eu-central-1": 2, "sa-east-1": 2, "us-east-1": 3}:
            raise DemoFailed(f"other regions changed: {others}", "see 'p2pctl status'")
        self.ok("the other four regions kept their capacity")
        return seconds

    def future_start(self) -> datetime:
        console.rule("3. start later: a future start_time becomes p2p-start scheduled actions")
        start = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
        self.set_config("start_time", format_time(start))

        def scheduled() -> bool:
            return all("p2p-start" in self.actions(r) for r in DEMO_REGIONS)

        until("p2p-start in every region", scheduled)
        self.settle()
        for region in DEMO_REGIONS:
            action = self.actions(region)["p2p-start"]
            want = 4 if region == "eu-west-1" else 3 if region == "us-east-1" else 2
            at = action["StartTime"].astimezone(UTC)
            if at != start or action["DesiredCapacity"] != want:
                raise DemoFailed(f"{region}: p2p-start at {at} for {action['DesiredCapacity']}", "see 'p2pctl plan'")
            if (self.asg(region) or {}).get("DesiredCapacity") != 0:
                raise DemoFailed(f"{region}: agents still running before the start", "see 'p2pctl status'")
        self.ok(f"p2p-start at {format_time(start)} in all 5 regions with their counts; desired 0 until then")
        self.region_table()
        return start

    def headers(self, start: datetime) -> None:
        console.rule("4. what an agent sees at the control center (HEAD, as agents poll)")
        from p2pctl.headers_cmd import fetch_headers

        found = fetch_headers(self.info["control_center_url"])
        for name, value in found.items():
            console.print(f"  {name}: {value}", highlight=False, markup=False)
        if found.get("cc-a-start") != format_time(start):
            raise DemoFailed(f"cc-a-start is {found.get('cc-a-start')!r}, expected {format_time(start)}", "")
        if found.get("cc-a-repository") != DEMO_CONFIG["agent"]["repository"]:
            raise DemoFailed(f"cc-a-repository is {found.get('cc-a-repository')!r}", "")
        self.ok("headers carry the new start time and the agent settings")

    def cost(self) -> None:
        console.rule("5. what it costs")
        from p2p_core.storage.config import ConfigStore
        from p2pctl.cost_estimate import estimate
        from p2pctl.cost_facts import read_facts

        config = ConfigStore(self.cli.client("dynamodb"), self.cli.config_table()).load()
        now = datetime.now(UTC)
        report = estimate(
            config, now, read_facts(self.cli.clients, self.cli.home_region, str(self.cli.stack_name), config, now)
        )
        report.print(console)
        if not report.fleet.total > 0 or not report.control_plane.total < 0.5:
            raise DemoFailed("cost estimate out of range", "")
        if NOT_ENABLED not in report.left_out or [line.region for line in report.fleet.lines] != DEMO_REGIONS:
            raise DemoFailed(f"{NOT_ENABLED} (not enabled) was priced, or a demo region was not", "")
        if not all(item.on_demand > 0 for item in report.items()):
            raise DemoFailed(f"an item of the bill is missing: {report.items()}", "")
        self.ok(
            f"fleet ${report.per_day.total:.2f}/day on demand, ${report.spot_per_day.total:.2f}/day on Spot (compute, "
            f"volume, public IPv4, data transfer out; {NOT_ENABLED} not priced: not enabled); control plane "
            f"${report.control_plane.total:.2f}/month"
        )

    def teardown(self) -> None:
        console.rule("6. teardown")
        from p2p_core.reconciler.teardown import sweep_regions
        from p2p_core.regions import commercial_regions

        self.set_config("regions", [])
        until("every Auto Scaling group gone", lambda: all(self.asg(r) is None for r in DEMO_REGIONS))
        self.settle()
        left = sweep_regions(self.cli.clients, self.cli.deployment(), list(commercial_regions()))
        leaked = [r.region for r in left if r.outcome in ("removed", "remaining", "failed")]
        if leaked:
            raise DemoFailed(f"resources were left in {leaked}", "run 'p2pctl teardown --yes'")
        self.ok("regions: [] decommissioned all 5 regions; a sweep of 34 regions found nothing left")


def run_demo(stack_name: str = "p2p-demo") -> None:
    """The whole demo; raises DemoFailed at the first outcome that is not as expected."""
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="p2p-demo-"))
    console.rule("p2p control plane demo (local emulator: no AWS account, nothing leaves this machine)")
    local = start_local(workdir / "local.log", stack_name)
    try:
        console.print(f"p2pctl local is up: {json.dumps(local.info)}", highlight=False, markup=False)
        cli = CliContext(endpoint_url=local.info["endpoint_url"], region=local.info["region"], stack_name=stack_name)
        demo = Demo(cli, local.info)
        demo.deployed(stack_name)
        demo.provision()
        latency = demo.edit_capacity()
        start = demo.future_start()
        demo.headers(start)
        demo.cost()
        demo.teardown()
    finally:
        code = stop_local(local)
    if code != 0:
        raise DemoFailed(f"p2pctl local exited {code} on SIGTERM", f"see {local.log}")
    demo.ok("p2pctl local stopped cleanly on SIGTERM")
    console.rule("verified")
    for line in demo.verified:
        console.print(f"  ✓ {line}", highlight=False, markup=False)
    console.print(
        f"demo passed in {time.monotonic() - began:.1f} s; config edit → ASG updated in {latency:.2f} s; "
        f"local log: {local.log}",
        highlight=False,
    )
