"""The real template deployed into moto, the real ASL executed, the real handlers invoked: a world for the
integration tests and the benchmarks (which import neither the tests nor pytest)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple
from unittest.mock import patch

from moto import mock_aws
from moto.core.config import DefaultConfig

from p2p_core import MANAGED_TAG, STACK_TAG
from p2p_core.aws.clients import ClientFactory, is_mutating
from p2p_core.config import parse_config
from p2p_core.control_center.publish import live_code
from p2p_core.models.observed import WindowAnchor
from p2p_core.storage.config import ConfigStore, to_dynamodb
from p2p_core.storage.status import Status, StatusStore
from p2p_emulator import shims, snapshot
from p2p_emulator.handler_clients import add_client_hook, remove_client_hook
from p2p_emulator.local import service_refusal
from p2p_emulator.seed import seed_ami_parameters
from p2p_emulator.stack import EmulatedStack, deploy_stack
from p2pctl.fleet import managed_asg, scheduled_actions
from p2pctl.runs import RunOutcome, run_name, start_run, wait_run

HOME = "eu-central-1"
FIVE_REGIONS = ["ap-northeast-1", "ap-southeast-2", "eu-central-1", "sa-east-1", "us-east-1"]
EMULATOR_CONFIG: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


class Call(NamedTuple):
    """One AWS call a handler made and AWS carried out."""

    region: str
    service: str
    operation: str


class WorkflowWorld:
    """One deployed stack; runs executions and reads back what they did."""

    def __init__(self, stack: EmulatedStack) -> None:
        self.stack = stack
        self.clients = ClientFactory()
        self.sfn = self.clients.client("stepfunctions", HOME)
        self.db = self.clients.client("dynamodb", HOME)
        self.calls: list[Call] = []
        self.refused: list[tuple[str, str, str]] = []
        # on every handler's clients (one factory per function): every AWS call they make is seen here
        add_client_hook("after-call", self._record)

    def close(self) -> None:
        """Stop recording the handlers' calls."""
        remove_client_hook("after-call", self._record)

    def _record(self, model: Any, context: dict[str, Any], http_response: Any, parsed: Any, **_: Any) -> None:
        region = context.get("client_region", "?")
        if http_response.status_code < 300:
            self.calls.append(Call(region, model.service_model.endpoint_prefix, model.name))
        else:  # e.g. a NotFound while AWS propagates a resource the run just created
            self.refused.append((region, model.name, parsed.get("Error", {}).get("Code", "")))

    def mutating_calls(self) -> list[tuple[str, str]]:
        """(region, operation) of every mutating call the handlers made, that AWS carried out, since the last `run`."""
        return [(c.region, c.operation) for c in self.calls if is_mutating(c.operation)]

    def put_config(self, **fields: Any) -> None:
        """Write the config item through the store, as `p2pctl config set` does."""
        store = ConfigStore(self.db, self.stack.config_table)
        current = store.load()
        store.save(parse_config(fields), expected_version=current.version, updated_by="test", now=_now())

    def put_raw_config(self, item: dict[str, Any]) -> None:
        """Write the item as any DynamoDB client could, unvalidated."""
        self.db.put_item(TableName=self.stack.config_table, Item=to_dynamodb({"pk": "config", **item}))

    def anchor_window(self, since: datetime) -> None:
        """Record, as Plan would have, that the stored window fields took their values at `since`."""
        config = ConfigStore(self.db, self.stack.config_table).load()
        anchor = WindowAnchor(digest=config.window_digest(), since=since)
        assert StatusStore(self.db, self.stack.config_table).remember_anchor(anchor) == anchor

    def run(self, prefix: str = "run", timeout: float = 600.0) -> RunOutcome:
        """One execution, started and waited for."""
        self.calls.clear()
        self.refused.clear()
        arn = start_run(self.sfn, self.stack.state_machine_arn, name=run_name(prefix))
        return wait_run(self.sfn, arn, timeout=timeout)

    def scheduled_run(self, prefix: str = "schedule", timeout: float = 120.0, name: str | None = None) -> RunOutcome:
        """What EventBridge Scheduler does at a tick: start the schedule's target with its input; waited for."""
        self.calls.clear()
        self.refused.clear()
        scheduler = self.clients.client("scheduler", HOME)
        target = scheduler.get_schedule(Name=self.stack.schedule_name, GroupName=self.stack.schedule_group)["Target"]
        refused = service_refusal(self.stack, target["RoleArn"], target["Arn"])  # the Scheduler acts as its role
        if refused is not None:
            raise PermissionError(refused)
        name = name or run_name(prefix)
        started = self.sfn.start_execution(stateMachineArn=target["Arn"], name=name, input=target["Input"])
        return wait_run(self.sfn, started["executionArn"], timeout=timeout)

    def reconcile_run(self, name: str, timeout: float = 120.0) -> RunOutcome:
        """The reconcile execution of that name (a scheduled run's), once it ended."""
        arn = self.stack.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return wait_run(self.sfn, arn, timeout=timeout)

    def reconcile_runs(self) -> list[dict[str, Any]]:
        """Every execution of the reconcile (Standard) workflow, oldest first."""
        found = self.sfn.list_executions(stateMachineArn=self.stack.state_machine_arn)["executions"]
        return sorted(found, key=lambda run: run["startDate"])

    def status(self) -> Status:
        """The status item."""
        return StatusStore(self.db, self.stack.config_table).load()

    def live_code(self) -> str:
        """The control center's LIVE function code."""
        code = live_code(self.clients.client("cloudfront", "us-east-1"), self.stack.control_center_function)
        assert code is not None, "the control center was never published"
        return code

    def asg(self, region: str) -> dict[str, Any] | None:
        """The managed Auto Scaling group in `region`, or None."""
        return managed_asg(self.clients.client("autoscaling", region), self.stack.stack_name)

    def scheduled_actions(self, region: str) -> dict[str, dict[str, Any]]:
        """The ASG's scheduled actions by name."""
        return scheduled_actions(self.clients.client("autoscaling", region), self.stack.stack_name)

    def managed_vpcs(self, region: str) -> list[str]:
        """VPC ids tagged as managed by this stack in `region`."""
        filters = [
            {"Name": f"tag:{STACK_TAG}", "Values": [self.stack.stack_name]},
            {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]},
        ]
        return [v["VpcId"] for v in self.clients.client("ec2", region).describe_vpcs(Filters=filters)["Vpcs"]]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


