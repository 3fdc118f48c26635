"""Regions removed from the config are scaled to 0 and emptied, so nothing is left to bill (SPEC §4)."""

from __future__ import annotations

import pytest

from tests.integration.reconciler_fixtures import (
    REGIONS,
    Interrupted,
    World,
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
# scale, ASG, template, the drift-event rule (its targets, itself), log group, SG, 3 disassociations, table,
# 3 subnets, IGW x2, VPC: both regions decommissioned here are not the home one
DECOMMISSION_MUTATIONS = 17


def test_decommission_leaves_nothing_tagged_managed(built_region_world: World) -> None:
    results = built_region_world.run(make_config(regions=["eu-central-1"]))

    assert sorted(results) == ["ap-southeast-2", "us-east-1"]
    for region in ("ap-southeast-2", "us-east-1"):
        assert (results[region].status, results[region].decommissioned) == ("ok", True)
        assert results[region].mutating_calls == DECOMMISSION_MUTATIONS
        assert managed_resources(region) == NOTHING
    assert managed_resources("eu-central-1") != NOTHING
    assert built_region_world.run(make_config(regions=["eu-central-1"])) == {}


def test_decommission_scales_to_zero_before_deleting(built_region_world: World) -> None:
    built_region_world.run(make_config(regions=["eu-central-1", "us-east-1"]))

    order = built_region_world.mutating("ap-southeast-2")
    assert order[:2] == ["UpdateAutoScalingGroup", "DeleteAutoScalingGroup"]
    assert order[-1] == "DeleteVpc"
    assert built_region_world.sent("DeleteAutoScalingGroup") == [
        {"AutoScalingGroupName": "p2p-test-agents", "ForceDelete": True}
    ]


@pytest.mark.parametrize("done", range(DECOMMISSION_MUTATIONS))
def test_interrupted_decommission_is_finished_by_the_next_run(built_region_world: World, done: int) -> None:
    config = make_config(regions=[r for r in REGIONS if r != "us-east-1"])
    with built_region_world.interrupt_after(done), pytest.raises(Interrupted):
        built_region_world.run(config)

    results = built_region_world.run(config)

    assert results["us-east-1"].decommissioned
    assert managed_resources("us-east-1") == NOTHING


def test_region_back_in_the_config_is_built_again(built_region_world: World) -> None:
    built_region_world.run(make_config(regions=["eu-central-1"]))

    results = built_region_world.run(make_config())

    assert results["us-east-1"].status == "ok"
    assert len(managed_resources("us-east-1")["vpc"]) == 1
