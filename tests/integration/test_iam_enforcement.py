"""IAM as AWS enforces it, through the real workflow: each handler's call is authorized against its own role.

The emulator reads each function's role from template.yaml (after the SAM transform) and denies what
AWS would deny (emulator/iam). These tests take one statement out of the deployed roles and show
which step of a fresh region then fails — so every statement of the reconciler's policies is needed,
and the policy as it stood before the `CreateInOwnVpc` fix fails every region at `CreateSubnet`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from p2p_core.config.rfc3339 import format_time
from p2p_emulator import shims
from p2p_emulator.iam import ENFORCER
from p2p_emulator.local import service_refusal
from p2p_emulator.world import HOME, WorkflowWorld
from tests.integration.reliability_world import edited_once_the_lease_is_taken


def fresh_region_with_a_future_start(world: WorkflowWorld) -> None:
    """A fresh region whose agents start in two hours: every kind of resource and a scheduled action."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    world.put_config(regions=[HOME], desired_capacity=1, start_time=format_time(start), start_offset="0 minutes")


def region_error(world: WorkflowWorld, region: str = HOME) -> tuple[str, str]:
    last = world.status().last_run
    assert last is not None
    (result,) = [r for r in last.regions if r.region == region]
    assert result.status == "failed", result
    return str(result.error_code), str(result.error_message)


def test_with_every_statement_a_fresh_region_is_provisioned_and_nothing_is_denied(world: WorkflowWorld) -> None:
    denied_before = len(ENFORCER.denials)
    fresh_region_with_a_future_start(world)
    run = world.run()
    assert run.status == "SUCCEEDED", run.cause
    assert ENFORCER.denials[denied_before:] == []
    assert set(world.scheduled_actions(HOME)) == {"p2p-start", "p2p-stop"}  # the default 7-day run
    assert world.stack.principals["ReconcileRegionFunction"].statements  # enforcement was on


def test_the_policy_before_the_fix_fails_a_fresh_region_at_create_subnet_on_its_vpc(world: WorkflowWorld) -> None:
    # Before: CreateSubnet was allowed only with aws:RequestTag/p2p:stack, which the VPC it names never carries.
    ENFORCER.revoke("ReconcileRegionsPolicy/CreateInOwnVpc")
    fresh_region_with_a_future_start(world)
    run = world.run()
    assert run.status == "FAILED"
    code, message = region_error(world)
    assert code == "UnauthorizedOperation"
    assert "permission denied for CreateSubnet" in message
    assert "ec2:CreateSubnet on resource: arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-" in message
    assert len(world.managed_vpcs(HOME)) == 1  # the VPC itself was allowed; the next run resumes from it


# statement -> (the API operation of the reconciler that fails, the IAM action AWS names in its answer)
RECONCILER_STATEMENTS = {
    # Plan's first read is which regions the account has enabled: the run fails in its first step
    "ObserveRegionsPolicy/#0": ("Plan", "ec2:DescribeRegions"),
    "ObserveRegionsPolicy/#1": ("GetParameter", "ssm:GetParameter"),
    # Plan's quota read only warns: the run goes on, and the status item says why the headroom is unknown
    "ObserveRegionsPolicy/ReadOnDemandVcpuQuota": ("QuotaHeadroom", "servicequotas:GetServiceQuota"),
    # ... and AWS's default, read when the quota was never applied (test_quota_headroom.py revokes it there)
    "ObserveRegionsPolicy/ReadDefaultVcpuQuota": ("QuotaHeadroom", "servicequotas:GetAWSDefaultServiceQuota"),
    "ReconcileRegionsPolicy/CreateTaggedNetworkAndTemplates": ("CreateVpc", "ec2:CreateVpc"),
    "ReconcileRegionsPolicy/CreateInOwnVpc": ("CreateSubnet", "ec2:CreateSubnet"),
    "ReconcileRegionsPolicy/TagOnlyWhileCreating": ("CreateVpc", "ec2:CreateTags"),
    "ReconcileRegionsPolicy/ChangeOwnNetworkAndTemplates": ("AttachInternetGateway", "ec2:AttachInternetGateway"),
    "ReconcileRegionsPolicy/LaunchOnlyFromOwnTemplates": ("CreateAutoScalingGroup", "ec2:RunInstances"),
    "ReconcileRegionsPolicy/LaunchResourcesOnlyThroughATemplate": ("CreateAutoScalingGroup", "ec2:RunInstances"),
    "ReconcileRegionsPolicy/CreateTaggedGroups": ("CreateAutoScalingGroup", "autoscaling:CreateAutoScalingGroup"),
    "ReconcileRegionsPolicy/ChangeOwnGroups": (
        "PutScheduledUpdateGroupAction",
        "autoscaling:PutScheduledUpdateGroupAction",
    ),
    "ReconcileRegionsPolicy/AutoScalingServiceRoleOnFirstUse": (
        "CreateAutoScalingGroup",
        "iam:CreateServiceLinkedRole",
    ),
    "ReconcileRegionsPolicy/PassAgentRole": ("CreateAutoScalingGroup", "iam:PassRole"),
    # AWSLambdaBasicExecutionRole already allows logs:CreateLogGroup on "*"; tagging it at creation is ours
    "ReconcileRegionsPolicy/AgentLogGroups": ("CreateLogGroup", "logs:TagResource"),
}


