"""The planner, read like SPEC §3: capacity grammar, region selection, whole-run decisions and refreshes
(the time model: test_planner_window.py)."""

from __future__ import annotations

from typing import Any

from p2p_core.config import parse_config
from p2p_core.models.observed import (
    Observed,
    ObservedRegion,
    ObserveError,
)
from p2p_core.models.plan import Plan

from .planner_world import NOW, converged, desired, item, plan, region, running

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


def test_dash_at_top_level_leaves_capacity_alone() -> None:
    observed = Observed(regions={"eu-central-1": running("eu-central-1", 7)})
    step = region(plan(parse_config(item(desired_capacity="-")), observed, NOW), "eu-central-1")
    assert step.capacity is None and not step.put_actions and not step.delete_actions and not step.changes


def test_dash_at_all_level_leaves_capacity_alone() -> None:
    observed = Observed(regions={"eu-central-1": running("eu-central-1", 7)})
    assert not region(plan(parse_config(item(desired_capacity={"all": "-"})), observed, NOW), "eu-central-1").changes


def test_dash_at_aws_all_overrides_a_number_in_all() -> None:
    observed = Observed(regions={"eu-central-1": running("eu-central-1", 7)})
    raw = item(desired_capacity={"all": 3, "aws": {"all": "-"}})
    assert desired(plan(parse_config(raw), observed, NOW), "eu-central-1") is None


def test_dash_at_region_level_overrides_aws_all() -> None:
    regions = {r: running(r, 7) for r in ("eu-central-1", "eu-west-1")}
    raw = item(regions=list(regions), desired_capacity={"aws": {"all": 2, "eu-west-1": "-"}})
    p = plan(parse_config(raw), Observed(regions=regions), NOW)
    assert desired(p, "eu-central-1") == 2 and desired(p, "eu-west-1") is None


def test_dash_on_a_new_region_still_creates_it_with_zero_instances() -> None:
    step = region(plan(parse_config(item(desired_capacity="-")), Observed(), NOW), "eu-central-1")
    assert step.ensure_infrastructure and step.capacity is None
    assert step.initial_capacity.desired_capacity == 0


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
