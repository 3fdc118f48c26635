"""Template changes reach running agents: an instance refresh, through the real ASL and handlers (issue 12 §4).

The emulator supplies Auto Scaling's instance refreshes (moto has none): by default every batch is
done when the region is next described; these tests mostly set the pace to "only when told"
(`shims.advance_refreshes`) to look at a refresh while it runs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from p2p_core.models.results import RegionResult
from p2p_emulator import shims
from p2p_emulator.world import HOME, WorkflowWorld
from tests.integration.test_workflow import mutations_outside_own_table

RUNS = ("Pending", "InProgress")  # a refresh AWS is working on
RUNNING = {"regions": [HOME], "desired_capacity": 3, "start_time": "2020-01-01T00:00:00Z", "run_duration": None}


def fleet(**fields: Any) -> dict[str, Any]:
    return {**RUNNING, **fields}


def versions(world: WorkflowWorld) -> Counter[str]:
    """Live instances of the region's group per launch template version."""
    group = world.asg(HOME)
    assert group is not None
    return Counter(i["LaunchTemplate"]["Version"] for i in group["Instances"])


def refreshes(world: WorkflowWorld) -> list[dict[str, Any]]:
    """The group's instance refreshes, newest first, as AWS lists them."""
    autoscaling = world.clients.client("autoscaling", HOME)
    group = world.asg(HOME)
    assert group is not None
    found: list[dict[str, Any]] = autoscaling.describe_instance_refreshes(
        AutoScalingGroupName=group["AutoScalingGroupName"]
    )["InstanceRefreshes"]
    return found


def region_result(world: WorkflowWorld) -> RegionResult:
    last = world.status().last_run
    assert last is not None
    (found,) = [r for r in last.regions if r.region == HOME]
    return found


def running_fleet(world: WorkflowWorld, **fields: Any) -> None:
    """Three agents running on launch template version 1."""
    world.put_config(**fleet(**fields))
    run = world.run("fleet")
    assert run.status == "SUCCEEDED", run.cause
    assert versions(world) == {"1": 3}


