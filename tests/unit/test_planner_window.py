"""The planner's time model, read like SPEC §3: S and E, scheduled p2p-start/p2p-stop, the 60 s margin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from p2p_core.config import parse_config
from p2p_core.config.rfc3339 import LATEST_TIME
from p2p_core.config.validation import ConfigError
from p2p_core.models.observed import CapacityTarget, Observed, ScheduledAction, WindowAnchor
from p2p_core.timemodel import effective_window

from .planner_world import NOW, at, converged, item, plan, region, running

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
    seen = running("eu-central-1", 5)
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


# --- bounds: what AWS schedules accept -------------------------------------------------------------


def test_a_start_that_the_offset_pushes_beyond_2199_is_refused_naming_start_time() -> None:
    config = parse_config({"start_time": "2199-12-31T23:59:00Z", "run_duration": None})
    with pytest.raises(ConfigError) as caught:
        effective_window(config, NOW)
    assert [(e.field, e.value) for e in caught.value.errors] == [("start_time", "2199-12-31T23:59:00Z")]
    assert "2200-01-01T00:14:00Z is outside what AWS schedules accept" in str(caught.value)


def test_a_run_duration_ending_beyond_2199_from_now_is_refused_naming_it() -> None:
    config = parse_config({"start_time": "now", "run_duration": "80000 days"})
    with pytest.raises(ConfigError) as caught:
        plan(config, Observed(), NOW)
    assert [(e.field, e.value) for e in caught.value.errors] == [("run_duration", "80000 days")]


def test_an_offset_pushing_start_now_beyond_2199_is_refused_naming_start_offset() -> None:
    config = parse_config({"start_offset": "80000 days", "run_duration": None})
    with pytest.raises(ConfigError) as caught:
        effective_window(config, NOW)
    assert [e.field for e in caught.value.errors] == ["start_offset"]


def test_the_last_schedulable_second_is_accepted() -> None:
    config = parse_config({"start_time": "2199-12-31T23:29:59Z", "run_duration": "15 minutes"})
    window = effective_window(config, NOW)
    assert window.stop == LATEST_TIME
