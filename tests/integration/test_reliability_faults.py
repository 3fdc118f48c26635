"""Reliability of the real workflow in moto: AWS faults in one region and crash points, each healed by the next run."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from p2p_emulator.world import WorkflowWorld
from tests.integration.reconciler_fixtures import ONE_FLEET
from tests.integration.reliability_world import (
    FRESH_REGION_MUTATIONS,
    Hook,
    RawBody,
    counts,
    crash_after,
    failing,
    handler_clients,
    hooked,
    lease_item,
    managed_resources,
    region_result,
)
from tests.integration.test_workflow import RUNNING

# --- 3. AWS faults in one region ------------------------------------------------------------------

FAULTY = "sa-east-1"
THREE_REGIONS = ["ap-southeast-2", FAULTY, "us-east-1"]


def no_offerings(region: str) -> Hook:
    """A before-call hook: DescribeInstanceTypeOfferings in `region` answers with no offering at all."""

    def hook(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context.get("client_region") == region and model.name == "DescribeInstanceTypeOfferings":
            return AWSResponse("https://ec2.invalid/", 200, HTTPHeaders(), RawBody(b"")), {"InstanceTypeOfferings": []}
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
        return AWSResponse(request.url, 400, HTTPHeaders(), RawBody(body)) if sent <= 2 else None

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
    assert [c.operation for c in world.calls if c.region == FAULTY].count("CreateAutoScalingGroup") == 1
    assert counts(managed_resources(world, FAULTY)) == ONE_FLEET


# --- 4. crash points ------------------------------------------------------------------------------

TARGETS = ("sa-east-1", "us-east-1")  # crash k hits TARGETS[k % 2]; the run also decommissions the other
ANCHOR = "ap-southeast-2"  # stays selected throughout


# every crash point at the reconciler's level: test_reconciler_resume.py; through the real ASL, the first, the last
# and the one the reconcile no longer reaches
CRASH_POINTS = (1, FRESH_REGION_MUTATIONS, FRESH_REGION_MUTATIONS + 1)


def test_a_region_crashed_after_a_mutating_call_is_completed_by_the_next_run_without_leaks(
    world: WorkflowWorld,
) -> None:
    """Injected: for k in CRASH_POINTS the ReconcileRegion Lambda of a fresh region dies (an exception the
    reconciler does not catch, raised by an after-call hook) right after its k-th mutating call took
    effect, i.e. with the response lost. Two target regions alternate, so the crash run of k also
    decommissions the target of the k before it.

    Checked, for each k: the run fails naming the crashed region; the next run (hook removed) succeeds
    and leaves exactly one of every resource there, none leaked or doubled; the following crash run,
    which drops that region from the config, deletes every one of them. A fresh region needs
    FRESH_REGION_MUTATIONS mutating calls, so the last k ends with a clean run.
    """
    world.put_config(**{**RUNNING, "regions": [ANCHOR]})
    assert world.run("anchor").status == "SUCCEEDED"
    previous = None
    for k in CRASH_POINTS:
        target = TARGETS[k % 2]
        assert target != previous
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
    assert k == FRESH_REGION_MUTATIONS + 1 and len(done) == FRESH_REGION_MUTATIONS, done
    assert counts(managed_resources(world, target)) == ONE_FLEET
