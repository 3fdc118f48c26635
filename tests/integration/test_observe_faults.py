"""One bad region never stops the rest (issue 22 §4): a fault while Plan observes one region, through the real ASL."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from p2p_emulator.world import WorkflowWorld
from tests.integration.reconciler_fixtures import ONE_FLEET
from tests.integration.reliability_world import (
    Hook,
    RawBody,
    counts,
    failing,
    hooked,
    lease_item,
    managed_resources,
    region_result,
)
from tests.integration.test_workflow import RUNNING

FAULTY = "sa-east-1"
THREE_REGIONS = ["ap-southeast-2", FAULTY, "us-east-1"]


def answering(region: str, status: int, body: bytes) -> Hook:
    """A before-send hook (registered for one operation): in `region` it gets this HTTP answer instead."""

    def hook(request: Any, **_: Any) -> AWSResponse | None:
        if f".{region}." in request.url:
            return AWSResponse(request.url, status, HTTPHeaders(), RawBody(body))
        return None

    return hook


FAULTS = {
    # what botocore raises once its retries of a 5xx are spent (raised by a before-call hook, as in
    # test_reliability_faults: the retries' backoff is not what is tested here)
    "internal-error": (
        failing(FAULTY, "DescribeAutoScalingGroups", "InternalFailure"),
        "before-call",
        "InternalFailure",
    ),
    # an answer botocore cannot parse (a proxy's HTML page with 200): not retried, ResponseParserError
    "unparseable": (
        answering(FAULTY, 200, b"<html>bad gateway"),
        "before-send.auto-scaling.DescribeAutoScalingGroups",
        "ResponseParserError",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_while_observing_one_region_fails_only_that_region(world: WorkflowWorld, fault: str) -> None:
    """Injected: every DescribeAutoScalingGroups in sa-east-1 (Plan's observe and the reconciler's) answers with
    a non-throttling server error after botocore's retries, or with a body botocore cannot parse.

    Checked: the two other regions are reconciled (ok, fully provisioned); the execution fails only after them
    (RunFailed naming sa-east-1, as Finalize does); the status item records sa-east-1 as failed with the error;
    the lease is free; with the fault gone the next run heals sa-east-1.
    """
    hook, event, code = FAULTS[fault]
    world.put_config(**{**RUNNING, "regions": THREE_REGIONS})
    with hooked(world, hook, event):
        run = world.run(fault)
    assert run.status == "FAILED", run.output
    assert run.error == "RunFailed", run.cause
    assert FAULTY in (run.cause or "")
    failed = region_result(world, FAULTY)
    assert (failed.status, failed.error_code) == ("failed", code), failed
    assert "DescribeAutoScalingGroups" in (failed.error_message or "") or "parse" in (failed.error_message or "")
    for region in THREE_REGIONS:
        if region != FAULTY:
            assert region_result(world, region).status == "ok", region
            assert counts(managed_resources(world, region)) == ONE_FLEET, region
    assert lease_item(world) is None
    healed = world.run(f"{fault}-healed")
    assert healed.status == "SUCCEEDED", healed.cause
    assert counts(managed_resources(world, FAULTY)) == ONE_FLEET
