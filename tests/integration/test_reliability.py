"""Reliability of the real workflow in moto: concurrent runs, the lease, AWS faults per region, crash points."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

from p2p_core import MANAGED_TAG, STACK_TAG
from p2p_core.aws.clients import ClientFactory, is_mutating
from p2p_core.storage.lease import LEASE_KEY
from p2p_core.storage.status import RunRecord, StatusStore
from p2p_core.workflow.runtime import add_client_hook, clients_for, remove_client_hook
from p2pctl.runs import run_name, start_run, wait_run
from tests.integration.reconciler_fixtures import ONE_FLEET
from tests.integration.test_workflow import CLOUDFRONT, RUNNING, mutations_outside_own_table
from tests.integration.workflow_world import FIVE_REGIONS, WorkflowWorld

Hook = Callable[..., Any]
# a fresh region: VPC, IGW + attach, 3 subnets + 3 public-IP switches, route table + route + 3 associations,
# security group + ingress, log group + retention, launch template, ASG (created at capacity, with its tags)
FRESH_REGION_MUTATIONS = 20


class Crash(Exception):
    """Stands in for the Lambda dying (timeout, OOM) in the middle of a region's reconcile."""


def handler_clients(world: WorkflowWorld, function: str = "ReconcileRegionFunction") -> ClientFactory:
    """The client factory the in-process handler of `function` (a logical id) uses."""
    return clients_for(world.stack.functions[function].deployment)


@contextmanager
def hooked(world: WorkflowWorld, hook: Hook, event: str = "before-call") -> Iterator[None]:
    """`hook` on every handler client (made now or later) for the duration of the block."""
    add_client_hook(event, hook)
    try:
        yield
    finally:
        remove_client_hook(event, hook)


def failing(region: str, operation: str, code: str, message: str = "injected") -> Hook:
    """A before-call hook: `operation` in `region` answers with the AWS error `code` (after botocore's retries)."""

    def hook(model: Any, context: dict[str, Any], **_: Any) -> None:
        if context.get("client_region") == region and model.name == operation:
            raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

    return hook


def lease_item(world: WorkflowWorld) -> dict[str, Any] | None:
    found = world.db.get_item(TableName=world.stack.config_table, Key={"pk": {"S": LEASE_KEY}}, ConsistentRead=True)
    item: dict[str, Any] | None = found.get("Item")
    return item


def put_lease(world: WorkflowWorld, owner: str, expires: datetime) -> dict[str, Any]:
    """The lease item exactly as `Lease.acquire` writes it, left behind by a run that never released it."""
    item = {
        "pk": {"S": LEASE_KEY},
        "owner": {"S": owner},
        "expires_at": {"N": str(int(expires.timestamp()))},
        "acquired_at": {"S": (expires - timedelta(minutes=15)).isoformat()},
    }
    world.db.put_item(TableName=world.stack.config_table, Item=item)
    return item


def managed_resources(world: WorkflowWorld, region: str) -> dict[str, list[str]]:
    """Ids of everything tagged as managed by the deployed stack in `region`, by kind (unhooked clients)."""
    managed = [
        {"Name": f"tag:{STACK_TAG}", "Values": [world.stack.stack_name]},
        {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]},
    ]
    ec2 = world.clients.client("ec2", region)
    autoscaling = world.clients.client("autoscaling", region)
    logs = world.clients.client("logs", region)
    return {
        "vpc": [v["VpcId"] for v in ec2.describe_vpcs(Filters=managed)["Vpcs"]],
        "igw": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways(Filters=managed)["InternetGateways"]],
        "subnet": [s["SubnetId"] for s in ec2.describe_subnets(Filters=managed)["Subnets"]],
        "route_table": [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=managed)["RouteTables"]],
        "security_group": [g["GroupId"] for g in ec2.describe_security_groups(Filters=managed)["SecurityGroups"]],
        "launch_template": [
            t["LaunchTemplateId"] for t in ec2.describe_launch_templates(Filters=managed)["LaunchTemplates"]
        ],
        "log_group": [
            g["logGroupName"]
            for g in logs.describe_log_groups(logGroupNamePrefix=f"/p2p/{world.stack.stack_name}/")["logGroups"]
        ],
        "asg": [
            g["AutoScalingGroupName"]
            for g in autoscaling.describe_auto_scaling_groups(Filters=managed)["AutoScalingGroups"]
        ],
    }


def counts(resources: dict[str, list[str]]) -> dict[str, int]:
    return {kind: len(ids) for kind, ids in resources.items()}


def region_result(world: WorkflowWorld, region: str) -> Any:
    last = world.status().last_run
    assert last is not None
    found = [r for r in last.regions if r.region == region]
    assert len(found) == 1, last.regions
    return found[0]


# --- 1. concurrency -------------------------------------------------------------------------------


