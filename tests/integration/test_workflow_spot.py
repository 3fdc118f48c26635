"""Spot with an on-demand base (issue 16 §1), through the real ASL and handlers against the emulator.

`instance.market: spot` makes the region's Auto Scaling group a MixedInstancesPolicy over the
instance type and `instance.types`; a switch of an existing fleet is repaired in place
(UpdateAutoScalingGroup) and rolled onto running agents by an instance refresh; a policy changed by
hand is drift; a type a region does not offer is dropped with a warning, and a region offering none
of them fails alone naming `instance.types`. An item that sets none of this keeps a plain group.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from p2p_core import NOT_OFFERED_TAG
from p2p_core.models.events import PlanResult
from p2p_core.workflow.plan_step import preview_plan
from p2p_emulator import shims
from p2p_emulator.world import HOME, WorkflowWorld
from tests.integration.test_reconciler import NOOP_READS
from tests.integration.test_workflow import NOOP_STATES, mutations_outside_own_table
from tests.integration.test_workflow_refresh import refreshes, region_result, versions

RUNNING = {"regions": [HOME], "desired_capacity": 3, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}
SPOT = {"market": "spot", "on_demand_base": 1}
NOT_IN_SA_EAST_1 = "c8id.large"  # moto's offerings: eu-central-1 has it, sa-east-1 does not


def fleet(**fields: Any) -> dict[str, Any]:
    return {**RUNNING, **fields}


def group(world: WorkflowWorld, region: str = HOME) -> dict[str, Any]:
    found = world.asg(region)
    assert found is not None
    return found


def policy(world: WorkflowWorld, region: str = HOME) -> dict[str, Any]:
    mixed: dict[str, Any] = group(world, region)["MixedInstancesPolicy"]
    return mixed


def preview(world: WorkflowWorld) -> PlanResult:
    """What `p2pctl plan` shows now."""
    deployment = world.stack.functions["PlanFunction"].deployment
    return preview_plan(deployment, world.clients, datetime.now(UTC).replace(microsecond=0))


def assert_noop(world: WorkflowWorld, prefix: str) -> None:
    run = world.run(prefix)
    assert run.status == "SUCCEEDED", run.cause
    assert run.states_entered == NOOP_STATES, run.output
    assert mutations_outside_own_table(world) == []


def test_a_spot_config_creates_the_group_with_its_mixed_instances_policy(world: WorkflowWorld) -> None:
    world.put_config(**fleet(instance=SPOT))
    run = world.run("spot")
    assert run.status == "SUCCEEDED", run.cause
    made = group(world)
    assert "LaunchTemplate" not in made or made["LaunchTemplate"] is None
    template = made["MixedInstancesPolicy"]["LaunchTemplate"]
    assert template["LaunchTemplateSpecification"]["Version"] == "1"
    assert template["Overrides"] == [{"InstanceType": t} for t in ("t3.micro", "t3a.micro", "t2.micro")]
    assert made["MixedInstancesPolicy"]["InstancesDistribution"] == {
        "OnDemandBaseCapacity": 1,
        "OnDemandPercentageAboveBaseCapacity": 0,
        "SpotAllocationStrategy": "price-capacity-optimized",
    }
    assert made["CapacityRebalance"] is True
    assert made["DesiredCapacity"] == 3 and len(made["Instances"]) == 3
    assert ("eu-central-1", "CreateAutoScalingGroup") in world.mutating_calls()
    created = [a for a in region_result(world).actions if a.startswith("created Auto Scaling group")]
    assert created and "Spot over t3.micro, t3a.micro, t2.micro (1 on-demand base" in created[0]
    assert_noop(world, "again")  # verified in full from the one DescribeAutoScalingGroups answer
    assert policy(world)["InstancesDistribution"]["OnDemandBaseCapacity"] == 1  # capacity reads kept it


def test_an_item_without_purchase_settings_keeps_a_plain_launch_template_group(world: WorkflowWorld) -> None:
    world.put_config(**fleet(instance={"market": "on-demand", "on_demand_base": 2}))  # both defaults' effect
    assert world.run("plain").status == "SUCCEEDED"
    made = group(world)
    assert made.get("MixedInstancesPolicy") is None
    assert made["LaunchTemplate"]["Version"] == "1" and made.get("CapacityRebalance") is False
    assert NOT_OFFERED_TAG not in {t["Key"] for t in made["Tags"]}


def test_switching_a_running_fleet_to_spot_updates_the_group_in_place_and_refreshes_it(world: WorkflowWorld) -> None:
    world.put_config(**fleet())
    assert world.run("on-demand").status == "SUCCEEDED"
    assert versions(world) == {"1": 3}
    before = group(world)["AutoScalingGroupARN"]
    shims.refresh_pace(None)
    world.put_config(**fleet(instance=SPOT))
    (planned,) = preview(world).regions
    assert any("want Spot over t3.micro" in reason or "settings changed" in reason for reason in planned.reasons)

    run = world.run("to-spot")
    assert run.status == "SUCCEEDED", run.cause
    ops = [op for region, op in world.mutating_calls() if region == HOME]
    assert "UpdateAutoScalingGroup" in ops and "CreateAutoScalingGroup" not in ops
    assert group(world)["AutoScalingGroupARN"] == before  # the same group
    assert policy(world)["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
    assert policy(world)["LaunchTemplate"]["LaunchTemplateSpecification"]["Version"] == "2"
    assert group(world)["CapacityRebalance"] is True
    (started,) = refreshes(world)  # the on-demand agents are replaced by instances bought the new way
    desired = started["DesiredConfiguration"]["MixedInstancesPolicy"]  # the group's whole policy, so AWS keeps it
    assert desired["LaunchTemplate"]["Overrides"] == policy(world)["LaunchTemplate"]["Overrides"]
    assert desired["InstancesDistribution"] == policy(world)["InstancesDistribution"]
    assert desired["LaunchTemplate"]["LaunchTemplateSpecification"]["Version"] == "2"
    assert started["Preferences"]["SkipMatching"] is True
    result = region_result(world)
    assert any(a.startswith("Auto Scaling group buys Spot over") for a in result.actions)
    assert result.refresh is not None and result.refresh.instances_to_update == 3

    shims.advance_refreshes(HOME, batches=3)
    assert versions(world) == {"2": 3}
    assert policy(world)["InstancesDistribution"] == desired["InstancesDistribution"]
    assert_noop(world, "after")


def test_a_policy_changed_by_hand_is_drift_repaired_in_place(world: WorkflowWorld) -> None:
    world.put_config(**fleet(instance=SPOT))
    assert world.run("spot").status == "SUCCEEDED"
    changed = policy(world)
    del changed["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateName"]  # one of id and name
    changed["LaunchTemplate"]["Overrides"] = [{"InstanceType": "t3.micro"}]
    changed["InstancesDistribution"] = {**changed["InstancesDistribution"], "OnDemandPercentageAboveBaseCapacity": 100}
    operator = world.clients.client("autoscaling", HOME)
    operator.update_auto_scaling_group(
        AutoScalingGroupName=group(world)["AutoScalingGroupName"], MixedInstancesPolicy=changed
    )

    (planned,) = preview(world).regions
    assert "Auto Scaling group: instance types t3.micro, want t3.micro, t3a.micro, t2.micro" in planned.reasons
    assert "Auto Scaling group: OnDemandPercentageAboveBaseCapacity 100, want 0 (instance.market)" in planned.reasons
    run = world.run("repair")
    assert run.status == "SUCCEEDED", run.cause
    ops = [op for region, op in world.mutating_calls() if region == HOME]
    assert ops.count("UpdateAutoScalingGroup") == 1 and "CreateAutoScalingGroup" not in ops
    assert [o["InstanceType"] for o in policy(world)["LaunchTemplate"]["Overrides"]] == [
        "t3.micro",
        "t3a.micro",
        "t2.micro",
    ]
    assert policy(world)["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
    assert_noop(world, "after")


def test_a_type_a_region_does_not_offer_is_dropped_with_a_warning(world: WorkflowWorld) -> None:
    world.put_config(**fleet(regions=["sa-east-1"], instance={"market": "spot", "types": [NOT_IN_SA_EAST_1]}))
    run = world.run("dropped")
    assert run.status == "SUCCEEDED", run.cause
    assert [o["InstanceType"] for o in policy(world, "sa-east-1")["LaunchTemplate"]["Overrides"]] == ["t3.micro"]
    tags = {t["Key"]: t["Value"] for t in group(world, "sa-east-1")["Tags"]}
    assert tags[NOT_OFFERED_TAG] == NOT_IN_SA_EAST_1
    warning = f"instance.types: {NOT_IN_SA_EAST_1} not offered in sa-east-1: dropped, using t3.micro"
    (result,) = world.status().last_run.regions  # type: ignore[union-attr]
    assert result.warnings == [warning]
    assert world.status().regions["sa-east-1"].warnings == [warning]
    assert_noop(world, "again")  # the group's record says what was dropped: no offerings read
    assert sorted(c.operation for c in world.calls if c.region == "sa-east-1") == sorted(NOOP_READS)  # 7 reads
    assert world.status().regions["sa-east-1"].warnings == [warning]  # still shown for the unchanged region


def test_a_region_offering_none_of_the_types_fails_alone_naming_instance_types(world: WorkflowWorld) -> None:
    world.put_config(
        **fleet(
            regions=[HOME, "sa-east-1"],
            instance={"type": NOT_IN_SA_EAST_1, "market": "spot", "types": ["c8id.xlarge"]},
        )
    )
    run = world.run("none")
    assert (run.status, run.error) == ("FAILED", "RunFailed")
    assert world.asg(HOME) is not None and world.asg("sa-east-1") is None
    assert [op for region, op in world.mutating_calls() if region == "sa-east-1"] == []
    failed = {r.region: r for r in world.status().last_run.regions if r.status == "failed"}  # type: ignore[union-attr]
    assert failed["sa-east-1"].error_code == "InstanceTypesNotOffered"
    assert failed["sa-east-1"].error_message == (
        f"instance.types: none of {NOT_IN_SA_EAST_1}, c8id.xlarge is offered in sa-east-1: "
        "add a type offered there to instance.types or drop the region"
    )


def test_a_type_of_another_architecture_fails_the_run_in_plan_naming_instance_types(world: WorkflowWorld) -> None:
    world.put_config(**fleet(instance={"market": "spot", "types": ["t4g.micro"]}))
    run = world.run("arch")
    assert (run.status, run.error) == ("FAILED", "ConfigInvalid")
    assert "instance.types: 't4g.micro' runs arm64, not instance.architecture 'x86_64'" in (run.cause or "")
    assert world.asg(HOME) is None
