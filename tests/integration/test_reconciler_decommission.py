"""Regions removed from the config are scaled to 0 and emptied, so nothing is left to bill (SPEC §4)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.reconciler_fixtures import (
    REGIONS,
    Interrupted,
    World,
    aws_world,
    make_config,
    managed_resources,
)

NOTHING = {
    "vpc": [],
    "igw": [],
    "subnet": [],
    "route_table": [],
    "security_group": [],
    "launch_template": [],
    "log_group": [],
    "asg": [],
    "instance": [],
}
DECOMMISSION_MUTATIONS = 15  # scale, ASG, template, log group, SG, 3 disassociations, table, 3 subnets, IGW x2, VPC


@pytest.fixture
def world() -> Iterator[World]:
    with aws_world() as w:
        w.run(make_config())
        yield w


def test_decommission_leaves_nothing_tagged_managed(world: World) -> None:
    results = world.run(make_config(regions=["eu-central-1"]))

    assert sorted(results) == ["ap-southeast-2", "us-east-1"]
    for region in ("ap-southeast-2", "us-east-1"):
        assert (results[region].status, results[region].decommissioned) == ("ok", True)
        assert results[region].mutating_calls == DECOMMISSION_MUTATIONS
        assert managed_resources(region) == NOTHING
    assert managed_resources("eu-central-1") != NOTHING
    assert world.run(make_config(regions=["eu-central-1"])) == {}


def test_decommission_scales_to_zero_before_deleting(world: World) -> None:
    world.run(make_config(regions=["eu-central-1", "us-east-1"]))

    order = world.mutating("ap-southeast-2")
    assert order[:2] == ["UpdateAutoScalingGroup", "DeleteAutoScalingGroup"]
    assert order[-1] == "DeleteVpc"
    assert world.sent("DeleteAutoScalingGroup") == [{"AutoScalingGroupName": "p2p-test-agents", "ForceDelete": True}]


@pytest.mark.parametrize("done", range(DECOMMISSION_MUTATIONS))
def test_interrupted_decommission_is_finished_by_the_next_run(world: World, done: int) -> None:
    config = make_config(regions=[r for r in REGIONS if r != "us-east-1"])
    with world.interrupt_after(done), pytest.raises(Interrupted):
        world.run(config)

    results = world.run(config)

    assert results["us-east-1"].decommissioned
    assert managed_resources("us-east-1") == NOTHING


def test_region_back_in_the_config_is_built_again(world: World) -> None:
    world.run(make_config(regions=["eu-central-1"]))

    results = world.run(make_config())

    assert results["us-east-1"].status == "ok"
    assert len(managed_resources("us-east-1")["vpc"]) == 1
