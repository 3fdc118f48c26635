"""An AWS error in one region becomes a structured failed RegionResult; the other regions finish."""

from __future__ import annotations

import pytest

from p2p_core.aws.clients import ClientFactory, is_mutating
from p2p_core.reconciler.errors import describe_failure, is_gone
from tests.integration.reconciler_fixtures import World, client_error, make_config, managed_resources


@pytest.mark.parametrize(
    ("operation", "code", "words"),
    [
        ("CreateVpc", "UnauthorizedOperation", "permission denied"),
        ("CreateAutoScalingGroup", "AccessDenied", "permission denied"),
        ("CreateAutoScalingGroup", "LimitExceeded", "account limit"),
        ("CreateSecurityGroup", "RequestLimitExceeded", "throttled beyond retries"),
        ("CreateLaunchTemplate", "InvalidParameterValue", "instance type not offered"),
    ],
)
def test_aws_error_in_one_region_is_a_failed_result_and_others_finish(
    region_world: World, operation: str, code: str, words: str
) -> None:
    message = "The instance type t3.micro is not supported" if code == "InvalidParameterValue" else "injected"
    with region_world.failing("us-east-1", operation, code, message):
        results = region_world.run(make_config())

    failed = results["us-east-1"]
    assert (failed.status, failed.error_code) == ("failed", code)
    assert words in (failed.error_message or "")
    assert operation in (failed.error_message or "")
    assert all(results[r].status == "ok" for r in ("ap-southeast-2", "eu-central-1"))


def test_region_not_enabled_fails_observe_and_reconcile_with_opt_in_words(region_world: World) -> None:
    with region_world.failing("ap-southeast-2", "DescribeAutoScalingGroups", "OptInRequired"):
        observed = region_world.observe(make_config())
        results = region_world.run(make_config())

    error = observed.regions["ap-southeast-2"].error
    assert error is not None and error.code == "OptInRequired"
    assert error.message.startswith("region not enabled")
    assert (results["ap-southeast-2"].status, results["ap-southeast-2"].error_code) == ("failed", "OptInRequired")
    assert results["eu-central-1"].status == "ok"


def test_failed_region_is_completed_by_the_next_run(region_world: World) -> None:
    with region_world.failing("eu-central-1", "CreateLaunchTemplate", "Throttling"):
        region_world.run(make_config())

    results = region_world.run(make_config())

    assert list(results) == ["eu-central-1"]
    assert results["eu-central-1"].status == "ok"
    assert len(managed_resources("eu-central-1")["vpc"]) == 1


def test_instance_type_offered_nowhere_fails_before_creating_subnets(region_world: World) -> None:
    results = region_world.run(make_config(regions=["eu-central-1"], instance={"type": "zz9.nothing"}))

    assert (results["eu-central-1"].status, results["eu-central-1"].error_code) == ("failed", "InstanceTypeNotOffered")
    assert "CreateSubnet" not in region_world.mutating()


def test_failure_words_cover_connection_errors_and_not_found() -> None:
    from botocore.exceptions import EndpointConnectionError

    code, message = describe_failure(EndpointConnectionError(endpoint_url="https://ec2.xx-1.amazonaws.com"))
    assert code == "EndpointConnectionError" and "cannot reach" in message
    assert is_gone(client_error("InvalidVpcID.NotFound", "DeleteVpc"))
    assert is_gone(client_error("ValidationError", "DeleteAutoScalingGroup", "AutoScalingGroup name not found"))
    assert not is_gone(client_error("DependencyViolation", "DeleteVpc"))


def test_client_factory_caches_one_client_per_service_and_region() -> None:
    factory = ClientFactory()

    assert factory.client("ec2", "eu-central-1") is factory.client("ec2", "eu-central-1")
    assert factory.client("ec2", "eu-central-1") is not factory.client("ec2", "us-east-1")
    config = factory.client("ec2", "eu-central-1").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 11}  # 10 retries after the first try
    assert [is_mutating(op) for op in ("DescribeVpcs", "GetParameter", "ListTags", "CreateVpc")] == [
        False,
        False,
        False,
        True,
    ]
