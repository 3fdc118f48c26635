"""The VPC's IPv6 block: AWS hands it out asynchronously (`associating`, the CIDR filled in later), so the
reconciler reads it back until it is `associated`, within the propagation budget; subnets get free /64s."""

from __future__ import annotations

from typing import Any

import pytest

from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.errors import ReconcileError
from p2p_core.reconciler.propagation import PROPAGATION_DELAYS
from p2p_core.resources.subnets import new_subnet_block
from p2p_core.resources.vpc import IPV6_NOT_ASSOCIATED, ensure_vpc_block

BLOCK = "2a05:d014:1:2300::/56"


def association(state: str, cidr: str = "") -> dict[str, Any]:
    return {"AssociationId": "vpc-cidr-assoc-1", "Ipv6CidrBlock": cidr, "Ipv6CidrBlockState": {"State": state}}


class SlowEc2:
    """Answers AssociateVpcCidrBlock `associating` without a CIDR; DescribeVpcs shows it after `looks` reads."""

    def __init__(self, looks: int) -> None:
        self.looks, self.calls = looks, []  # type: ignore[var-annotated]

    def associate_vpc_cidr_block(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("associate", kwargs))
        return {"Ipv6CidrBlockAssociation": association("associating")}

    def describe_vpcs(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("describe", kwargs))
        self.looks -= 1
        done = association("associated", BLOCK) if self.looks <= 0 else association("associating")
        return {"Vpcs": [{"VpcId": "vpc-1", "Ipv6CidrBlockAssociationSet": [done]}]}


def context(ec2: Any) -> RegionContext:
    return RegionContext(region="eu-central-1", stack="p2p", ec2=ec2, autoscaling=None, logs=None, ssm=None)


def test_a_block_still_associating_is_read_back_until_associated() -> None:
    ec2, slept = SlowEc2(looks=3), []
    ctx = context(ec2)
    assert ensure_vpc_block(ctx, {"VpcId": "vpc-1"}, sleep=slept.append) == BLOCK
    assert slept == list(PROPAGATION_DELAYS[:3])
    assert [name for name, _ in ec2.calls] == ["associate", "describe", "describe", "describe"]
    assert ctx.actions == ["asked for an IPv6 block for VPC vpc-1"]


def test_a_vpc_holding_its_block_needs_no_call() -> None:
    ec2 = SlowEc2(looks=0)
    vpc = {"VpcId": "vpc-1", "Ipv6CidrBlockAssociationSet": [association("associated", BLOCK)]}
    assert ensure_vpc_block(context(ec2), vpc, sleep=lambda _: None) == BLOCK
    assert ec2.calls == []


def test_a_released_block_is_no_block() -> None:
    ec2 = SlowEc2(looks=1)
    vpc = {"VpcId": "vpc-1", "Ipv6CidrBlockAssociationSet": [association("disassociated", "2a05::/56")]}
    assert ensure_vpc_block(context(ec2), vpc, sleep=lambda _: None) == BLOCK
    assert ec2.calls[0][0] == "associate"


def test_a_block_never_associated_within_the_budget_fails_the_region_for_the_next_run() -> None:
    ec2 = SlowEc2(looks=100)
    with pytest.raises(ReconcileError) as err:
        ensure_vpc_block(context(ec2), {"VpcId": "vpc-1"}, sleep=lambda _: None)
    assert err.value.code == IPV6_NOT_ASSOCIATED


def test_subnets_get_free_64s_of_the_vpc_block_in_address_order() -> None:
    held = [{"Ipv6CidrBlockAssociationSet": [association("associated", "2a05:d014:1:2300::/64")]}]
    taken: set[str] = set()
    assert new_subnet_block(BLOCK, held, taken) == "2a05:d014:1:2301::/64"
    assert new_subnet_block(BLOCK, held, taken) == "2a05:d014:1:2302::/64"
    assert new_subnet_block(None, held, taken) is None
