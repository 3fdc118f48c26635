"""An interrupted run is completed by the next one: no duplicates, nothing leaked (SPEC §4)."""

from __future__ import annotations

import boto3
import pytest

from tests.integration.reconciler_fixtures import (
    ONE_FLEET,
    Interrupted,
    World,
    make_config,
    managed_resources,
)
from tests.integration.reliability_world import FRESH_REGION_MUTATIONS, crash_after

ONE_OF_EACH = {**ONE_FLEET, "instance": 2}
# a new instance type: template version, made the default, the group follows it, its tags
TEMPLATE_UPDATE_MUTATIONS = 4


def _counts(region: str) -> dict[str, int]:
    return {kind: len(ids) for kind, ids in managed_resources(region).items()}


@pytest.mark.parametrize("done", range(FRESH_REGION_MUTATIONS))
def test_create_interrupted_after_each_step_is_completed_by_the_next_run(region_world: World, done: int) -> None:
    config = make_config(regions=["us-east-1"])  # not the home region: its drift-event rule is made too
    with region_world.interrupt_after(done), pytest.raises(Interrupted):
        region_world.run(config)

    results = region_world.run(config)

    assert results["eu-central-1"].status == "ok", results["eu-central-1"]
    assert _counts("eu-central-1") == ONE_OF_EACH
    assert region_world.run(config) == {}, "a third run finds nothing to do"


def test_interrupted_template_update_is_finished_without_a_second_version(region_world: World) -> None:
    region_world.run(make_config(regions=["eu-central-1"]))
    changed = make_config(regions=["eu-central-1"], instance={"type": "t3.small"})
    with region_world.interrupt_after(1), pytest.raises(Interrupted):
        region_world.run(changed)

    region_world.run(changed)

    # the version the interrupted run made is adopted: made the default, followed by the group and its agents
    assert region_world.mutating() == [
        "ModifyLaunchTemplate",
        "UpdateAutoScalingGroup",
        "CreateOrUpdateTags",
        "StartInstanceRefresh",
    ]
    assert region_world.run(changed) == {}


@pytest.mark.parametrize("done", range(TEMPLATE_UPDATE_MUTATIONS))
def test_template_update_interrupted_after_each_step_ends_on_one_new_default_version(
    region_world: World, done: int
) -> None:
    region_world.run(make_config(regions=["eu-central-1"]))
    changed = make_config(regions=["eu-central-1"], instance={"type": "t3.small"})
    with region_world.interrupt_after(done), pytest.raises(Interrupted):
        region_world.run(changed)

    assert region_world.run(changed)["eu-central-1"].status == "ok"

    ec2 = boto3.client("ec2", "eu-central-1")
    template_id = managed_resources("eu-central-1")["launch_template"][0]
    template = ec2.describe_launch_templates(LaunchTemplateIds=[template_id])["LaunchTemplates"][0]
    group = boto3.client("autoscaling", "eu-central-1").describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert (template["LatestVersionNumber"], template["DefaultVersionNumber"]) == (2, 2)
    assert group["LaunchTemplate"]["Version"] == "2"
    assert region_world.run(changed) == {}


def test_duplicate_vpc_from_a_lost_response_is_tolerated_and_decommissioned(region_world: World) -> None:
    config = make_config(regions=["us-east-1"])  # not the home region: its drift-event rule is made too
    region_world.run(config)
    ec2 = region_world.clients.client("ec2", "eu-central-1")
    tags = [{"Key": k, "Value": v} for k, v in {"p2p:stack": "p2p-test", "p2p:region": "eu-central-1"}.items()]
    ec2.create_vpc(
        CidrBlock="10.20.30.0/24",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [*tags, {"Key": "p2p:managed", "Value": "true"}]}],
    )

    region_world.run(make_config(regions=["us-east-1"]))

    assert _counts("eu-central-1") == dict.fromkeys(ONE_OF_EACH, 0)


TARGETS = ("eu-central-1", "us-east-1")  # crash k hits TARGETS[k % 2]; the run also decommissions the other
ANCHOR = "ap-southeast-2"  # stays selected throughout


def test_a_region_crashed_after_any_mutating_call_took_effect_is_completed_by_the_next_run_without_leaks(
    region_world: World,
) -> None:
    """For k = 1, 2, ... a fresh region's reconcile dies right after its k-th mutating call took effect (an
    after-call hook raises: the response is lost), until the first k the reconcile no longer reaches. Two target
    regions alternate, so the crash run of k also decommissions the target of k-1. For every k: only that region
    crashed; the next run leaves exactly one of every resource there and the one after finds nothing to do; the
    following crash run deletes them all.
    `test_reliability_faults.py` takes the first and last crash points through the real ASL."""
    region_world.run(make_config(regions=[ANCHOR]))
    previous = None
    for k in range(1, FRESH_REGION_MUTATIONS + 2):
        target = TARGETS[k % 2]
        config = make_config(regions=[ANCHOR, target])
        hook, done = crash_after(target, k)
        crashed: dict[str, Exception] = {}
        region_world.after_call = hook
        try:
            results = region_world.run(config, crashed=crashed)
        finally:
            region_world.after_call = None
        if previous is not None:  # dropped from the config in this very run
            assert results[previous].decommissioned, (k, previous)
            assert _counts(previous) == dict.fromkeys(ONE_OF_EACH, 0), (k, previous)
        if len(done) < k:  # the reconcile finished before the k-th mutating call
            assert crashed == {} and results[target].status == "ok", (k, results)
            break
        assert list(crashed) == [target] and f"crashed after mutating call {k} " in str(crashed[target]), crashed
        healed = region_world.run(config)  # nothing left to do when the lost response was the last call's
        assert all(result.status == "ok" for result in healed.values()), (k, done, healed)
        assert _counts(target) == ONE_OF_EACH, (k, done)
        assert region_world.run(config) == {}, (k, "the run after the heal finds nothing to do")
        previous = target
    assert k - 1 == FRESH_REGION_MUTATIONS, done