def test_three_simultaneous_runs_one_mutates_the_others_skip_and_nothing_is_duplicated(world: WorkflowWorld) -> None:
    """Injected: three executions started back to back (before any finished) on a fresh five-region config.

    Checked: exactly one run took the lease and did the work; the other two ended "skipped" naming the
    holder, with no region in their output; the mutating calls of all three runs together are exactly
    one provisioning (20 per region, one control-center publish); every region holds exactly one VPC,
    one ASG and one of every other resource; the lease is released.
    moto's Step Functions runs each execution in its own thread, so the Plans genuinely overlap; if a
    moto version serialised them, the invariant checked (no duplicates, one mutating run per lease) holds
    all the same, though then the later runs would see a no-op instead of the lease.
    """
    world.put_config(**RUNNING)
    world.calls.clear()
    arns = [start_run(world.sfn, world.stack.state_machine_arn, name=run_name(f"race{i}")) for i in range(3)]
    outcomes = [wait_run(world.sfn, arn, timeout=120) for arn in arns]
    assert [o.status for o in outcomes] == ["SUCCEEDED"] * 3, [o.cause for o in outcomes]
    statuses = sorted(o.output["status"] for o in outcomes)  # type: ignore[index]
    assert statuses in (["ok", "skipped", "skipped"], ["noop", "noop", "ok"], ["noop", "ok", "skipped"])
    winner = next(o for o in outcomes if o.output["status"] == "ok")  # type: ignore[index]
    for other in outcomes:
        if other.output["status"] == "skipped":  # type: ignore[index]
            assert other.output["skip_reason"] == f"another run holds the lease: {winner.name}"  # type: ignore[index]
            assert other.states_entered == ["Plan", "NothingToDo", "Finalize"]
    assert sum(o.output["status"] == "ok" for o in outcomes) == 1  # type: ignore[index]
    assert [len(o.output["regions"]) for o in outcomes if o is not winner] == [0, 0]  # type: ignore[index]
    # every mutating call of the three runs, per region, is exactly what one fresh provisioning takes
    per_region = Counter(region for region, _ in mutations_outside_own_table(world))
    assert per_region == dict.fromkeys(FIVE_REGIONS, FRESH_REGION_MUTATIONS) | {CLOUDFRONT: 2}  # update + publish
    for region in FIVE_REGIONS:
        assert len(world.managed_vpcs(region)) == 1, region
        assert counts(managed_resources(world, region)) == ONE_FLEET, region
    assert lease_item(world) is None  # the winner released it


# --- 2. the lease ---------------------------------------------------------------------------------


def test_an_expired_lease_left_by_a_crashed_run_is_taken_over(world: WorkflowWorld) -> None:
    """Injected: a lease item of a crashed run ("crashed-run") that expired a minute ago.

    Checked: the next run takes the lease over, provisions every region, succeeds, and releases it.
    """
    world.put_config(**RUNNING)
    put_lease(world, "crashed-run", datetime.now(UTC) - timedelta(minutes=1))
    run = world.run("takeover")
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["status"] == "ok"  # type: ignore[index]
    assert all(world.asg(region) is not None for region in FIVE_REGIONS)
    assert lease_item(world) is None


def test_a_live_lease_of_another_run_makes_the_run_skip_without_touching_anything(world: WorkflowWorld) -> None:
    """Injected: a lease item held by "other-run" that expires in ten minutes.

    Checked: the run ends SUCCEEDED but skipped (status item says so, naming the holder), it made no
    mutating call outside the config table, no region got resources, and the lease item is untouched.
    """
    world.put_config(**RUNNING)
    item = put_lease(world, "other-run", datetime.now(UTC) + timedelta(minutes=10))
    run = world.run("blocked")
    assert run.status == "SUCCEEDED", run.cause
    assert run.states_entered == ["Plan", "NothingToDo", "Finalize"]
    skipped = world.status().last_skipped
    assert skipped is not None and skipped.status == "skipped" and skipped.held_by == "other-run"
    assert skipped.skip_reason == "another run holds the lease: other-run"
    assert mutations_outside_own_table(world) == []
    assert all(world.asg(region) is None for region in FIVE_REGIONS)
    assert lease_item(world) == item


