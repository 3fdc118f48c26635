"""Plan records each selected region's on-demand vCPU headroom in the status item, reading quotas at most hourly.

The emulated account has a new account's 32 vCPUs per region unless `shims.set_quota` says otherwise.
The real ASL runs and Plan's handler reads the quota through its own role (IAM enforced).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from p2p_core.quota import headroom_warnings
from p2p_emulator import shims
from p2p_emulator.iam import ENFORCER
from p2p_emulator.world import HOME, WorkflowWorld

OTHER = "sa-east-1"


@pytest.fixture
def small_quota() -> Iterator[None]:
    shims.set_quota(OTHER, 8)
    yield
    shims.reset_quotas()


def quota_reads(world: WorkflowWorld) -> list[str]:
    return [call.region for call in world.calls if call.operation == "GetServiceQuota"]


def test_a_fleet_over_its_quota_is_recorded_with_the_warning_operators_read(
    world: WorkflowWorld, small_quota: None
) -> None:
    world.put_config(regions=[HOME, OTHER], desired_capacity={"all": 1, "aws": {OTHER: 5}}, start_offset="0 minutes")
    run = world.run()
    assert run.status == "SUCCEEDED", run.cause
    headroom = world.status().quota_headroom
    assert headroom[HOME].quota_vcpus == 32 and headroom[HOME].needed_vcpus == 2
    assert headroom[OTHER].quota_vcpus == 8 and headroom[OTHER].needed_vcpus == 10
    assert headroom_warnings(headroom) == [
        "sa-east-1: 5 × t3.micro = 10 vCPUs > quota 8 (L-1216C47A): launches will fail until the quota is raised"
    ]


def test_quotas_are_read_once_per_region_per_hour_and_a_capacity_edit_only_redoes_the_arithmetic(
    world: WorkflowWorld, small_quota: None
) -> None:
    world.put_config(regions=[HOME, OTHER], desired_capacity=1)
    world.run()
    assert sorted(quota_reads(world)) == sorted([HOME, OTHER])  # the first run reads each once
    world.calls.clear()
    world.run("noop")
    world.put_config(regions=[HOME, OTHER], desired_capacity={"all": 1, "aws": {OTHER: 6}})
    world.run("edit")
    assert quota_reads(world) == []
    assert world.status().quota_headroom[OTHER].needed_vcpus == 12  # recomputed from the cached quota
    assert headroom_warnings(world.status().quota_headroom)[0].startswith("sa-east-1: 6 × t3.micro = 12 vCPUs")


@pytest.fixture
def quotas_never_applied() -> Iterator[None]:
    shims.quotas_applied(False)  # GetServiceQuota: NoSuchResourceException, as for a quota never raised
    yield
    shims.reset_quotas()


def test_a_quota_never_applied_is_read_from_aws_default_through_plans_own_role(
    world: WorkflowWorld, quotas_never_applied: None
) -> None:
    # GetAWSDefaultServiceQuota authorizes only Resource "*": a statement naming the quota's ARN would deny it
    world.put_config(regions=[HOME], desired_capacity=1)
    assert world.run().status == "SUCCEEDED"
    seen = world.status().quota_headroom[HOME]
    assert (seen.quota_vcpus, seen.error) == (32, None)
    assert ("GetServiceQuota", "NoSuchResourceException") in {(op, code) for _, op, code in world.refused}
    assert [c.operation for c in world.calls if c.service == "servicequotas"] == ["GetAWSDefaultServiceQuota"]


def test_without_the_default_quota_statement_the_fallback_is_denied_and_recorded_not_fatal(
    world: WorkflowWorld, quotas_never_applied: None
) -> None:
    ENFORCER.revoke("ObserveRegionsPolicy/ReadDefaultVcpuQuota")
    world.put_config(regions=[HOME], desired_capacity=1)
    assert world.run().status == "SUCCEEDED"
    error = str(world.status().quota_headroom[HOME].error)
    assert "AccessDeniedException" in error
    assert "not authorized to perform: servicequotas:GetAWSDefaultServiceQuota " in error