# statements only a change on running agents needs (a fresh region has no instance to refresh)
ROLLING_STATEMENTS = {
    "ReconcileRegionsPolicy/RefreshOwnGroups": ("StartInstanceRefresh", "autoscaling:StartInstanceRefresh"),
}


# statements only a decommission blocked by what the stack did not make needs
BLOCKED_STATEMENTS = {"ReconcileRegionsPolicy/CountBlockedDecommissions": ("CreateTags", "ec2:CreateTags")}
# statements only resources whose p2p tags were removed by hand need (tests/integration/test_readopt.py)
UNTAGGED_STATEMENTS = {"ReconcileRegionsPolicy/TagAgainWhatLostItsTags": ("CreateTags", "ec2:CreateTags")}


# statements only a managed region other than the home one needs: its drift-event rule, delivering to the home bus
DRIFT_STATEMENTS = {
    "ReconcileRegionsPolicy/DriftEventRules": ("PutRule", "events:PutRule"),
    "ReconcileRegionsPolicy/PassDriftForwardRole": ("PutTargets", "iam:PassRole"),
}


def test_every_statement_of_the_reconcilers_policies_is_listed_here(world: WorkflowWorld) -> None:
    reconciler = world.stack.principals["ReconcileRegionFunction"].statements
    ours = {s.name for s in reconciler if s.name.startswith(("ObserveRegionsPolicy/", "ReconcileRegionsPolicy/"))}
    listed = set(RECONCILER_STATEMENTS) | set(ROLLING_STATEMENTS) | set(BLOCKED_STATEMENTS) | set(UNTAGGED_STATEMENTS)
    assert ours == listed | set(DRIFT_STATEMENTS)


@pytest.mark.parametrize(("statement", "failure"), DRIFT_STATEMENTS.items(), ids=list(DRIFT_STATEMENTS))
def test_a_region_other_than_home_gets_its_drift_rule_only_with_its_statement(
    world: WorkflowWorld, statement: str, failure: tuple[str, str]
) -> None:
    operation, action = failure
    other = "us-east-1"
    world.put_config(regions=[other], desired_capacity=0)
    ENFORCER.revoke(statement)
    assert world.run("denied").status == "FAILED"
    code, message = region_error(world, other)
    assert code in {"AccessDeniedException", "AccessDenied"}, message
    assert f"permission denied for {operation}:" in message
    assert f"not authorized to perform: {action} " in message


@pytest.mark.parametrize(("statement", "failure"), BLOCKED_STATEMENTS.items(), ids=list(BLOCKED_STATEMENTS))
def test_a_blocked_decommission_counts_its_runs_only_with_its_statement(
    world: WorkflowWorld, statement: str, failure: tuple[str, str]
) -> None:
    operation, action = failure
    fresh_region_with_a_future_start(world)
    assert world.run("provision").status == "SUCCEEDED"
    (vpc,) = world.managed_vpcs(HOME)
    world.clients.client("ec2", HOME).create_subnet(VpcId=vpc, CidrBlock="10.20.30.192/26")  # made by hand
    world.put_config(regions=[])
    denied_before = len(ENFORCER.denials)
    assert world.run("blocked").status == "SUCCEEDED"  # blocked run 1: the region waits, naming the subnet
    assert ENFORCER.denials[denied_before:] == []
    ENFORCER.revoke(statement)
    assert world.run("denied").status == "FAILED"
    code, message = region_error(world)
    assert code == "UnauthorizedOperation", message
    assert f"permission denied for {operation}:" in message
    assert f"not authorized to perform: {action} " in message