def test_a_status_write_from_a_stale_read_is_retried_so_two_runs_finishing_together_both_land(
    world: WorkflowWorld,
) -> None:
    """Injected (on the status store Finalize uses, not through Finalize itself): the interleaving two
    concurrent runs' Finalizes make (seen live with three executions started at once): B loads the
    status item, A writes its run, B writes its run.

    Checked: `recent_runs` keeps both runs: B's write is conditional on the revision it read, fails,
    and B reads again (before the fix, B wrote `[B, *what B loaded]` and A's record was lost).
    """
    store = StatusStore(world.db, world.stack.config_table)
    now = "2030-01-01T00:00:00Z"
    first, second = (
        RunRecord(execution=name, status="skipped", started_at=now, finished_at=now) for name in ("a", "b")
    )
    stale = store.load()  # B's read, before A's write
    store.record_run(first, managed_regions=None)
    real_load = store.load
    reads = iter([stale])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "load", lambda: next(reads, None) or real_load())  # stale once, then real
        store.record_run(second, managed_regions=None)
    assert sorted(r.execution for r in store.load().recent_runs) == ["a", "b"]


# --- 3. AWS faults in one region ------------------------------------------------------------------

FAULTY = "sa-east-1"
THREE_REGIONS = ["ap-southeast-2", FAULTY, "us-east-1"]


