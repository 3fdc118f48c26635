"""A new account's Lambda concurrency (10), through the real ASL: the emulator throttles as Lambda does, and the
first run over 14 fresh regions still succeeds in one run because Plan bounds the Map by GetAccountSettings.

What is modelled (shims/lambda_concurrency.py): more than N invocations in flight answer
TooManyRequestsException; the Step Functions engine names it `Lambda.TooManyRequestsException`
(shims/task_errors.py), which the ASL's Retry blocks match.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from p2p_core.lambda_concurrency import BESIDE_THE_MAP
from p2p_core.regions import catalogue
from p2p_emulator import shims
from p2p_emulator.iam import ENFORCER
from p2p_emulator.shims import lambda_concurrency
from p2p_emulator.world import HOME, WorkflowWorld, deployed_world

NEW_ACCOUNT = 10
BRANCHES = {"ReconcileRegionFunction", "ControlCenterUpdateFunction", "ScheduleUpdateFunction"}  # the Parallel's
FOURTEEN = sorted(name for name, region in catalogue().items() if not region.opt_in)[:14]


@pytest.fixture
def fourteen_regions() -> Iterator[WorkflowWorld]:
    """The stack deployed with AMI parameters in 14 regions that are enabled by default."""
    with deployed_world(regions=FOURTEEN) as deployed:
        yield deployed


def plan_output(world: WorkflowWorld, run_events: list[dict[str, Any]]) -> dict[str, Any]:
    (exited,) = [
        e["stateExitedEventDetails"]
        for e in run_events
        if e["type"] == "TaskStateExited" and e["stateExitedEventDetails"]["name"] == "Plan"
    ]
    output: dict[str, Any] = json.loads(exited["output"])
    return output


def test_get_account_settings_reports_the_accounts_concurrency(world: WorkflowWorld) -> None:
    shims.set_lambda_concurrency(NEW_ACCOUNT)
    limit = world.clients.client("lambda", HOME).get_account_settings()["AccountLimit"]
    assert limit["ConcurrentExecutions"] == NEW_ACCOUNT
    assert limit["UnreservedConcurrentExecutions"] == NEW_ACCOUNT


def test_invokes_above_the_accounts_concurrency_are_throttled_as_lambda_does(world: WorkflowWorld) -> None:
    shims.set_lambda_concurrency(1)
    entered, release = threading.Event(), threading.Event()

    def hold(function: str, event: dict[str, Any]) -> Exception | None:
        entered.set()
        release.wait(10)
        return RuntimeError("held")

    shims.add_fault(hold)
    client = boto3.client("lambda", region_name=HOME, config=Config(retries={"total_max_attempts": 1}))  # as SFN's
    name = world.stack.functions["ScheduleUpdateFunction"].function_arn
    first = threading.Thread(target=lambda: client.invoke(FunctionName=name, Payload=b"{}"))
    first.start()
    try:
        assert entered.wait(10)
        with pytest.raises(ClientError) as refused:
            client.invoke(FunctionName=name, Payload=b"{}")
    finally:
        release.set()
        first.join(10)
    error = refused.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["Error"]["Message"] == "Rate Exceeded."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ConcurrentInvocationLimitExceeded"
    assert lambda_concurrency.throttled() == 1 and lambda_concurrency.peak_in_flight() == 1


def test_a_first_run_over_14_fresh_regions_at_concurrency_10_succeeds_in_one_run(
    fourteen_regions: WorkflowWorld,
) -> None:
    world = fourteen_regions
    shims.set_lambda_concurrency(NEW_ACCOUNT)
    world.put_config(regions=FOURTEEN, desired_capacity=1, start_offset="0 minutes")
    run = world.run("first")
    assert run.status == "SUCCEEDED", run.cause
    last = world.status().last_run
    assert last is not None
    assert {r.region: r.status for r in last.regions} == dict.fromkeys(FOURTEEN, "ok")
    assert all(world.asg(region) is not None for region in FOURTEEN)
    assert plan_output(world, run.events)["max_concurrency"] == NEW_ACCOUNT - BESIDE_THE_MAP
    assert lambda_concurrency.peak_in_flight() <= NEW_ACCOUNT
    assert lambda_concurrency.throttled() == 0  # bounded, not retried: no region waited on a throttle


def test_without_the_account_settings_the_map_runs_at_max_concurrency_and_throttles_are_retried(
    world: WorkflowWorld,
) -> None:
    # Plan may not read the settings: the Map keeps MaxConcurrency (34); 2 regions and the 2 other branches
    # exceed a concurrency of 3, and the throttled invoke is retried as Lambda.TooManyRequestsException
    (statement,) = [
        s.name for s in world.stack.principals["PlanFunction"].statements if "ReadLambdaConcurrency" in s.name
    ]
    ENFORCER.revoke(statement)
    shims.set_lambda_concurrency(3)

    def together(function: str, event: dict[str, Any]) -> Exception | None:
        # the branch invokes that got in stay in flight until an invoke was throttled: the fourth finds 3 in flight
        # however fast warm handlers are and however late it comes (timing alone made the overlap a matter of luck)
        if function in BRANCHES:
            lambda_concurrency.wait_for_a_throttle(timeout=30)
        return None

    shims.add_fault(together)
    world.put_config(regions=[HOME, "us-east-1"], desired_capacity=0)
    run = world.run("unbounded")
    assert run.status == "SUCCEEDED", run.cause
    assert plan_output(world, run.events)["max_concurrency"] == 34
    assert lambda_concurrency.throttled() >= 1
    failed = [e for e in run.events if e["type"] == "LambdaFunctionFailed"]
    assert {e["lambdaFunctionFailedEventDetails"]["error"] for e in failed} == {"Lambda.TooManyRequestsException"}
