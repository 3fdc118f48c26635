"""The planner, read like SPEC §3: capacity grammar, the time model and region selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from p2p_core import planner
from p2p_core.config import parse_config
from p2p_core.models.observed import (
    CapacityTarget,
    Observed,
    ObservedRegion,
    ObserveError,
    ScheduledAction,
    WindowAnchor,
)
from p2p_core.models.plan import Plan, RegionPlan

from .planner_world import BUILD, apply_plan, healthy_region

plan = partial(planner.plan, build=BUILD)

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
PAST = "2026-11-20T12:00:00Z"


def at(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def item(**fields: Any) -> dict[str, Any]:
    """A config that started in the past and runs until changed, unless the test says otherwise."""
    return {"start_time": PAST, "start_offset": "0 minutes", "run_duration": None, **fields}


def region(plan_: Plan, name: str) -> RegionPlan:
    return next(r for r in plan_.regions if r.region == name)


def desired(plan_: Plan, name: str) -> int | None:
    step = region(plan_, name)
    return step.capacity.desired_capacity if step.capacity else None


def converged(raw: dict[str, Any], now: datetime = NOW) -> tuple[Observed, Plan]:
    """Observed after one perfect run, and the plan of the next run at the same moment."""
    config = parse_config(raw)
    after = apply_plan(Observed(), plan(config, Observed(), now), config)
    return after, plan(config, after, now)


# --- capacity grammar ---------------------------------------------------------------------------


def test_capacity_as_a_number_applies_to_every_selected_region() -> None:
    p = plan(parse_config(item(regions=["eu-west-1", "us-east-1"], desired_capacity=3)), Observed(), NOW)
    assert desired(p, "eu-west-1") == 3 and desired(p, "us-east-1") == 3


def test_capacity_map_precedence_region_over_aws_all_over_all() -> None:
    raw = item(
        regions=["eu-central-1", "eu-west-1", "us-east-1"],
        desired_capacity={"all": 3, "aws": {"all": 2, "eu-central-1": 1}},
    )
    p = plan(parse_config(raw), Observed(), NOW)
    assert (desired(p, "eu-central-1"), desired(p, "eu-west-1"), desired(p, "us-east-1")) == (1, 2, 2)


def test_capacity_all_applies_when_aws_has_no_entry() -> None:
    p = plan(parse_config(item(regions=["eu-west-1"], desired_capacity={"all": 4, "gcp": {"all": 9}})), Observed(), NOW)
    assert desired(p, "eu-west-1") == 4


def test_region_without_any_matching_key_gets_the_default_of_one() -> None:
    p = plan(parse_config(item(regions=["eu-west-1"], desired_capacity={"aws": {"us-east-1": 5}})), Observed(), NOW)
    assert desired(p, "eu-west-1") == 1


def test_keys_of_other_clouds_are_kept_and_ignored() -> None:
    config = parse_config(item(desired_capacity={"gcp": {"all": 5}, "aws": {"all": 2}}))
    assert config.to_item()["desired_capacity"] == {"gcp": {"all": 5}, "aws": {"all": 2}}
    assert desired(plan(config, Observed(), NOW), "eu-central-1") == 2


def _running(region_name: str, count: int) -> ObservedRegion:
    return healthy_region(
        parse_config(item()), region_name, CapacityTarget(min_size=0, max_size=30, desired_capacity=count)
    )


def test_dash_at_top_level_leaves_capacity_alone() -> None:
    observed = Observed(regions={"eu-central-1": _running("eu-central-1", 7)})
    step = region(plan(parse_config(item(desired_capacity="-")), observed, NOW), "eu-central-1")
    assert step.capacity is None and not step.put_actions and not step.delete_actions and not step.changes


def test_dash_at_all_level_leaves_capacity_alone() -> None:
    observed = Observed(regions={"eu-central-1": _running("eu-central-1", 7)})
    assert not region(plan(parse_config(item(desired_capacity={"all": "-"})), observed, NOW), "eu-central-1").changes


def test_dash_at_aws_all_overrides_a_number_in_all() -> None:
    observed = Observed(regions={"eu-central-1": _running("eu-central-1", 7)})
    raw = item(desired_capacity={"all": 3, "aws": {"all": "-"}})
    assert desired(plan(parse_config(raw), observed, NOW), "eu-central-1") is None


def test_dash_at_region_level_overrides_aws_all() -> None:
    regions = {r: _running(r, 7) for r in ("eu-central-1", "eu-west-1")}
    raw = item(regions=list(regions), desired_capacity={"aws": {"all": 2, "eu-west-1": "-"}})
    p = plan(parse_config(raw), Observed(regions=regions), NOW)
    assert desired(p, "eu-central-1") == 2 and desired(p, "eu-west-1") is None


def test_dash_on_a_new_region_still_creates_it_with_zero_instances() -> None:
    step = region(plan(parse_config(item(desired_capacity="-")), Observed(), NOW), "eu-central-1")
    assert step.ensure_infrastructure and step.capacity is None
    assert step.initial_capacity.desired_capacity == 0


# --- time model ---------------------------------------------------------------------------------


def test_start_in_the_future_holds_zero_and_schedules_p2p_start_with_the_count() -> None:
    start = NOW + timedelta(hours=2)
    p = plan(parse_config(item(start_time=at(timedelta(hours=2)), desired_capacity=3)), Observed(), NOW)
    step = region(p, "eu-central-1")
    assert step.capacity == CapacityTarget(min_size=0, max_size=30, desired_capacity=0)
    assert [(a.name, a.start_time, a.capacity.desired_capacity) for a in step.put_actions] == [("p2p-start", start, 3)]


def test_start_in_the_past_sets_desired_directly_without_scheduled_actions() -> None:
    step = region(plan(parse_config(item(desired_capacity=3)), Observed(), NOW), "eu-central-1")
    assert step.capacity is not None and step.capacity.desired_capacity == 3
    assert step.put_actions == []


def test_start_now_with_offset_starts_offset_after_the_recorded_anchor() -> None:
    config = parse_config({"start_time": "now", "start_offset": "15 minutes", "run_duration": None})
    recorded = WindowAnchor(digest=config.window_digest(), since=NOW - timedelta(minutes=5))
    p = plan(config, Observed(window_anchor=recorded), NOW)
    assert p.start == NOW + timedelta(minutes=10)
    assert [a.name for a in region(p, "eu-central-1").put_actions] == ["p2p-start"]


def test_start_now_ignores_updated_at() -> None:
    raw = {"start_time": "now", "start_offset": "15 minutes", "updated_at": at(timedelta(hours=-1))}
    assert plan(parse_config(raw), Observed(), NOW).anchor == NOW


def test_start_now_never_seen_before_anchors_at_this_run() -> None:
    p = plan(parse_config({"start_time": "now"}), Observed(), NOW)
    assert p.anchor == NOW and p.start == NOW + timedelta(minutes=15)


def test_stop_time_in_the_future_schedules_p2p_stop_at_zero() -> None:
    stop = NOW + timedelta(days=1)
    step = region(plan(parse_config(item(stop_time=at(timedelta(days=1)))), Observed(), NOW), "eu-central-1")
    assert [(a.name, a.start_time, a.capacity.desired_capacity, a.capacity.min_size) for a in step.put_actions] == [
        ("p2p-stop", stop, 0, 0)
    ]


def test_run_duration_stops_that_long_after_the_effective_start() -> None:
    raw = item(start_time=at(timedelta(hours=-1)), start_offset="30 minutes", run_duration="2 hours")
    p = plan(parse_config(raw), Observed(), NOW)
    assert p.stop == NOW + timedelta(hours=1, minutes=30)
    assert [a.name for a in region(p, "eu-central-1").put_actions] == ["p2p-stop"]


def test_stop_time_in_the_past_scales_to_zero_and_removes_schedules() -> None:
    old = ScheduledAction(
        name="p2p-stop",
        start_time=NOW + timedelta(days=3),
        capacity=CapacityTarget(min_size=0, max_size=30, desired_capacity=0),
    )
    seen = _running("eu-central-1", 5)
    assert seen.asg is not None
    seen = seen.model_copy(update={"asg": seen.asg.model_copy(update={"scheduled_actions": [old]})})
    raw = item(start_time="2026-11-01T00:00:00Z", stop_time=at(timedelta(hours=-1)))
    step = region(plan(parse_config(raw), Observed(regions={"eu-central-1": seen}), NOW), "eu-central-1")
    assert step.capacity == CapacityTarget(min_size=0, max_size=30, desired_capacity=0)
    assert step.put_actions == [] and step.delete_actions == ["p2p-stop"]


def test_start_and_stop_both_in_the_future_schedule_both_actions() -> None:
    raw = item(start_time=at(timedelta(hours=1)), run_duration="3 hours", desired_capacity=2)
    step = region(plan(parse_config(raw), Observed(), NOW), "eu-central-1")
    assert [(a.name, a.start_time - NOW) for a in step.put_actions] == [
        ("p2p-start", timedelta(hours=1)),
        ("p2p-stop", timedelta(hours=4)),
    ]
    assert step.capacity is not None and step.capacity.desired_capacity == 0


def test_start_within_sixty_seconds_is_applied_directly_not_scheduled() -> None:
    step = region(plan(parse_config(item(start_time=at(timedelta(seconds=45)))), Observed(), NOW), "eu-central-1")
    assert step.put_actions == [] and step.capacity is not None and step.capacity.desired_capacity == 1


def test_window_shorter_than_sixty_seconds_is_treated_as_over() -> None:
    raw = item(start_time=at(timedelta(seconds=20)), run_duration="30 seconds")
    step = region(plan(parse_config(raw), Observed(), NOW), "eu-central-1")
    assert step.put_actions == [] and step.capacity is not None and step.capacity.desired_capacity == 0


def test_no_scheduled_action_is_ever_planned_in_the_past_or_within_sixty_seconds() -> None:
    for seconds in range(-120, 180, 7):
        raw = item(start_time=at(timedelta(seconds=seconds)), run_duration=f"{abs(seconds) + 30} seconds")
        for action in region(plan(parse_config(raw), Observed(), NOW), "eu-central-1").put_actions:
            assert action.start_time > NOW + timedelta(seconds=60)


def test_scheduled_start_at_the_same_time_is_not_sent_again() -> None:
    raw = item(start_time=at(timedelta(hours=2)))
    _, again = converged(raw)
    assert not region(again, "eu-central-1").changes and again.nothing_to_do


def test_moving_the_start_time_replaces_the_scheduled_start() -> None:
    observed, _ = converged(item(start_time=at(timedelta(hours=2))))
    p = plan(parse_config(item(start_time=at(timedelta(hours=3)))), observed, NOW)
    step = region(p, "eu-central-1")
    assert [a.start_time - NOW for a in step.put_actions] == [timedelta(hours=3)]
    assert step.capacity is None and step.delete_actions == []


def test_reaching_the_start_time_after_aws_ran_the_action_needs_nothing() -> None:
    raw = item(start_time=at(timedelta(hours=2)), desired_capacity=4)
    observed, _ = converged(raw)
    # AWS runs p2p-start at S: desired becomes 4 and the one-time action is gone
    seen = observed.region("eu-central-1")
    assert seen.asg is not None
    ran_asg = seen.asg.model_copy(
        update={"capacity": CapacityTarget(min_size=0, max_size=30, desired_capacity=4), "scheduled_actions": []}
    )
    ran = seen.model_copy(update={"asg": ran_asg})
    later = plan(
        parse_config(raw), observed.model_copy(update={"regions": {"eu-central-1": ran}}), NOW + timedelta(hours=3)
    )
    assert later.nothing_to_do


# --- regions ------------------------------------------------------------------------------------


def test_all_regions_minus_excluded() -> None:
    config = parse_config(item(regions="all", exclude_regions=["us-east-1", "af-south-1"]))
    chosen = config.selected_regions()
    assert len(chosen) == 32 and "us-east-1" not in chosen and "eu-central-1" in chosen


def test_region_removed_from_the_selection_is_decommissioned() -> None:
    observed, _ = converged(item(regions=["eu-central-1", "eu-west-1"]))
    p = plan(parse_config(item(regions=["eu-central-1"])), observed, NOW)
    assert [(r.region, r.decommission) for r in p.drifted] == [("eu-west-1", True)]


def test_region_already_gone_needs_no_decommission() -> None:
    observed = Observed(managed_regions=["eu-west-1"], regions={"eu-west-1": ObservedRegion(region="eu-west-1")})
    p = plan(parse_config(item(regions=["eu-central-1"])), observed, NOW)
    assert [r.region for r in p.regions if r.decommission] == []


def test_managed_region_not_observed_is_decommissioned_to_be_safe() -> None:
    p = plan(parse_config(item()), Observed(managed_regions=["eu-west-1"]), NOW)
    assert region(p, "eu-west-1").decommission


def test_changed_instance_settings_ask_for_infrastructure_update() -> None:
    observed, _ = converged(item())
    p = plan(parse_config(item(instance={"type": "t3.small"})), observed, NOW)
    step = region(p, "eu-central-1")
    assert step.ensure_infrastructure and step.capacity is None


def test_region_that_failed_to_observe_is_reconciled_with_the_reason() -> None:
    observed = Observed(
        regions={
            "eu-central-1": ObservedRegion(
                region="eu-central-1", error=ObserveError(code="AccessDenied", message="not authorized")
            )
        }
    )
    step = region(plan(parse_config(item()), observed, NOW), "eu-central-1")
    assert step.changes and "observe failed: AccessDenied: not authorized" in step.reasons


# --- whole-run decisions ------------------------------------------------------------------------


def test_matching_world_is_a_no_op() -> None:
    _, again = converged(item(regions=["eu-central-1", "us-west-2"], desired_capacity=2))
    assert again.nothing_to_do and again.drifted == []


def test_schedule_expression_change_updates_the_schedule_only() -> None:
    observed, _ = converged(item())
    p = plan(parse_config(item(schedule_expression="1 hour")), observed, NOW)
    assert p.update_schedule and p.schedule_expression == "rate(1 hour)" and p.drifted == []


def test_control_center_code_is_compared_with_the_live_code() -> None:
    observed = Observed(control_center_code="old")
    config = parse_config(item())
    assert plan(config, observed, NOW, control_center_code="new").update_control_center
    assert not plan(config, observed, NOW, control_center_code="old").update_control_center
    assert not plan(config, observed, NOW).update_control_center


# --- regions the account has not enabled (opt-in) ---------------------------------------------------


def test_a_selected_region_not_enabled_is_skipped_not_planned() -> None:
    observed = Observed(enabled_regions=["eu-central-1"])
    p = plan(parse_config(item(regions=["eu-central-1", "ap-east-1"])), observed, NOW)
    assert [r.region for r in p.regions] == ["eu-central-1"] and p.skipped_regions == ["ap-east-1"]


def test_removing_a_region_not_enabled_from_the_config_is_a_no_op() -> None:
    observed, _ = converged(item(regions=["eu-central-1"]))
    disabled = observed.model_copy(update={"enabled_regions": ["eu-central-1"]})
    before = plan(parse_config(item(regions=["eu-central-1", "ap-east-1"])), disabled, NOW)
    after = plan(parse_config(item(regions=["eu-central-1"])), disabled, NOW)
    assert before.nothing_to_do and after.nothing_to_do and after.skipped_regions == []


def test_a_managed_region_no_longer_enabled_is_skipped_not_decommissioned() -> None:
    observed = Observed(managed_regions=["ap-east-1"], enabled_regions=["eu-central-1"])
    p = plan(parse_config(item(regions=["eu-central-1"])), observed, NOW)
    assert p.skipped_regions == ["ap-east-1"] and not any(r.decommission for r in p.regions)


def test_all_regions_with_the_opt_in_ones_disabled_plans_the_seventeen_others() -> None:
    from p2p_core.regions import commercial_regions, is_opt_in

    enabled = [r for r in commercial_regions() if not is_opt_in(r)]
    p = plan(parse_config(item(regions="all")), Observed(enabled_regions=enabled), NOW)
    assert len(p.regions) == len(p.skipped_regions) == 17
    assert all(is_opt_in(r) for r in p.skipped_regions)


# --- groups below their desired count ------------------------------------------------------------


def test_a_group_below_its_desired_count_sends_the_region_to_read_why() -> None:
    observed, _ = converged(item(desired_capacity=3))
    seen = observed.regions["eu-central-1"]
    assert seen.asg is not None
    short = seen.model_copy(update={"asg": seen.asg.model_copy(update={"instances": 1})})
    p = plan(
        parse_config(item(desired_capacity=3)), observed.model_copy(update={"regions": {"eu-central-1": short}}), NOW
    )
    step = region(p, "eu-central-1")
    assert step.check_launches and step.capacity is None and "instances below desired (1/3)" in step.reasons


def test_a_group_with_its_instances_is_a_no_op() -> None:
    observed, _ = converged(item(desired_capacity=3))
    seen = observed.regions["eu-central-1"]
    assert seen.asg is not None
    full = seen.model_copy(update={"asg": seen.asg.model_copy(update={"instances": 3})})
    p = plan(
        parse_config(item(desired_capacity=3)), observed.model_copy(update={"regions": {"eu-central-1": full}}), NOW
    )
    assert p.nothing_to_do


# --- instances on an older launch template version ------------------------------------------------------


def _with_instances(raw: dict[str, Any], group_version: str, versions: dict[str, int]) -> tuple[Observed, Plan]:
    """A converged region whose group launches `group_version` while its instances run `versions`."""
    observed, _ = converged(raw)
    seen = observed.regions["eu-central-1"]
    assert seen.asg is not None
    asg = seen.asg.model_copy(
        update={"template_version": group_version, "instance_versions": versions, "instances": sum(versions.values())}
    )
    assert seen.launch_template is not None  # the group's version is the template's default, as the reconciler sets it
    number = int(group_version)
    versions_read = [v.model_copy(update={"number": number}) for v in seen.launch_template.versions]
    template = seen.launch_template.model_copy(update={"default_version": number, "versions": versions_read})
    region_now = seen.model_copy(update={"asg": asg, "launch_template": template})
    after = observed.model_copy(update={"regions": {"eu-central-1": region_now}})
    return after, plan(parse_config(raw), after, NOW)


def test_instances_on_an_older_template_version_are_drift_that_a_refresh_repairs() -> None:
    _, p = _with_instances(item(desired_capacity=3), "3", {"2": 3})
    step = region(p, "eu-central-1")
    assert step.roll_instances and step.changes and not step.ensure_infrastructure and step.capacity is None
    assert step.reasons == ["3 instance(s) on launch template version 2, want 3: instance refresh"]


def test_instances_on_several_older_versions_are_named_in_version_order() -> None:
    _, p = _with_instances(item(desired_capacity=4), "12", {"9": 1, "10": 1, "12": 2})
    assert region(p, "eu-central-1").reasons == [
        "2 instance(s) on launch template versions 9, 10, want 12: instance refresh"
    ]


def test_instances_on_the_groups_version_need_no_refresh() -> None:
    _, p = _with_instances(item(desired_capacity=3), "3", {"3": 3})
    assert p.nothing_to_do


def test_with_refresh_disabled_instances_on_an_older_version_are_left_alone() -> None:
    _, p = _with_instances(item(desired_capacity=3, instance={"refresh": {"enabled": False}}), "3", {"2": 3})
    assert p.nothing_to_do


def test_a_group_going_to_zero_is_not_refreshed() -> None:
    raw = item(desired_capacity=3)
    observed, _ = _with_instances(raw, "3", {"2": 3})
    p = plan(parse_config({**raw, "desired_capacity": 0}), observed, NOW)
    step = region(p, "eu-central-1")
    assert not step.roll_instances and step.capacity is not None and step.capacity.desired_capacity == 0


def test_a_region_whose_capacity_is_left_alone_still_rolls_its_instances() -> None:
    raw = item(desired_capacity=3)
    observed, _ = _with_instances(raw, "3", {"2": 1, "3": 2})
    p = plan(parse_config({**raw, "desired_capacity": "-"}), observed, NOW)
    step = region(p, "eu-central-1")
    assert step.roll_instances
    assert step.reasons == ["1 instance(s) on launch template version 2, want 3: instance refresh"]