class _Raw:
    """The raw body botocore reads an HTTP response from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def no_offerings(region: str) -> Hook:
    """A before-call hook: DescribeInstanceTypeOfferings in `region` answers with no offering at all."""

    def hook(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context.get("client_region") == region and model.name == "DescribeInstanceTypeOfferings":
            return AWSResponse("https://ec2.invalid/", 200, HTTPHeaders(), _Raw(b"")), {"InstanceTypeOfferings": []}
        return None

    return hook


FAULTS = {
    "asg-quota": (failing(FAULTY, "CreateAutoScalingGroup", "LimitExceeded"), "LimitExceeded", "account limit"),
    "vpc-denied": (failing(FAULTY, "CreateVpc", "UnauthorizedOperation"), "UnauthorizedOperation", "permission"),
    "opt-in": (failing(FAULTY, "DescribeVpcs", "OptInRequired"), "OptInRequired", "region not enabled"),
    # Plan's offerings check refuses the region before the reconciler would find no zone
    "not-offered": (no_offerings(FAULTY), "InstanceTypeNotOffered", "instance.type 't3.micro' is not offered in"),
    # raised by the hook itself, i.e. what botocore raises once its own retries (10 attempts) are spent;
    # botocore's retries are not exercised here (the next test does that with a real throttling answer)
    "throttling-raised-as-after-botocore-retries": (
        failing(FAULTY, "CreateSubnet", "RequestLimitExceeded"),
        "RequestLimitExceeded",
        "throttled",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_aws_fault_in_one_region_fails_only_that_region_and_the_next_run_heals_it(
    world: WorkflowWorld, fault: str
) -> None:
    """Injected: one AWS API call of the reconciler in sa-east-1 answers with an AWS error (a botocore
    before-call hook on the handlers' shared clients): ASG quota (LimitExceeded on CreateAutoScalingGroup),
    no permission (UnauthorizedOperation on CreateVpc), region not
    enabled (OptInRequired on DescribeVpcs, in Plan's observe too), instance type not offered (an empty
    DescribeInstanceTypeOfferings, which Plan's check reads first), throttling that outlasted botocore's retries.

    Checked: the execution fails with RunFailed naming sa-east-1 (as Finalize does when a region failed);
    the status item records sa-east-1 as failed with the error code and an operator-readable message; the
    two other regions are ok and fully provisioned; with the fault removed, the next run succeeds and
    sa-east-1 holds exactly one of every resource (what the failed attempt created is adopted, not doubled).
    """
    hook, code, words = FAULTS[fault]
    world.put_config(**{**RUNNING, "regions": THREE_REGIONS})
    with hooked(world, hook):
        run = world.run(fault)
    assert run.status == "FAILED", run.output
    assert run.error == "RunFailed"
    assert FAULTY in (run.cause or "")
    last = world.status().last_run
    assert last is not None and last.status == "failed"
    assert [r.region for r in last.failed_regions] == [FAULTY]
    failed = region_result(world, FAULTY)
    assert failed.error_code == code
    assert words in (failed.error_message or ""), failed.error_message
    for region in THREE_REGIONS:
        if region != FAULTY:
            assert region_result(world, region).status == "ok", region
            assert counts(managed_resources(world, region)) == ONE_FLEET, region
    assert lease_item(world) is None
    throttled = [
        e
        for e in run.events
        if e["type"] == "LambdaFunctionFailed" and e["lambdaFunctionFailedEventDetails"]["error"] == "RegionThrottled"
    ]
    # throttling goes back to the Map's Retry (RegionThrottled): the first try and 2 retries of that region
    assert len(throttled) == (3 if fault.startswith("throttling") else 0)

    healed = world.run(f"{fault}-healed")
    assert healed.status == "SUCCEEDED", healed.cause
    assert [r.region for r in world.status().last_run.regions] == [FAULTY]  # type: ignore[union-attr]
    assert counts(managed_resources(world, FAULTY)) == ONE_FLEET
    assert world.asg(FAULTY)["DesiredCapacity"] == 2  # type: ignore[index]


def test_throttling_that_clears_after_two_answers_is_absorbed_by_botocore_retries(world: WorkflowWorld) -> None:
    """Injected: the first two CreateAutoScalingGroup requests in sa-east-1 get an HTTP 400 `Throttling`
    answer (a before-send hook, so botocore's standard retry mode sees a real throttling response).

    Checked: the third attempt goes through within the same run: the run succeeds, sa-east-1 is ok with
    one ASG, and it was one API call (one before-call) sent three times.
    """
    body = (
        b'<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type>'
        b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>t</RequestId></ErrorResponse>"
    )
    sent = 0

    def throttle_twice(request: Any, **_: Any) -> AWSResponse | None:
        nonlocal sent
        sent += 1
        return AWSResponse(request.url, 400, HTTPHeaders(), _Raw(body)) if sent <= 2 else None

    event = "before-send.auto-scaling.CreateAutoScalingGroup"
    events = handler_clients(world).client("autoscaling", FAULTY).meta.events
    events.register_first(event, throttle_twice)  # ahead of moto's own before-send answer
    world.put_config(**{**RUNNING, "regions": THREE_REGIONS})
    try:
        run = world.run("throttled")
    finally:
        events.unregister(event, throttle_twice)
    assert run.status == "SUCCEEDED", run.cause
    assert sent == 3
    assert region_result(world, FAULTY).status == "ok"
    assert [op for region, op in world.calls if region == FAULTY].count("CreateAutoScalingGroup") == 1
    assert counts(managed_resources(world, FAULTY)) == ONE_FLEET


# --- 4. crash points ------------------------------------------------------------------------------

TARGETS = ("sa-east-1", "us-east-1")  # crash k hits TARGETS[k % 2]; the run also decommissions the other
ANCHOR = "ap-southeast-2"  # stays selected throughout


def crash_after(region: str, k: int) -> tuple[Hook, list[str]]:
    """An after-call hook: right after the k-th mutating call in `region` took effect, raise Crash.

    Error answers (a NotFound while AWS propagates a new resource) changed nothing and are not counted.
    """
    done: list[str] = []

    def hook(model: Any, context: dict[str, Any], http_response: Any, **_: Any) -> None:
        if context.get("client_region") == region and is_mutating(model.name) and http_response.status_code < 300:
            done.append(model.name)
            if len(done) == k:
                raise Crash(f"crashed after mutating call {k} ({model.name})")

    return hook, done


def test_a_region_crashed_after_any_mutating_call_is_completed_by_the_next_run_without_leaks(
    world: WorkflowWorld,
) -> None:
    """Injected: for k = 1, 2, ... the ReconcileRegion Lambda of a fresh region dies (an exception the
    reconciler does not catch, raised by an after-call hook) right after its k-th mutating call took
    effect, i.e. with the response lost. The loop ends at the first k the reconcile no longer reaches.
    Two target regions alternate, so the crash run of k also decommissions the target of k-1.

    Checked, for every k: the run fails naming the crashed region; the next run (hook removed) succeeds
    and leaves exactly one of every resource there, none leaked or doubled; the following crash run,
    which drops that region from the config, deletes every one of them. A fresh region needs 20
    mutating calls, so the loop ends at k = 21 with a clean run.
    """
    world.put_config(**{**RUNNING, "regions": [ANCHOR]})
    assert world.run("anchor").status == "SUCCEEDED"
    k, previous = 0, None
    while True:
        k += 1
        assert k <= FRESH_REGION_MUTATIONS + 1, "the reconcile never ends"
        target = TARGETS[k % 2]
        world.put_config(**{**RUNNING, "regions": [ANCHOR, target]})
        hook, done = crash_after(target, k)
        with hooked(world, hook, "after-call"):
            run = world.run(f"crash{k}")
        if previous is not None:  # dropped from the config in this very run
            assert region_result(world, previous).decommissioned, (k, previous)
            assert counts(managed_resources(world, previous)) == dict.fromkeys(ONE_FLEET, 0), (k, previous)
        if len(done) < k:  # the reconcile finished before the k-th mutating call
            assert run.status == "SUCCEEDED", run.cause
            break
        assert run.status == "FAILED", (k, run.output)
        cause = run.cause or ""
        assert f"{target}: Crash: " in cause and f"crashed after mutating call {k} " in cause, cause
        healed = world.run(f"heal{k}")
        assert healed.status == "SUCCEEDED", (k, done, healed.cause)
        assert counts(managed_resources(world, target)) == ONE_FLEET, (k, done)
        assert world.asg(target)["DesiredCapacity"] == 2  # type: ignore[index]
        previous = target
    assert k - 1 == FRESH_REGION_MUTATIONS, done
    assert counts(managed_resources(world, target)) == ONE_FLEET
