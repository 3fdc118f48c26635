"""What a write does to a running fleet at the next run, announced before it is written (issue 22 §1, SPEC §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p2p_core.config import ConfigItem, parse_config
from p2p_core.config.rfc3339 import format_time
from p2p_core.models.deployment import Deployment
from p2p_core.models.observed import WindowAnchor
from p2p_core.wanted import build_inputs
from p2p_core.write_impact import WriteImpact, makes_new_template_version, write_impact

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
REGIONS = ["eu-central-1", "eu-west-1", "us-east-1"]
RUNNING_FLEET = {"regions": REGIONS, "desired_capacity": 2, "start_offset": "15 minutes"}
DEPLOYMENT = Deployment(stack_name="p2p", control_center_urls=["https://d1.cloudfront.net/" + "0" * 36])


def anchored(config: ConfigItem, hours_ago: float = 24) -> WindowAnchor:
    """The anchor of a window whose start fields took their values `hours_ago`."""
    return WindowAnchor(digest=config.window_digest(), since=NOW - timedelta(hours=hours_ago))


def impact(before: dict[str, Any], after: dict[str, Any], running: dict[str, int] | None, **kw: Any) -> WriteImpact:
    """The impact of writing `after` over `before`, the window anchored a day ago and its regions managed."""
    old = parse_config(before)
    new = parse_config(after)
    kw.setdefault("managed", old.selected_regions())
    return write_impact(old, new, running, NOW, recorded=anchored(old), **kw)


def all_running(count: int = 2, regions: list[str] = REGIONS) -> dict[str, int]:
    return dict.fromkeys(regions, count)


# --- writes that leave running agents alone --------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        {"desired_capacity": 5},  # more is never a stop
        {"run_duration": "14 days"},  # extending moves only the stop
        {"run_duration": None},
        {"stop_time": format_time(NOW + timedelta(days=3))},
        {"logs": {"retention_days": 30}},
        {"regions": [*REGIONS, "ap-south-1"]},  # a new region has nothing to stop
        {"desired_capacity": {"all": 2, "aws": {"eu-west-1": "-"}}},  # "-" leaves the region as it is
        {"start_offset": "15 minutes", "start_time": "now"},  # the same start written out
    ],
)
def test_a_write_that_keeps_every_running_agent_asks_nothing(edit: dict[str, Any]) -> None:
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, **edit}, all_running())
    assert not found.destructive and found.lines() == [] and not found.restarts


def test_unsetting_start_offset_at_its_default_value_is_no_restart() -> None:
    after = {k: v for k, v in RUNNING_FLEET.items() if k != "start_offset"}  # the default is 15 minutes too
    found = impact(RUNNING_FLEET, after, all_running())
    assert (found.restarts, found.destructive) == (False, False)


def test_a_write_over_a_fleet_the_old_config_already_stops_blames_nothing_on_the_write() -> None:
    over = {**RUNNING_FLEET, "stop_time": format_time(NOW - timedelta(hours=1)), "run_duration": None}
    over.pop("run_duration")
    found = impact(over, {**over, "desired_capacity": 1}, all_running())  # the run stops them anyway
    assert not found.destructive


# --- writes that stop agents or remove regions ------------------------------------------------------


def test_lowering_capacity_to_zero_stops_every_running_instance() -> None:
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, "desired_capacity": 0}, all_running(3))
    assert found.stops == all_running(3) and found.destructive
    assert found.lines() == [
        "stops 9 running instances in eu-central-1, eu-west-1, us-east-1 (desired capacity lowered)"
    ]


def test_lowering_capacity_at_all_says_how_many_it_stops() -> None:
    after = {**RUNNING_FLEET, "desired_capacity": {"all": 2, "aws": {"us-east-1": 1}}}
    found = impact(RUNNING_FLEET, after, all_running())
    assert found.stops == {"us-east-1": 1}
    assert found.lines() == ["stops 1 running instance in us-east-1 (desired capacity lowered)"]


def test_lowering_below_what_runs_counts_what_runs_not_what_was_asked() -> None:
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, "desired_capacity": 1}, {"eu-central-1": 1, "eu-west-1": 2})
    assert found.stops == {"eu-west-1": 1}


def test_shrinking_the_regions_decommissions_the_others_and_stops_their_agents() -> None:
    chosen = [*REGIONS, "ap-south-1", "sa-east-1"]
    many = {**RUNNING_FLEET, "regions": chosen}
    found = impact(many, {**many, "regions": ["eu-central-1"]}, all_running(2, chosen))
    assert found.decommissions == ["ap-south-1", "eu-west-1", "sa-east-1", "us-east-1"]
    assert found.stops == all_running(2, found.decommissions)
    assert found.lines()[:2] == [
        "decommissions ap-south-1, eu-west-1, sa-east-1, us-east-1: every resource there is deleted",
        "stops 8 running instances in 4 regions",
    ]


def test_no_regions_decommissions_every_region_even_one_without_agents() -> None:
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, "regions": []}, {"eu-central-1": 2, "eu-west-1": 0})
    assert found.decommissions == REGIONS  # us-east-1: managed (the status item says so), without a group
    assert found.stops == {"eu-central-1": 2}


def test_a_region_still_being_decommissioned_is_not_blamed_on_the_next_write() -> None:
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, "desired_capacity": 3}, {"ap-south-1": 1}, managed=["ap-south-1"])
    assert not found.destructive and found.lines() == []


def test_leaving_a_region_that_holds_nothing_decommissions_nothing() -> None:
    fresh = write_impact(parse_config({}), parse_config({"regions": ["eu-west-1"]}), {}, NOW)  # no run yet
    assert not fresh.destructive and fresh.lines() == []
    unread = write_impact(parse_config({}), parse_config({"regions": ["eu-west-1"]}), None, NOW)
    assert unread.decommissions == ["eu-central-1"]  # groups unread: what the config selected may hold resources


def test_a_group_left_in_a_region_no_config_selects_is_decommissioned() -> None:
    found = write_impact(None, parse_config({"regions": ["eu-central-1"]}), {"ap-south-1": 1}, NOW)
    assert found.decommissions == ["ap-south-1"] and found.stops == {"ap-south-1": 1}


def test_a_stop_time_in_the_past_stops_everything_and_says_why() -> None:
    past = format_time(NOW - timedelta(minutes=5))
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, "stop_time": past}, all_running())
    assert found.stops == all_running()
    assert f"the run window is over: it stops at {past}" in found.lines()[0]


def test_shortening_the_run_so_it_ended_stops_everything() -> None:
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, "run_duration": "1 hour"}, all_running())  # started a day ago
    assert sum(found.stops.values()) == 6 and "the run window is over" in found.why[0]


@pytest.mark.parametrize("edit", [{"start_offset": "30 minutes"}, {"window_version": 1}])
def test_a_window_restart_stops_running_agents_until_the_new_start(edit: dict[str, Any]) -> None:
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, **edit}, all_running())
    offset = timedelta(minutes=30 if "start_offset" in edit else 15)
    assert found.restarts and found.stops == all_running()
    assert found.why == [f"the run window restarts: agents start again at {format_time(NOW + offset)}"]


def test_a_restart_without_an_offset_keeps_agents_running() -> None:
    now_fleet = {**RUNNING_FLEET, "start_offset": "0 minutes"}
    found = impact(now_fleet, {**now_fleet, "window_version": 1}, all_running())
    assert found.restarts and not found.destructive


def test_a_start_time_moved_into_the_future_stops_agents_until_then() -> None:
    later = NOW + timedelta(days=1)
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, "start_time": format_time(later)}, all_running())
    assert not found.restarts  # a fixed time: nothing is anchored at the next run
    assert found.why == [f"agents wait for the start at {format_time(later + timedelta(minutes=15))}"]


def test_unsetting_a_start_offset_that_differs_from_the_default_restarts_the_window() -> None:
    short = {**RUNNING_FLEET, "start_offset": "2 minutes"}
    found = impact(short, {k: v for k, v in short.items() if k != "start_offset"}, all_running())
    assert found.restarts and found.destructive


def test_unreadable_groups_are_counted_from_the_config_before_the_write() -> None:
    found = impact(RUNNING_FLEET, {**RUNNING_FLEET, "regions": ["eu-west-1"]}, None)
    assert found.estimated and found.stops == {"eu-central-1": 2, "us-east-1": 2}
    assert found.lines()[-1] == "(running instances could not be read: counted from the config before the write)"


# --- writes that roll instances onto a new launch template version ---------------------------------


def new_version(before: dict[str, Any], after: dict[str, Any]) -> bool:
    old, new = parse_config(before), parse_config(after)
    return makes_new_template_version(old, build_inputs(old, DEPLOYMENT), new, build_inputs(new, DEPLOYMENT))


@pytest.mark.parametrize(
    "edit",
    [
        {"agent": {"main_run": "site.yml"}},  # baked into the user data
        {"instance": {"type": "t3.small"}},
        {"instance": {"volume_size": 16}},
        {"instance": {"os": "ubuntu-22.04"}},
        {"instance": {"market": "spot"}},
        {"network": {"public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG7 me"]}},
    ],
)
def test_a_change_of_the_launch_template_content_makes_a_new_version(edit: dict[str, Any]) -> None:
    assert new_version(RUNNING_FLEET, {**RUNNING_FLEET, **edit})


@pytest.mark.parametrize(
    "edit",
    [
        {"desired_capacity": 3},
        {"logs": {"retention_days": 30}},
        {"instance": {"refresh": {"min_healthy_percentage": 50}}},  # refresh settings are not template content
        {"run_duration": "14 days"},
    ],
)
def test_other_changes_make_no_new_version(edit: dict[str, Any]) -> None:
    assert not new_version(RUNNING_FLEET, {**RUNNING_FLEET, **edit})


def test_a_new_version_rolls_the_running_instances_with_the_refresh_settings() -> None:
    after = {**RUNNING_FLEET, "agent": {"main_run": "site.yml"}}
    found = impact(RUNNING_FLEET, after, {"eu-central-1": 2, "eu-west-1": 1}, new_template=True)
    assert found.rolls == {"eu-central-1": 2, "eu-west-1": 1} and not found.destructive
    assert found.lines() == [
        "rolls 3 running instances in eu-central-1, eu-west-1 (instance refresh, min healthy 90 %)"
    ]


def test_with_instance_refresh_off_new_instances_only_get_the_new_version() -> None:
    off = {**RUNNING_FLEET, "instance": {"refresh": {"enabled": False}}}
    found = impact(
        off, {**off, "instance": {"refresh": {"enabled": False}, "type": "t3.small"}}, all_running(1), new_template=True
    )
    assert found.lines() == [
        "makes a new launch template version: new instances get it, the 3 running instances in eu-central-1, "
        "eu-west-1, us-east-1 keep theirs (instance.refresh.enabled is false)"
    ]


def test_instances_the_write_stops_are_not_rolled() -> None:
    after = {**RUNNING_FLEET, "agent": {"main_run": "x.yml"}, "desired_capacity": {"all": 2, "aws": {"eu-west-1": 0}}}
    found = impact(RUNNING_FLEET, after, all_running(), new_template=True)
    assert found.rolls == {"eu-central-1": 2, "us-east-1": 2} and found.stops == {"eu-west-1": 2}


# --- properties -------------------------------------------------------------------------------------

counts = st.one_of(st.integers(0, 4), st.just("-"))
configs = st.fixed_dictionaries(
    {
        "regions": st.lists(st.sampled_from(REGIONS), unique=True),
        "desired_capacity": counts,
        "start_offset": st.sampled_from(["0 minutes", "15 minutes", "2 hours"]),
        "run_duration": st.sampled_from(["1 hour", "7 days", None]),
        "window_version": st.integers(0, 1),
    }
)
running_counts = st.one_of(st.none(), st.dictionaries(st.sampled_from([*REGIONS, "ap-south-1"]), st.integers(0, 5)))


@settings(max_examples=300, deadline=None)
@given(configs, configs, running_counts)
def test_never_more_stopped_than_runs_and_an_unchanged_item_asks_nothing(
    before: dict[str, Any], after: dict[str, Any], running: dict[str, int] | None
) -> None:
    found = impact(before, after, running)
    for region, stopped in found.stops.items():
        assert 0 < stopped <= (running or {}).get(region, 4 if running is None else 0)
    assert set(found.decommissions).isdisjoint(parse_config(after).selected_regions())
    same = impact(before, before, running)
    assert set(same.stops) <= set(same.decommissions)  # only groups no config selects: left over, decommissioned
    assert not same.restarts
