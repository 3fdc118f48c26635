"""The on-demand vCPU quota arithmetic: which types it counts, the fleet's peak need, the warning line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from p2p_core.config import parse_config
from p2p_core.quota import (
    ON_DEMAND_QUOTA,
    QuotaHeadroom,
    counts_as_standard,
    headroom_warnings,
    peak_instances,
    peak_spot_instances,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["t3.micro", "t4g.small", "m7g.medium", "c7g.medium", "r7i.large", "z1d.large"])
def test_the_standard_families_count_against_l_1216c47a(kind: str) -> None:
    assert counts_as_standard(kind)


@pytest.mark.parametrize(
    "kind", ["g5.xlarge", "p4d.24xlarge", "inf2.xlarge", "mac2.metal", "trn1.2xlarge", "dl1.24xlarge"]
)
def test_families_with_their_own_quota_do_not(kind: str) -> None:
    assert not counts_as_standard(kind)


def test_peak_follows_the_capacity_grammar_and_leave_alone_needs_nothing() -> None:
    config = parse_config({"desired_capacity": {"all": 2, "aws": {"eu-west-3": 40, "us-east-1": "-"}}})
    assert [peak_instances(config, r) for r in ("eu-central-1", "eu-west-3", "us-east-1")] == [2, 40, 0]


def test_on_spot_only_the_on_demand_base_counts_against_the_on_demand_quota() -> None:
    spot = parse_config({"desired_capacity": 10, "instance": {"market": "spot", "on_demand_base": 2}})
    assert peak_instances(spot, "eu-central-1") == 2
    assert (
        peak_instances(
            parse_config({"desired_capacity": 1, "instance": {"market": "spot", "on_demand_base": 2}}), "eu-central-1"
        )
        == 1
    )
    several_on_demand = parse_config({"desired_capacity": 10, "instance": {"types": ["t3a.micro"]}})
    assert peak_instances(several_on_demand, "eu-central-1") == 10


def test_the_spot_quota_counts_the_instances_above_the_on_demand_base_and_nothing_on_demand() -> None:
    spot = parse_config(
        {"desired_capacity": {"all": 10, "aws": {"us-east-1": 1}}, "instance": {"market": "spot", "on_demand_base": 2}}
    )
    assert [peak_spot_instances(spot, r) for r in ("eu-central-1", "us-east-1")] == [8, 0]
    assert peak_spot_instances(parse_config({"desired_capacity": 10}), "eu-central-1") == 0


def test_a_region_over_its_quota_gets_the_line_operators_read_and_others_none() -> None:
    def seen(instances: int, quota: float | None) -> QuotaHeadroom:
        return QuotaHeadroom(
            instance_type="t3.large", instances=instances, vcpus_each=2, quota_vcpus=quota, checked_at=NOW
        )

    headroom = {"eu-west-3": seen(40, 32), "eu-central-1": seen(16, 32), "us-east-1": seen(40, None)}
    assert headroom_warnings(headroom) == [
        "eu-west-3: 40 × t3.large = 80 vCPUs > quota 32 (L-1216C47A): launches will fail until the quota is raised"
    ]


def test_the_increase_request_is_the_aws_cli_command() -> None:
    assert ON_DEMAND_QUOTA.increase_command("eu-west-3", 100) == (
        "aws service-quotas request-service-quota-increase --region eu-west-3 --service-code ec2 "
        "--quota-code L-1216C47A --desired-value 100"
    )
