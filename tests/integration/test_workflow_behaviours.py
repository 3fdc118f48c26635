"""SPEC §9 behaviours through the real ASL and handlers, with the emulator modelling AWS where moto does not.

Eventual consistency after creates, launches failing after the group accepted capacity (`degraded`),
Local Zones, regions not enabled (`skipped`), the scheduled-action margin at apply time, and
idempotency tokens per intended resource.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from p2p_core.config.rfc3339 import format_time
from p2p_core.regions import commercial_regions, is_opt_in
from p2p_emulator import shims
from p2p_emulator.seed import seed_ami_parameters
from p2p_emulator.shims import clock
from p2p_emulator.world import WorkflowWorld
from tests.integration.reconciler_fixtures import ONE_FLEET
from tests.integration.reliability_world import FRESH_REGION_MUTATIONS, counts, managed_resources, region_result
from tests.integration.test_workflow import RUNNING, mutations_outside_own_table

SHORT = "sa-east-1"
TWO = ["eu-central-1", SHORT]


def config(**fields: Any) -> dict[str, Any]:
    return {**RUNNING, "regions": TWO, **fields}


# --- eventual consistency -------------------------------------------------------------------------------


def test_new_resources_answering_not_found_at_first_are_retried_and_the_region_succeeds_in_the_same_run(
    world: WorkflowWorld,
) -> None:
    """Injected: every VPC, gateway, subnet, route table, security group and launch template the run
    creates answers NotFound (Auto Scaling: "does not exist") to its first two uses.
    Checked: one run builds the region completely, each resource once; the refusals really happened."""
    shims.eventual_consistency(uses=2)
    world.put_config(**config(regions=[SHORT]))
    run = world.run("propagating")
    assert run.status == "SUCCEEDED", run.cause
    assert region_result(world, SHORT).status == "ok"
    assert counts(managed_resources(world, SHORT)) == ONE_FLEET
    assert len([op for region, op in mutations_outside_own_table(world) if region == SHORT]) == FRESH_REGION_MUTATIONS
    refused = {code for region, _, code in world.refused if region == SHORT}
    assert refused == {
        "InvalidVpcID.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidGroup.NotFound",
        "ValidationError",  # Auto Scaling: the launch template "does not exist"
    }


# --- launches failing after the group accepted the capacity -----------------------------------------------


def degraded_metric(out: str) -> list[float]:
    """DegradedRegions values in the EMF lines the handlers printed."""
    values = []
    for line in out.splitlines():
        if '"DegradedRegions"' in line and '"_aws"' in line:
            value = json.loads(line)["DegradedRegions"]
            values += value if isinstance(value, list) else [value]
    return values


def test_launches_that_fail_after_the_group_accepted_capacity_end_degraded_with_aws_reason(
    world: WorkflowWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    """Injected: launches in sa-east-1 fail with InsufficientInstanceCapacity (the group accepts desired 2).
    Checked: the run succeeds (not the control plane's error) but says `degraded`, with AWS's reason from
    the scaling activities, and the DegradedRegions metric counts it; the next run still finds the
    group short (Plan) and reports it again without changing anything; once launches succeed the group
    catches up and the run after is a no-op."""
    world.put_config(**config())
    shims.fail_launches(SHORT, "InsufficientInstanceCapacity")
    capsys.readouterr()
    run = world.run("degraded")
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["status"] == "degraded"  # type: ignore[index]
    assert degraded_metric(capsys.readouterr().out) == [1]
    short = region_result(world, SHORT)
    assert (short.status, short.error_code) == ("degraded", "LaunchFailed")
    assert (short.error_message or "").startswith(
        "instances below desired (0/2): We currently do not have sufficient t3.micro capacity"
    )
    assert region_result(world, "eu-central-1").status == "ok"
    assert world.status().managed_regions == TWO

    again = world.run("still-short")
    assert again.status == "SUCCEEDED", again.cause
    assert [(r.region, r.status) for r in world.status().last_run.regions] == [(SHORT, "degraded")]  # type: ignore[union-attr]
    assert mutations_outside_own_table(world) == []

    shims.clear_launch_failures()
    healed = world.run("launches-work")
    assert healed.status == "SUCCEEDED" and healed.output["status"] == "noop"  # type: ignore[index]
    assert len(world.asg(SHORT)["Instances"]) == 2  # type: ignore[index]


def test_a_new_template_version_with_user_data_then_more_capacity_reaches_the_new_count(world: WorkflowWorld) -> None:
    """As a new user did against `p2pctl local`: change agent.delay (a new launch template version), then
    raise desired_capacity from 1 to 3. Before the fix moto crashed (HTTP 500), the run failed with one
    instance, and the next run saw desired 3 and said ok."""
    world.put_config(**config(regions=["eu-central-1"], desired_capacity=1))
    assert world.run("one").status == "SUCCEEDED"
    world.put_config(**config(regions=["eu-central-1"], desired_capacity=1, agent={"delay": 30}))
    assert world.run("delay").status == "SUCCEEDED"
    world.put_config(**config(regions=["eu-central-1"], desired_capacity=3, agent={"delay": 30}))
    run = world.run("three")
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["status"] == "ok"  # type: ignore[index]
    group = world.asg("eu-central-1")
    assert group is not None and group["LaunchTemplate"]["Version"] == "2"
    assert len(group["Instances"]) == group["DesiredCapacity"] == 3


# --- Local Zones ----------------------------------------------------------------------------------------------


def test_subnets_never_go_to_a_local_zone_that_offers_the_instance_type(world: WorkflowWorld) -> None:
    """us-east-1 has the Local Zone us-east-1-bos-1a (offering t3.micro, and sorting first)."""
    world.put_config(**config(regions=["us-east-1"], network={"az_number": 6}))
    assert world.run("zones").status == "SUCCEEDED"
    ec2 = world.clients.client("ec2", "us-east-1")
    subnets = ec2.describe_subnets(SubnetIds=managed_resources(world, "us-east-1")["subnet"])["Subnets"]
    zones = sorted(s["AvailabilityZone"] for s in subnets)
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"]  # every AZ offering t3.micro


# --- regions not enabled in the account ----------------------------------------------------------------------


def test_a_region_not_enabled_is_skipped_never_managed_and_dropping_it_is_a_no_op(world: WorkflowWorld) -> None:
    shims.disable_regions(["ap-east-1"])
    world.put_config(**config(regions=["eu-central-1", "ap-east-1"]))
    run = world.run("opt-in")
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["status"] == "ok"  # type: ignore[index]
    skipped = region_result(world, "ap-east-1")
    assert (skipped.status, skipped.error_message) == ("skipped", "not enabled in this account")
    assert world.status().managed_regions == ["eu-central-1"]
    assert "ap-east-1" not in {c.region for c in world.calls} | {region for region, _, _ in world.refused}

    world.put_config(**config(regions=["eu-central-1"]))
    dropped = world.run("dropped")
    assert dropped.states_entered == ["Plan", "NothingToDo", "Finalize"]
    assert mutations_outside_own_table(world) == []
    assert world.status().last_run.status == "noop"  # type: ignore[union-attr]


def test_all_regions_with_the_seventeen_opt_in_regions_disabled_is_a_succeeded_run(world: WorkflowWorld) -> None:
    """`regions: "all"` in an account as AWS creates it: the 17 opt-in regions are not enabled."""
    enabled = [r for r in commercial_regions() if not is_opt_in(r)]
    shims.disable_regions(["opt-in"])
    shims.complete_instance_type_offerings(enabled)
    for region in enabled:
        seed_ami_parameters(world.clients, region, dict(shims.UBUNTU_IMAGES))
    world.put_config(**config(regions="all", desired_capacity=1))
    run = world.run("all")
    assert run.status == "SUCCEEDED", run.cause
    last = world.status().last_run
    assert last is not None and last.status == "ok"
    by_status = {s: sorted(r.region for r in last.regions if r.status == s) for s in ("ok", "skipped")}
    assert by_status == {"ok": enabled, "skipped": sorted(set(commercial_regions()) - set(enabled))}
    assert world.status().managed_regions == enabled


# --- the scheduled-action margin at apply time --------------------------------------------------------------


def test_a_start_that_falls_inside_the_margin_while_the_run_is_under_way_is_applied_directly(
    world: WorkflowWorld,
) -> None:
    """Plan (at the execution's start) sees p2p-start 5 minutes away and plans the scheduled action; the
    account's clock moves to 30 s before it as the region's reconcile starts. Checked: the action is never
    sent (AWS would refuse it), the group runs at the start's capacity at once, and the run is ok."""
    start = clock.now().replace(microsecond=0) + timedelta(minutes=5)
    world.put_config(
        regions=["eu-central-1"], desired_capacity=2, start_time=format_time(start), start_offset="0 minutes"
    )

    def late_apply(function: str, event: dict[str, Any]) -> Exception | None:
        if function == "ReconcileRegionFunction":
            shims.advance_clock_to(start - timedelta(seconds=30))  # inside the 60 s margin, before the start
        return None

    shims.add_fault(late_apply)
    run = world.run("late")
    assert run.status == "SUCCEEDED", run.cause
    planned = [
        json.loads(e["stateEnteredEventDetails"]["input"])["region_plan"]
        for e in run.events
        if e["type"] == "TaskStateEntered" and e["stateEnteredEventDetails"]["name"] == "ReconcileRegion"
    ]
    assert [a["name"] for a in planned[0]["put_actions"]] == ["p2p-start", "p2p-stop"]
    assert set(world.scheduled_actions("eu-central-1")) == {"p2p-stop"}  # moto would have kept a late p2p-start
    assert world.asg("eu-central-1")["DesiredCapacity"] == 2  # type: ignore[index]
    assert region_result(world, "eu-central-1").status == "ok"


# --- idempotency tokens per intended resource ------------------------------------------------------------------


def test_a_region_decommissioned_and_added_back_is_built_again(world: WorkflowWorld) -> None:
    """Same config, new VPC and security group: a token derived from the settings alone would make EC2
    answer IdempotentParameterMismatch (the emulator models ClientToken as AWS does)."""
    world.put_config(**config())
    assert world.run("both").status == "SUCCEEDED"
    world.put_config(**config(regions=["eu-central-1"]))
    assert world.run("without").status == "SUCCEEDED"
    assert counts(managed_resources(world, SHORT)) == dict.fromkeys(ONE_FLEET, 0)
    world.put_config(**config())
    back = world.run("back")
    assert back.status == "SUCCEEDED", back.cause
    assert counts(managed_resources(world, SHORT)) == ONE_FLEET


def test_edits_a_b_a_b_each_make_a_new_template_version_the_group_follows(world: WorkflowWorld) -> None:
    """A token derived from the settings alone would hand back version 2 for the second B (same
    parameters): the group would stay on it while $Latest says A, for ever."""
    delays, described = [60, 61, 60, 61], []
    for version, delay in enumerate(delays, start=1):
        world.put_config(**config(regions=["eu-central-1"], agent={"delay": delay}))
        run = world.run(f"delay-{delay}")
        assert run.status == "SUCCEEDED", run.cause
        group = world.asg("eu-central-1")
        assert group is not None and group["LaunchTemplate"]["Version"] == str(version), (version, delay)
        ec2 = world.clients.client("ec2", "eu-central-1")
        latest = ec2.describe_launch_template_versions(
            LaunchTemplateId=group["LaunchTemplate"]["LaunchTemplateId"], Versions=["$Latest"]
        )["LaunchTemplateVersions"][0]
        assert latest["VersionNumber"] == version
        described.append(latest["VersionDescription"])  # the digest of the content the version holds
    assert described[0] == described[2] != described[1] == described[3]
