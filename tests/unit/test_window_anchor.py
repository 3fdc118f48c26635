"""`start_time: "now"` anchors to when the window fields took their values, not to whoever wrote last (SPEC §3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p2p_core import planner
from p2p_core.config import LOG_RETENTION_DAYS, parse_config
from p2p_core.models.observed import Observed, WindowAnchor
from p2p_core.storage.status import RunRecord, Status
from p2p_core.timemodel import window_anchor
from tests.tiers import examples

from .planner_world import BUILD, apply_plan

plan = partial(planner.plan, build=BUILD)

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
REGIONS = ["eu-central-1", "eu-west-1", "us-east-1"]
Edit = Callable[[dict[str, Any], datetime], dict[str, Any]]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(**fields: Any) -> str:
    return parse_config(fields).window_digest()


# --- which edits restart the window ------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({}, {"start_offset": "15 minutes", "run_duration": "7 days", "start_time": "now"}),  # the defaults, written
        ({"start_offset": "15 minutes"}, {"start_offset": "900 seconds"}),  # the same value, spelled differently
        ({"run_duration": "2 days"}, {"run_duration": "48 hours"}),
        ({"stop_time": "2027-01-01T00:00:00Z"}, {"stop_time": "2027-01-01T00:00:00Z", "run_duration": None}),
        ({}, {"desired_capacity": 5, "logs": {"retention_days": 30}, "agent": {"main_run": "site.yml"}}),
        ({}, {"version": 9, "updated_at": "2026-11-25T11:00:00Z", "updated_by": "someone"}),
        ({}, {"regions": ["us-east-1"], "schedule_expression": "rate(1 hour)"}),
    ],
)
def test_edits_keeping_the_window_values_keep_the_window_digest(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert digest(**before) == digest(**after)


@pytest.mark.parametrize(
    "window_edit",
    [
        {"start_time": "2026-12-01T00:00:00Z"},
        {"start_offset": "2 minutes"},
        {"run_duration": "1 day"},
        {"run_duration": None},
        {"stop_time": "2027-01-01T00:00:00Z", "run_duration": None},
        {"window_version": 1},
    ],
)
def test_each_window_field_changes_the_window_digest(window_edit: dict[str, Any]) -> None:
    assert digest(**window_edit) != digest()


def test_an_unchanged_window_keeps_its_recorded_anchor_and_a_changed_one_anchors_now() -> None:
    config = parse_config({"start_offset": "2 minutes"})
    recorded = WindowAnchor(digest=config.window_digest(), since=NOW - timedelta(hours=3))
    assert window_anchor(config, recorded, NOW) == recorded
    edited = parse_config({"start_offset": "3 minutes"})
    assert window_anchor(edited, recorded, NOW) == WindowAnchor(digest=edited.window_digest(), since=NOW)
    assert window_anchor(config, None, NOW).since == NOW


def test_restart_window_moves_a_running_window_to_now() -> None:
    raw = {"start_offset": "2 minutes", "desired_capacity": 2}
    config = parse_config(raw)
    running = Observed(window_anchor=WindowAnchor(digest=config.window_digest(), since=NOW - timedelta(days=1)))
    assert plan(config, running, NOW).phase == "running"
    restarted = plan(parse_config({**raw, "window_version": 1}), running, NOW)
    assert (restarted.anchor, restarted.start, restarted.phase) == (NOW, NOW + timedelta(minutes=2), "before_start")


def test_a_control_plane_upgraded_from_the_updated_at_model_keeps_the_anchor_it_used() -> None:
    config = parse_config({"updated_at": "2026-11-24T08:00:00Z"})
    ran = RunRecord(execution="r", status="ok", started_at=stamp(NOW), finished_at=stamp(NOW))
    upgraded = Status(last_run=ran).recorded_anchor(config)
    assert upgraded == WindowAnchor(digest=config.window_digest(), since=datetime(2026, 11, 24, 8, tzinfo=UTC))
    by_any_client = Status(last_run=ran, first_seen={"old-digest": "2026-11-23T08:00:00Z"})
    assert by_any_client.recorded_anchor(parse_config({})).since == datetime(2026, 11, 23, 8, tzinfo=UTC)  # type: ignore[union-attr]
    assert Status().recorded_anchor(config) is None  # a fresh deployment: the first run anchors
    recorded = WindowAnchor(digest="d", since=NOW)
    assert Status(last_run=ran, window_anchor=recorded).recorded_anchor(config) == recorded


# --- the property: no sequence of edits that keeps the window fields moves S or E ---------------

counts = st.one_of(st.integers(0, 10), st.just("-"))
texts = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=12)


def _respelled(duration: str) -> str:
    seconds = int(parse_config({"start_offset": duration}).start_offset.total_seconds())
    return f"{seconds} seconds"


def _set(field: str, value: Any) -> Edit:
    return lambda raw, _: {**raw, field: value}


def _respell(field: str) -> Edit:
    return lambda raw, _: {**raw, field: _respelled(raw[field])} if isinstance(raw.get(field), str) else raw


edits: st.SearchStrategy[Edit] = st.one_of(
    counts.map(lambda count: _set("desired_capacity", count)),
    st.lists(st.sampled_from(REGIONS), min_size=1, unique=True).map(lambda regions: _set("regions", regions)),
    st.sampled_from(LOG_RETENTION_DAYS).map(lambda days: _set("logs", {"retention_days": days})),
    texts.map(lambda main_run: _set("agent", {"main_run": main_run})),
    st.integers(1, 10_000).map(lambda version: _set("version", version)),
    texts.map(lambda who: _set("updated_by", who)),
    st.just(lambda raw, now: {**raw, "updated_at": stamp(now)}),  # a writer that stamps every write
    st.just(lambda raw, _: {k: v for k, v in raw.items() if k not in ("updated_at", "version")}),  # one that does not
    st.sampled_from(["start_offset", "run_duration"]).map(_respell),
    st.just(lambda raw, _: {**raw, "start_time": "now"}),  # the default, written out
)


@st.composite
def running_configs(draw: st.DrawFn) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "regions": draw(st.lists(st.sampled_from(REGIONS), min_size=1, unique=True)),
        "desired_capacity": draw(counts),
        "max_size": 10,
        "start_offset": f"{draw(st.integers(0, 7200))} seconds",
    }
    stop = draw(st.sampled_from(["default", "none", "duration"]))
    if stop == "none":
        raw["run_duration"] = None
    elif stop == "duration":
        raw["run_duration"] = f"{draw(st.integers(1, 3 * 86400))} seconds"
    return raw


@settings(max_examples=examples(300), deadline=None)
@given(running_configs(), st.lists(st.tuples(edits, st.integers(0, 6 * 3600)), max_size=8))
def test_no_sequence_of_edits_that_keeps_the_window_fields_moves_start_or_stop(
    raw: dict[str, Any], steps: list[tuple[Edit, int]]
) -> None:
    config = parse_config(raw)
    first = plan(config, Observed(), NOW)
    world, now = apply_plan(Observed(), first, config), NOW
    for edit, seconds in steps:
        now += timedelta(seconds=seconds)
        raw = edit(raw, now)
        config = parse_config(raw)
        again = plan(config, world, now)
        assert (again.anchor, again.start, again.stop) == (first.anchor, first.start, first.stop)
        world = apply_plan(world, again, config)
