"""The scheduled check's StartReconcile when Step Functions refuses the start: both Catches reached through the ASL.

A start refused because an execution of that name already exists (a retried start after the reconcile run
ended) ends the check in AlreadyStarted; any other refusal goes to Finalize, which records it and fails the
check (docs/architecture.md, "Scheduled runs: the scheduled check").
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError
from moto.stepfunctions.parser.models import StepFunctionsParserBackend  # the executing engine moto runs

from p2p_emulator.world import WorkflowWorld
from p2pctl.runs import run_name, start_run, wait_run
from tests.integration.test_scheduled_check import CHECK_DRIFT, REGION, provisioned


class ExecutionLimitExceeded(JsonRESTError):
    """What Step Functions answers when the account has too many open executions."""

    def __init__(self) -> None:
        super().__init__("ExecutionLimitExceeded", "Maximum number of running executions reached")


def test_a_start_refused_as_already_existing_ends_the_check_in_already_started(world: WorkflowWorld) -> None:
    provisioned(world)
    name = run_name("schedule")
    world.put_config(**{**REGION, "desired_capacity": 2})
    earlier = wait_run(world.sfn, start_run(world.sfn, world.stack.state_machine_arn, name=name))
    assert earlier.status == "SUCCEEDED", earlier.cause  # a reconcile run of this name already ran and ended
    world.put_config(**{**REGION, "desired_capacity": 3})  # drift again: the check must start a run
    check = world.scheduled_run(name=name)
    assert check.status == "SUCCEEDED", check.cause
    assert check.states_entered == [*CHECK_DRIFT, "AlreadyStarted"]
    assert [run["name"] for run in world.reconcile_runs()].count(name) == 1  # no second run of that name


def test_a_start_refused_otherwise_is_recorded_by_finalize_and_fails_the_check(
    world: WorkflowWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    provisioned(world)
    world.put_config(**{**REGION, "desired_capacity": 3})
    original = StepFunctionsParserBackend.start_execution

    def refuse_reconcile_runs(
        self: StepFunctionsParserBackend, state_machine_arn: str, *args: Any, **kwargs: Any
    ) -> Any:
        if state_machine_arn == world.stack.state_machine_arn:
            raise ExecutionLimitExceeded()
        return original(self, state_machine_arn, *args, **kwargs)

    monkeypatch.setattr(StepFunctionsParserBackend, "start_execution", refuse_reconcile_runs)
    check = world.scheduled_run()
    assert check.status == "FAILED"
    assert check.states_entered == [*CHECK_DRIFT, "Finalize"]
    last = world.status().last_run
    assert last is not None and (last.execution, last.status) == (check.name, "failed")
    assert any("ExecutionLimitExceeded" in error for error in last.errors), last.errors
    assert len(world.reconcile_runs()) == 1  # the provisioning run only