def test_a_user_data_change_rolls_every_running_agent_onto_the_new_version(world: WorkflowWorld) -> None:
    running_fleet(world)
    shims.refresh_pace(None)
    world.put_config(**fleet(agent={"delay": 30}))  # new user data: launch template version 2
    run = world.run("delay")
    assert run.status == "SUCCEEDED", run.cause
    result = region_result(world)
    assert result.status == "ok"
    (started_action,) = [a for a in result.actions if a.startswith("started instance refresh ")]
    assert "3 instance(s) to template version 2, 90% kept in service" in started_action
    assert result.refresh is not None
    assert (result.refresh.status, result.refresh.template_version, result.refresh.instances_to_update) == (
        "Pending",
        "2",
        3,
    )
    (started,) = refreshes(world)
    assert started["Preferences"] == {"MinHealthyPercentage": 90, "SkipMatching": True}
    assert started["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "2"
    assert versions(world) == {"1": 3}  # not yet: AWS replaces them in the background

    shims.advance_refreshes(HOME)  # 90 % of 3 kept in service: one at a time
    progress = world.run("progress")
    assert progress.status == "SUCCEEDED", progress.cause
    during = region_result(world)
    assert during.refresh is not None and during.refresh.status == "InProgress"
    assert (during.refresh.percentage_complete, during.refresh.instances_to_update) == (33, 2)
    assert during.actions == [] and mutations_outside_own_table(world) == []  # reported, never started twice
    assert len(refreshes(world)) == 1

    shims.advance_refreshes(HOME, batches=2)
    assert versions(world) == {"2": 3}
    assert refreshes(world)[0]["Status"] == "Successful"
    after = world.run("after")
    assert after.status == "SUCCEEDED" and after.output["status"] == "noop", after.output  # type: ignore[index]
    assert after.transitions == 3


def test_a_newer_config_supersedes_the_refresh_still_rolling_out_the_older_one(world: WorkflowWorld) -> None:
    running_fleet(world)
    shims.refresh_pace(None)
    world.put_config(**fleet(agent={"delay": 30}))
    assert world.run("v2").status == "SUCCEEDED"
    shims.advance_refreshes(HOME)  # one agent already on version 2
    assert versions(world) == {"1": 2, "2": 1}

    world.put_config(**fleet(agent={"delay": 45}))  # version 3 while version 2 still rolls out
    run = world.run("v3")
    assert run.status == "SUCCEEDED", run.cause
    result = region_result(world)
    first, second = refreshes(world)[1], refreshes(world)[0]
    assert first["Status"] == "Cancelled" and first["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "2"
    assert second["Status"] in RUNS and second["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "3"
    assert [a.split(":")[0] for a in result.actions if "instance refresh" in a] == [
        f"cancelled instance refresh {first['InstanceRefreshId']} (template version 2)",
        f"started instance refresh {second['InstanceRefreshId']}",
    ]
    assert result.refresh is not None and result.refresh.template_version == "3"
    assert result.refresh.instances_to_update == 3  # the one on version 2 is replaced as well
    mutations = [op for _, op in mutations_outside_own_table(world)]
    # cancelled before the group moved on (AWS refuses a new template while a refresh with one runs)
    assert mutations.index("CancelInstanceRefresh") < mutations.index("UpdateAutoScalingGroup")
    assert mutations.index("UpdateAutoScalingGroup") < mutations.index("StartInstanceRefresh")
    assert world.asg(HOME)["LaunchTemplate"]["Version"] == "3"  # type: ignore[index]

    shims.advance_refreshes(HOME, batches=3)
    assert versions(world) == {"3": 3}
    assert not any(r["Status"] in RUNS for r in refreshes(world))


def test_a_refresh_of_no_desired_configuration_on_a_group_already_following_the_version_is_superseded(
    world: WorkflowWorld,
) -> None:
    """The group already follows version 2 (the update needs no cancel), yet a refresh started by hand, with no
    desired configuration, is active: the run cancels it and starts its own for version 2."""
    off = {"refresh": {"enabled": False}}
    running_fleet(world, instance=off)
    world.put_config(**fleet(instance=off, agent={"delay": 30}))
    assert world.run("v2-off").status == "SUCCEEDED"
    assert world.asg(HOME)["LaunchTemplate"]["Version"] == "2" and versions(world) == {"1": 3}  # type: ignore[index]
    shims.refresh_pace(None)
    autoscaling = world.clients.client("autoscaling", HOME)
    name = world.asg(HOME)["AutoScalingGroupName"]  # type: ignore[index]
    by_hand = autoscaling.start_instance_refresh(AutoScalingGroupName=name, Strategy="Rolling")["InstanceRefreshId"]

    world.put_config(**fleet(agent={"delay": 30}))  # refresh enabled again: the same template version 2
    run = world.run("enabled")
    assert run.status == "SUCCEEDED", run.cause
    ours, theirs = refreshes(world)[0], refreshes(world)[1]
    assert (theirs["InstanceRefreshId"], theirs["Status"]) == (by_hand, "Cancelled")
    assert ours["Status"] in RUNS and ours["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "2"
    result = region_result(world)
    assert [a.split(":")[0] for a in result.actions if "instance refresh" in a] == [
        f"cancelled instance refresh {by_hand} (no desired configuration)",
        f"started instance refresh {ours['InstanceRefreshId']}",
    ]
    assert "UpdateAutoScalingGroup" not in [op for _, op in mutations_outside_own_table(world)]  # already on v2


def test_with_refresh_disabled_running_agents_stay_on_their_version(world: WorkflowWorld) -> None:
    off = {"refresh": {"enabled": False}}
    running_fleet(world, instance=off)
    world.put_config(**fleet(instance=off, agent={"delay": 30}))
    run = world.run("delay")
    assert run.status == "SUCCEEDED", run.cause
    assert world.asg(HOME)["LaunchTemplate"]["Version"] == "2"  # type: ignore[index]  # new launches use it
    assert refreshes(world) == [] and versions(world) == {"1": 3}
    assert region_result(world).refresh is None
    again = world.run("again")
    assert again.output["status"] == "noop", again.output  # type: ignore[index]  # not drift while disabled


def test_a_refresh_that_failed_is_started_again_by_the_next_run(world: WorkflowWorld) -> None:
    running_fleet(world)
    shims.refresh_pace(None)
    world.put_config(**fleet(agent={"delay": 30}))
    assert world.run("delay").status == "SUCCEEDED"
    shims.fail_launches(HOME)
    shims.advance_refreshes(HOME)
    assert refreshes(world)[0]["Status"] == "Failed"
    shims.clear_launch_failures()

    plan_reasons = world.run("retry")
    assert plan_reasons.status == "SUCCEEDED", plan_reasons.cause
    result = region_result(world)
    started = [a for a in result.actions if a.startswith("started instance refresh")]
    assert len(started) == 1 and "the last one Failed: Launching replacement instances failed" in started[0]
    assert [r["Status"] in RUNS for r in refreshes(world)] == [True, False]
    shims.advance_refreshes(HOME, batches=3)
    assert versions(world) == {"2": 3}


def test_at_the_default_pace_the_next_run_after_a_change_finds_every_agent_updated(world: WorkflowWorld) -> None:
    running_fleet(world)
    world.put_config(**fleet(instance={"type": "t3.small"}))
    changed = world.run("type")
    assert changed.status == "SUCCEEDED", changed.cause
    after = world.run("after")
    assert after.output["status"] == "noop", after.output  # type: ignore[index]
    assert versions(world) == {"2": 3}
    group = world.asg(HOME)
    types = {i["InstanceType"] for i in group["Instances"]}  # type: ignore[index]
    assert types == {"t3.small"}
