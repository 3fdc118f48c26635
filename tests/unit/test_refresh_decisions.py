"""Instance refresh decisions (reconciler/refresh.py): never two at once, a newer version supersedes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from p2p_core.config.instance import RefreshSettings
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.errors import ReconcileError, is_retryable
from p2p_core.reconciler.refresh import Refresh, Rollout, decide, group_version, instance_versions


def refresh(version: str | None, status: str = "InProgress") -> Refresh:
    return Refresh(refresh_id="r-1", status=status, version=version)


DECISIONS = [
    # (enabled, outdated, desired, refresh running now) -> step
    ((True, 3, 3, None), "start"),
    ((True, 0, 3, None), "leave"),  # every instance already on the version
    ((False, 3, 3, None), "leave"),  # disabled: new launches only
    ((True, 3, 0, None), "leave"),  # the group goes to 0: nothing worth replacing
    ((True, 3, 3, refresh("3")), "report"),  # never two at once
    ((False, 3, 3, refresh("3")), "report"),  # a running refresh of this version is left to finish
    ((True, 3, 3, refresh("2")), "cancel_and_start"),  # a newer version supersedes
    ((True, 3, 3, refresh(None)), "cancel_and_start"),  # one started by hand, without a desired configuration
    ((False, 3, 3, refresh("2")), "cancel"),  # the group must move on; nothing new starts
    ((True, 0, 3, refresh("2")), "cancel"),
]


@pytest.mark.parametrize(("given", "step"), DECISIONS, ids=[f"{g[:3]}-{g[3] and g[3].version}" for g, _ in DECISIONS])
def test_what_a_group_following_version_3_needs(given: tuple[bool, int, int, Refresh | None], step: str) -> None:
    enabled, outdated, desired, active = given
    assert decide(enabled=enabled, outdated=outdated, desired=desired, version="3", active=active) == step


def group(*versions: str, state: str = "InService", version: str = "3") -> dict[str, Any]:
    instances = [
        {"InstanceId": f"i-{n}", "LifecycleState": state, "LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": v}}
        for n, v in enumerate(versions)
    ]
    template = {"LaunchTemplateId": "lt-1", "Version": version}
    return {"AutoScalingGroupName": "p2p-agents", "DesiredCapacity": len(versions), "LaunchTemplate": template} | {
        "Instances": instances
    }


def test_instances_are_counted_per_version_they_run_and_only_live_ones() -> None:
    assert instance_versions(group("2", "3", "2")) == {"2": 2, "3": 1}
    assert instance_versions(group("2", state="Terminating")) == {}
    assert group_version(group("2", version="7")) == "7"
    assert group_version({"AutoScalingGroupName": "x"}) is None


def test_a_refresh_reads_its_version_from_its_desired_configuration() -> None:
    raw = {
        "InstanceRefreshId": "r-9",
        "Status": "InProgress",
        "PercentageComplete": 33,
        "InstancesToUpdate": 2,
        "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "4"}},
    }
    found = Refresh.from_aws(raw)
    assert (found.version, found.active, found.percentage_complete, found.instances_to_update) == ("4", True, 33, 2)
    assert found.progress().summary == "instance refresh to template version 4: InProgress, 33% (2 to update)"
    assert Refresh.from_aws({"InstanceRefreshId": "r-8", "Status": "Successful"}).version is None
    assert not Refresh.from_aws({"InstanceRefreshId": "r-8", "Status": "Cancelled"}).active


def context(autoscaling: Any) -> RegionContext:
    return RegionContext(region="eu-central-1", stack="p2p", ec2=None, autoscaling=autoscaling, logs=None, ssm=None)


def described(status: str, version: str = "2") -> dict[str, Any]:
    entry = {
        "InstanceRefreshId": "r-1",
        "AutoScalingGroupName": "p2p-agents",
        "Status": status,
        "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": version}},
    }
    return {"InstanceRefreshes": [entry]}


def test_current_instances_cost_no_call_at_all() -> None:
    autoscaling = boto3.client("autoscaling", region_name="eu-central-1")
    with Stubber(autoscaling) as stub:  # any call would fail: none is expected
        Rollout(context(autoscaling), RefreshSettings()).roll(group("3", "3"), "3", None)
        stub.assert_no_pending_responses()


def test_a_refresh_still_cancelling_after_the_wait_fails_the_attempt_for_the_workflow_to_retry() -> None:
    autoscaling = boto3.client("autoscaling", region_name="eu-central-1")
    clock = iter([0.0, 10.0, 31.0])
    with Stubber(autoscaling) as stub:
        stub.add_response("describe_instance_refreshes", described("InProgress"))
        stub.add_response("cancel_instance_refresh", {"InstanceRefreshId": "r-1"})
        stub.add_response("describe_instance_refreshes", described("Cancelling"))
        stub.add_response("describe_instance_refreshes", described("Cancelling"))
        ctx = context(autoscaling)
        rollout = Rollout(ctx, RefreshSettings(), sleep=lambda _: None, clock=lambda: next(clock))
        with pytest.raises(ReconcileError) as caught:
            rollout.before_group_follows(group("2", "2", version="2"), "3")
    assert caught.value.code == "InstanceRefreshCancelling" and is_retryable(caught.value.code)
    assert "still cancelling; a later attempt moves the group to template version 3" in caught.value.message
    assert ctx.actions == ["cancelled instance refresh r-1 (template version 2): superseded by version 3"]