EMULATED_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": HOME,
    "POWERTOOLS_METRICS_NAMESPACE": "P2PTest",
}
NOT_INHERITED = ("AWS_ENDPOINT_URL", "AWS_PROFILE")  # the emulated account, never the caller's


@contextmanager
def emulated_environment() -> Iterator[None]:
    """os.environ as an emulated account's clients need it while the block runs, restored after it."""
    with patch.dict(os.environ, EMULATED_ENVIRONMENT):
        for key in NOT_INHERITED:
            os.environ.pop(key, None)
        yield


def _deploy(stack_name: str, regions: Sequence[str], parameters: dict[str, str] | None = None) -> EmulatedStack:
    shims.clear_faults()
    shims.install()
    shims.reset_behaviours()  # the default account: eventual consistency on, a Local Zone in us-east-1
    clients = ClientFactory()
    for region in regions:
        seed_ami_parameters(clients, region, dict(shims.UBUNTU_IMAGES))
    bases = ["http://127.0.0.1:9"]
    return deploy_stack(clients, stack_name=stack_name, region=HOME, control_center_bases=bases, parameters=parameters)


@contextmanager
def deployed_world(
    stack_name: str = "p2p-it", regions: Sequence[str] = FIVE_REGIONS, parameters: dict[str, str] | None = None
) -> Iterator[WorkflowWorld]:
    """A fresh emulator account with the stack deployed (with the template `parameters` given) and AMI parameters
    seeded in `regions` (the fixtures with their own switches use it; the benchmarks deploy theirs here too)."""
    with emulated_environment(), mock_aws(config=EMULATOR_CONFIG):
        world = WorkflowWorld(_deploy(stack_name, regions, parameters))
        try:
            yield world
        finally:
            world.close()
            shims.clear_faults()
            shims.reset_behaviours()


class Deployed(NamedTuple):
    """The stack deployed once (per test process) and the emulated account saved right after."""

    stack: EmulatedStack
    baseline: snapshot.Snapshot


def deploy_once(stack_name: str = "p2p-it", regions: Sequence[str] = FIVE_REGIONS) -> Deployed:
    """Deploy into a fresh emulator account and save it: `restored_world` starts each test from there."""
    with emulated_environment():
        account = mock_aws(config=EMULATOR_CONFIG)
        account.start()  # a fresh account
        try:
            stack = _deploy(stack_name, regions)
            clients = ClientFactory()
            for region in regions:  # each region's EC2 (its default VPC) saved too: the same ids in every test
                clients.client("ec2", region).describe_vpcs()
                clients.client("autoscaling", region).describe_auto_scaling_groups()
            return Deployed(stack, snapshot.take())
        finally:
            account.stop(remove_data=False)  # the next restore replaces whatever is left


@contextmanager
def restored_world(deployed: Deployed) -> Iterator[WorkflowWorld]:
    """The account as `deploy_once` (or `deployed_after`) left it, the emulator's switches at their defaults, for
    one test: what `deployed_world` gives, for milliseconds instead of a deploy."""
    with emulated_environment():
        account = mock_aws(config=EMULATOR_CONFIG)
        account.start(reset=False)  # keep the deployed stack; the restore puts back what the last test changed
        try:
            snapshot.restore(deployed.baseline)
            world = WorkflowWorld(deployed.stack)
            try:
                yield world
            finally:
                world.close()
                shims.clear_faults()
                snapshot.settle_executions()
        finally:
            account.stop(remove_data=False)


def deployed_after(deployed: Deployed, setup: Callable[[WorkflowWorld], object]) -> Deployed:
    """`deployed` with `setup` done in it (e.g. a region provisioned by a run), saved: the tests that share a setup
    restore it instead of each redoing it. The emulator's switches are not saved: each restore sets the defaults."""
    with restored_world(deployed) as world:
        setup(world)
    return Deployed(deployed.stack, snapshot.take())  # the world closed: its recorder is no client hook any more


Provisioned = Callable[[dict[str, Any]], Deployed]


def provision(config: dict[str, Any]) -> Callable[[WorkflowWorld], None]:
    """A setup: the config written and a run that succeeds."""

    def run(world: WorkflowWorld) -> None:
        world.put_config(**config)
        outcome = world.run("provision")
        if outcome.status != "SUCCEEDED":
            raise RuntimeError(f"the provisioning run ended {outcome.status}: {outcome.cause}")

    return run