@pytest.mark.parametrize(("statement", "failure"), RECONCILER_STATEMENTS.items(), ids=list(RECONCILER_STATEMENTS))
def test_without_a_reconciler_statement_a_named_step_fails(
    world: WorkflowWorld, statement: str, failure: tuple[str, str]
) -> None:
    operation, action = failure
    ENFORCER.revoke(statement)
    if action == "servicequotas:GetAWSDefaultServiceQuota":
        shims.quotas_applied(False)  # only a quota never applied falls back to its default
    fresh_region_with_a_future_start(world)
    run = world.run()
    if operation == "QuotaHeadroom":
        assert run.status == "SUCCEEDED", run.cause
        error = str(world.status().quota_headroom[HOME].error)
        assert "AccessDeniedException" in error and f"not authorized to perform: {action} " in error
        return
    assert run.status == "FAILED"
    if operation == "Plan":
        assert run.states_entered == ["Plan", "Finalize"]  # Plan's Catch: Finalize records the failure
        assert f"not authorized to perform: {action} " in str(run.cause)
        return
    code, message = region_error(world)
    assert code in {"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"}, message
    assert f"permission denied for {operation}:" in message
    assert f"not authorized to perform: {action} " in message


RUNNING = {"regions": [HOME], "desired_capacity": 2, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}


def running_agents_then_new_user_data(world: WorkflowWorld, between: Callable[[], object] = lambda: None) -> None:
    """Two agents running on template version 1; then `between`; then a user data change (version 2)."""
    world.put_config(**RUNNING)
    assert world.run("running").status == "SUCCEEDED"
    between()
    world.put_config(**RUNNING, agent={"delay": 30})


def test_rolling_running_agents_onto_new_versions_is_allowed_and_nothing_is_denied(world: WorkflowWorld) -> None:
    shims.refresh_pace(None)  # the refresh still runs when the next version supersedes it: start, cancel, start
    denied_before = len(ENFORCER.denials)
    running_agents_then_new_user_data(world)
    assert world.run("v2").status == "SUCCEEDED"
    world.put_config(**RUNNING, agent={"delay": 45})
    superseded = world.run("v3")
    assert superseded.status == "SUCCEEDED", superseded.cause
    assert ENFORCER.denials[denied_before:] == []
    operations = {call.operation for call in world.calls}
    assert {"DescribeInstanceRefreshes", "CancelInstanceRefresh", "StartInstanceRefresh"} <= operations


@pytest.mark.parametrize(("statement", "failure"), ROLLING_STATEMENTS.items(), ids=list(ROLLING_STATEMENTS))
def test_without_a_rolling_statement_a_change_on_running_agents_fails_at_its_refresh(
    world: WorkflowWorld, statement: str, failure: tuple[str, str]
) -> None:
    operation, action = failure
    running_agents_then_new_user_data(world, between=lambda: ENFORCER.revoke(statement))
    run = world.run()
    assert run.status == "FAILED"
    code, message = region_error(world)
    assert code == "AccessDenied", message
    assert f"permission denied for {operation}:" in message
    assert f"not authorized to perform: {action} " in message


def test_a_denied_control_center_publish_fails_its_branch_with_accessdenied_and_the_regions_still_finish(
    world: WorkflowWorld,
) -> None:
    ENFORCER.revoke("ControlCenterUpdateFunctionRolePolicy0/#0")
    fresh_region_with_a_future_start(world)
    run = world.run()
    assert run.status == "FAILED"
    last = world.status().last_run
    assert last is not None and last.control_center is not None
    assert last.control_center.status == "failed"
    assert "AccessDenied" in str(last.control_center.error_code) + str(last.control_center.error_message)
    assert [r.status for r in last.regions] == ["ok"]  # CloudFront's REST-XML answer: AccessDenied


def test_plan_without_its_table_permissions_fails_the_run_in_its_first_step(world: WorkflowWorld) -> None:
    ENFORCER.revoke("PlanFunctionRolePolicy0/#0")  # SAM's DynamoDBCrudPolicy on the config table
    fresh_region_with_a_future_start(world)
    run = world.run()
    assert run.status == "FAILED"
    assert run.states_entered == ["Plan", "Finalize"]  # Plan's Catch: Finalize records the failure
    assert "AccessDeniedException" in str(run.cause)  # DynamoDB's JSON answer
    assert "dynamodb:GetItem" in str(run.cause)
    assert world.managed_vpcs(HOME) == []


