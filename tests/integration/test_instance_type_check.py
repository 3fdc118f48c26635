"""Plan checks instance.type against EC2 before touching anything (the real ASL and handlers, moto's EC2 data).

A type that does not run `instance.architecture`, or that EC2 does not know, is an invalid config: the
run fails in Plan naming the fields. A type a region does not offer fails that region only, untouched.
The checks read EC2 only when a region's infrastructure is (re)built: a no-op run reads nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from p2p_emulator.handler_clients import add_client_hook, remove_client_hook
from p2p_emulator.world import WorkflowWorld

pytestmark = pytest.mark.integration

NOT_IN_SA_EAST_1 = "c8id.large"  # moto's offerings: eu-central-1 has it, sa-east-1 does not


@contextmanager
def plan_checks() -> Iterator[list[tuple[str, str]]]:
    """(region, operation) of the check's calls: the architecture, and offerings by region (the reconciler
    asks for offerings by zone)."""
    seen: list[tuple[str, str]] = []

    def record(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if model.name == "DescribeInstanceTypes" or params.get("LocationType") == "region":
            seen.append((context.get("client_region", "?"), model.name))

    add_client_hook("before-parameter-build", record)  # the call's own parameters, before serialising
    try:
        yield seen
    finally:
        remove_client_hook("before-parameter-build", record)


def _only_the_lease_was_written(world: WorkflowWorld) -> bool:
    """Plan took and released its lease, Finalize recorded the failed run and published it (Run Finished); nothing
    else was written anywhere."""
    return sorted(op for _, op in world.mutating_calls()) == ["DeleteItem", "PutEvents", "PutItem", "UpdateItem"]


def test_a_type_for_another_architecture_fails_the_run_in_plan_naming_both_fields(world: WorkflowWorld) -> None:
    world.put_config(regions=["eu-central-1"], instance={"type": "t4g.micro", "architecture": "x86_64"})
    run = world.run("wrong-arch")
    assert (run.status, run.error) == ("FAILED", "ConfigInvalid")
    assert "instance.type: 't4g.micro' runs arm64, not instance.architecture 'x86_64'" in (run.cause or "")
    assert run.states_entered == ["Plan", "Finalize"]
    assert _only_the_lease_was_written(world)
    assert world.asg("eu-central-1") is None


def test_an_instance_type_ec2_does_not_know_fails_the_run_in_plan(world: WorkflowWorld) -> None:
    world.put_config(regions=["eu-central-1", "us-east-1"], instance={"type": "t3.mcro"})
    run = world.run("typo")
    assert (run.status, run.error) == ("FAILED", "ConfigInvalid")
    assert "instance.type: 't3.mcro' is not an EC2 instance type offered in eu-central-1" in (run.cause or "")
    assert _only_the_lease_was_written(world)
    world.put_config(regions=["eu-central-1", "us-east-1"], instance={"type": "t3.micro"})
    assert world.run("fixed").status == "SUCCEEDED"  # the lease was released


def test_a_region_that_does_not_offer_the_type_fails_alone_and_untouched(world: WorkflowWorld) -> None:
    world.put_config(regions=["eu-central-1", "sa-east-1"], instance={"type": NOT_IN_SA_EAST_1})
    run = world.run("not-offered")
    assert (run.status, run.error) == ("FAILED", "RunFailed")  # after the healthy region is done
    assert world.asg("eu-central-1") is not None
    assert world.asg("sa-east-1") is None
    assert [op for region, op in world.mutating_calls() if region == "sa-east-1"] == []
    last = world.status().last_run
    assert last is not None
    failed = {r.region: r for r in last.regions if r.status == "failed"}
    assert list(failed) == ["sa-east-1"]
    assert failed["sa-east-1"].error_code == "InstanceTypeNotOffered"
    assert f"instance.type '{NOT_IN_SA_EAST_1}' is not offered in sa-east-1" in (
        failed["sa-east-1"].error_message or ""
    )


def test_the_check_reads_only_in_runs_that_build_regions(world: WorkflowWorld) -> None:
    world.put_config(regions=["eu-central-1", "us-east-1"], desired_capacity=1)
    with plan_checks() as checked:
        first = world.run("build")
    assert first.status == "SUCCEEDED", first.cause
    assert sorted(checked) == [
        ("eu-central-1", "DescribeInstanceTypeOfferings"),
        ("eu-central-1", "DescribeInstanceTypes"),  # one region answers for the architecture
        ("eu-central-1", "DescribeInstanceTypes"),  # and for its vCPUs (quota headroom: once per instance type)
        ("us-east-1", "DescribeInstanceTypeOfferings"),
    ]
    with plan_checks() as checked:
        assert world.run("no-op").status == "SUCCEEDED"
        world.put_config(regions=["eu-central-1", "us-east-1"], desired_capacity=2)
        assert world.run("capacity-only").status == "SUCCEEDED"
    assert checked == []
