"""`start_time: "now"` anchors to when the start fields took their values, not to whoever wrote last (SPEC §3).

The stop fields (`run_duration`, `stop_time`) move only the stop: extending a running fleet never restarts it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p2p_core import planner
from p2p_core.config.model import parse_config
from p2p_core.config.sections import LOG_RETENTION_DAYS
from p2p_core.config.validation import ConfigError
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


# --- which edits restart the window: the start fields' values, nothing else ----------------------


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
        ({}, {"run_duration": "14 days"}),  # the stop fields move only the stop
        ({}, {"run_duration": None}),
        ({}, {"stop_time": "2027-01-01T00:00:00Z", "run_duration": None}),
        ({"run_duration": "1 day"}, {"stop_time": "2027-01-01T00:00:00Z"}),
        ({"start_offset": "15 minutes"}, {}),  # unset to the value it had: the default is the same value
    ],
)
def test_edits_keeping_the_window_values_keep_the_window_digest(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert digest(**before) == digest(**after)


@pytest.mark.parametrize(
    "window_edit",
    [
        {"start_time": "2026-12-01T00:00:00Z"},
        {"start_offset": "2 minutes"},
        {"window_version": 1},
    ],
)
def test_each_start_field_changes_the_window_digest(window_edit: dict[str, Any]) -> None:
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


@pytest.mark.parametrize(
    "stop_edit",
    [{"run_duration": "14 days"}, {"run_duration": None}, {"stop_time": "2026-12-24T00:00:00Z"}],
    ids=["longer", "until-changed", "stop-time"],
)
def test_extending_a_running_window_keeps_its_start_and_its_capacity(stop_edit: dict[str, Any]) -> None:
    raw = {"start_offset": "15 minutes", "desired_capacity": 3, "max_size": 10}
    config = parse_config(raw)
    running = Observed(window_anchor=WindowAnchor(digest=config.window_digest(), since=NOW - timedelta(days=2)))
    before = plan(config, running, NOW)
    after = plan(parse_config({**raw, **stop_edit}), running, NOW)
    assert (after.anchor, after.start, after.phase) == (before.anchor, before.start, "running")
    assert after.stop != before.stop


def test_an_anchor_recorded_under_the_former_digest_is_kept_through_the_upgrade() -> None:
    config = parse_config({"start_offset": "2 minutes", "run_duration": "3 days"})
    since = NOW - timedelta(hours=5)
    former = WindowAnchor(digest=config.legacy_window_digest(), since=since)
    assert window_anchor(config, former, NOW) == WindowAnchor(digest=config.window_digest(), since=since)
    changed = parse_config({"start_offset": "3 minutes", "run_duration": "3 days"})
    assert window_anchor(changed, former, NOW).since == NOW  # a start field changed as well: anchored now


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


def _unset(field: str) -> Edit:
    return lambda raw, _: {k: v for k, v in raw.items() if k != field}


def _stop_in(seconds: int) -> Edit:
    return lambda raw, now: (
        {k: v for k, v in raw.items() if k != "run_duration"} | {"stop_time": stamp(now + timedelta(seconds=seconds))}
    )


# edits of the stop fields (and ones writing a start field's value again): they may move E, never S
stop_edits: st.SearchStrategy[Edit] = st.one_of(
    edits,
    st.integers(1, 30 * 86400).map(lambda seconds: _set("run_duration", f"{seconds} seconds")),
    st.just(_set("run_duration", None)),
    st.just(_unset("run_duration")),  # its default applies
    st.just(_unset("stop_time")),
    st.integers(120, 30 * 86400).map(_stop_in),
    st.just(lambda raw, _: raw if raw.get("start_offset") != "900 seconds" else _unset("start_offset")(raw, _)),
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


@settings(max_examples=examples(300), deadline=None)
@given(running_configs(), st.lists(st.tuples(stop_edits, st.integers(0, 6 * 3600)), max_size=8))
def test_no_sequence_of_stop_field_edits_moves_the_start_or_stops_agents_before_their_stop(
    raw: dict[str, Any], steps: list[tuple[Edit, int]]
) -> None:
    config = parse_config(raw)
    first = plan(config, Observed(), NOW)
    world, now = apply_plan(Observed(), first, config), NOW
    for edit, seconds in steps:
        now += timedelta(seconds=seconds)
        edited = edit(raw, now)
        try:
            config = parse_config(edited)
        except ConfigError:  # e.g. a stop_time beside an explicit run_duration: p2pctl refuses to write it
            continue
        raw = edited
        again = plan(config, world, now)
        assert (again.anchor, again.start) == (first.anchor, first.start)
        if again.phase == "running":  # extended or not, agents in their window keep their capacity
            for region in again.regions:
                count = config.desired_capacity.resolve(region.region)
                if count is not None and not region.decommission:
                    assert region.initial_capacity is not None
                    assert region.initial_capacity.desired_capacity == count
        world = apply_plan(world, again, config)