def test_the_scheduled_checks_plan_starts_the_follow_up_run_of_an_edit_only_with_its_statement(
    world: WorkflowWorld,
) -> None:
    """Injected: the config edited during a scheduled no-op check, with Plan's StartExecution statement revoked.
    Checked: the check fails naming the denied action (Plan's Catch: Finalize records it and fails the check,
    so the alarm fires); no reconcile run was started."""
    world.put_config(regions=[HOME], desired_capacity=1, start_time="2020-01-01T00:00:00Z", run_duration=None)
    assert world.run("provision").status == "SUCCEEDED"
    plan = world.stack.principals["PlanFunction"].statements
    (statement,) = [s.name for s in plan if s.name.endswith("/FollowUpRunAfterAnEditDuringThisRun")]
    ENFORCER.revoke(statement)
    runs_before = world.reconcile_runs()
    with edited_once_the_lease_is_taken(world, regions=[HOME], desired_capacity=2):
        check = world.scheduled_run()
    assert check.status == "FAILED"
    assert check.states_entered == ["Source", "Plan", "Finalize"]
    assert "not authorized to perform: states:StartExecution " in str(check.cause)
    assert world.reconcile_runs() == runs_before


def test_the_state_machines_role_authorizes_each_lambda_task_and_a_revoked_invoke_fails_the_task(
    world: WorkflowWorld,
) -> None:
    machine = world.stack.principals["ReconcileStateMachine"]
    assert machine.function_name == world.stack.state_machine_arn
    plan_arn = world.stack.functions["PlanFunction"].function_arn
    (invoke_plan,) = [s.name for s in machine.statements if plan_arn in str(s.body.get("Resource"))]
    fresh_region_with_a_future_start(world)
    assert world.run("allowed").status == "SUCCEEDED"
    ENFORCER.revoke(invoke_plan)
    run = world.run("denied")
    assert run.status == "FAILED"
    assert run.states_entered == ["Plan", "Finalize"]  # Plan's Catch: Finalize records why
    failures = [e["lambdaFunctionFailedEventDetails"] for e in run.events if e["type"] == "LambdaFunctionFailed"]
    assert [f["error"] for f in failures] == ["Lambda.AWSLambdaException", "RunFailed"]  # Plan's, then Finalize's
    failed = failures[0]
    assert f"is not authorized to perform: lambda:InvokeFunction on resource: {plan_arn}" in failed["cause"]
    assert ":assumed-role/" in failed["cause"] and "AccessDeniedException" in failed["cause"]
    assert "plan: Lambda.AWSLambdaException" in " ".join(world.status().last_run.errors)  # type: ignore[union-attr]


def test_the_scheduled_checks_role_authorizes_starting_the_reconcile_run(world: WorkflowWorld) -> None:
    check = world.stack.principals["ScheduledCheckStateMachine"]
    ENFORCER.revoke(
        next(s.name for s in check.statements if s.name.endswith("/StartTheReconcileRunWhenSomethingDiffers"))
    )
    fresh_region_with_a_future_start(world)  # something differs: the scheduled check starts the reconcile run
    check = world.scheduled_run("denied")
    assert check.status == "FAILED"
    failed = [e["taskFailedEventDetails"] for e in check.events if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failed] == ["StepFunctions.AccessDeniedException"]
    assert (
        f"not authorized to perform: states:StartExecution on resource: {world.stack.state_machine_arn}"
        in (failed[0]["cause"])
    )
    assert world.reconcile_runs() == []


def test_the_schedulers_role_must_allow_starting_the_scheduled_check(world: WorkflowWorld) -> None:
    assert world.scheduled_run("allowed").status == "SUCCEEDED"
    (statement,) = [s.name for s in world.stack.principals["SchedulerRole"].statements]
    ENFORCER.revoke(statement)
    with pytest.raises(PermissionError, match="is not authorized to perform: states:StartExecution on resource: "):
        world.scheduled_run("denied")
    assert world.stack.scheduled_check_arn is not None and world.stack.scheduled_check_arn in str(
        ENFORCER.denials[-1].resource
    )


@pytest.mark.parametrize("statement", ["stream-to-workflow/#0", "stream-to-workflow/#1"])
def test_the_pipes_role_must_allow_reading_the_stream_and_starting_the_workflow(
    world: WorkflowWorld, statement: str
) -> None:
    pipe = world.stack.pipe
    assert service_refusal(world.stack, pipe.role_arn, pipe.target_arn, stream=pipe.source_stream_arn) is None
    ENFORCER.revoke(statement)
    refused = service_refusal(world.stack, pipe.role_arn, pipe.target_arn, stream=pipe.source_stream_arn)
    wanted = "dynamodb:DescribeStream" if statement.endswith("#0") else "states:StartExecution"
    assert refused is not None and f"is not authorized to perform: {wanted} on resource: " in refused
