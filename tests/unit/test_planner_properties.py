"""Properties of the planner over generated configs and worlds (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from p2p_core import planner
from p2p_core.config import ConfigItem, parse_config
from p2p_core.models.observed import (
    CapacityTarget,
    Observed,
    ObservedAsg,
    ObservedRegion,
    ScheduledAction,
    WindowAnchor,
)
from p2p_core.models.window import SCHEDULE_MARGIN
from tests.tiers import examples

from .planner_world import BUILD, apply_plan, healthy_region

plan = partial(planner.plan, build=BUILD)

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
REGIONS = ["eu-central-1", "eu-west-1", "us-east-1", "ap-south-1"]

counts = st.one_of(st.integers(0, 10), st.just("-"))
capacity = st.one_of(
    counts,
    st.fixed_dictionaries(
        {},
        optional={
            "all": counts,
            "aws": st.one_of(
                counts,
                st.dictionaries(st.sampled_from([*REGIONS, "all"]), counts, max_size=3),
            ),
        },
    ),
)
offsets = st.integers(-3 * 86400, 3 * 86400).map(lambda s: timedelta(seconds=s))


def stamp(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "regions": draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=4, unique=True)),
        "desired_capacity": draw(capacity),
        "max_size": 10,
        "start_offset": f"{draw(st.integers(0, 120))} seconds",
    }
    start = draw(st.one_of(st.just("now"), offsets.map(stamp)))
    raw["start_time"] = start
    stop = draw(st.sampled_from(["none", "duration", "time"]))
    if stop == "none":
        raw["run_duration"] = None
    elif stop == "duration":
        raw["run_duration"] = f"{draw(st.integers(1, 3 * 86400))} seconds"
    else:
        base = NOW + draw(offsets) if start == "now" else datetime.fromisoformat(start)
        raw["run_duration"] = None
        raw["stop_time"] = stamp(base - NOW + timedelta(seconds=draw(st.integers(121, 86400))))
    return raw


def anchored(world: Observed, config: ConfigItem, since: timedelta | None) -> Observed:
    """The world with the status item's window anchor for `config` recorded at NOW + since (None: never seen)."""
    if since is None:
        return world
    return world.model_copy(update={"window_anchor": WindowAnchor(digest=config.window_digest(), since=NOW + since)})


anchors = st.one_of(st.none(), offsets)


@st.composite
def worlds(draw: st.DrawFn) -> Observed:
    regions: dict[str, ObservedRegion] = {}
    for name in draw(st.lists(st.sampled_from(REGIONS), unique=True)):
        actions = [
            ScheduledAction(
                name=n,
                start_time=NOW + draw(offsets),
                capacity=CapacityTarget(min_size=0, max_size=10, desired_capacity=draw(st.integers(0, 10))),
            )
            for n in draw(st.lists(st.sampled_from(["p2p-start", "p2p-stop"]), unique=True))
        ]
        capacity = CapacityTarget(min_size=0, max_size=10, desired_capacity=draw(st.integers(0, 10)))
        kind = draw(st.sampled_from(["healthy", "group only", "empty"]))
        if kind == "healthy":  # built for the default settings: the config drawn may differ from them
            regions[name] = healthy_region(parse_config({}), name, capacity, actions)
        else:
            asg = ObservedAsg(capacity=capacity, scheduled_actions=actions) if kind == "group only" else None
            regions[name] = ObservedRegion(region=name, exists=True, asg=asg)
    return Observed(regions=regions, managed_regions=sorted(regions))


@settings(max_examples=examples(300), deadline=None)
@given(configs(), worlds(), anchors)
def test_applying_a_plan_then_planning_again_changes_nothing(
    raw: dict[str, Any], world: Observed, since: timedelta | None
) -> None:
    config = parse_config(raw)
    world = anchored(world, config, since)
    first = plan(config, world, NOW)
    again = plan(config, apply_plan(world, first, config), NOW)
    assert again.nothing_to_do, [r.reasons for r in again.drifted]


@settings(max_examples=examples(300), deadline=None)
@given(configs(), worlds(), anchors)
def test_no_planned_scheduled_action_is_in_the_past_or_within_the_margin(
    raw: dict[str, Any], world: Observed, since: timedelta | None
) -> None:
    config = parse_config(raw)
    for step in plan(config, anchored(world, config, since), NOW).regions:
        for action in step.put_actions:
            assert action.start_time > NOW + SCHEDULE_MARGIN


@settings(max_examples=examples(200), deadline=None)
@given(configs(), worlds())
def test_planned_capacity_always_fits_its_own_bounds(raw: dict[str, Any], world: Observed) -> None:
    for step in plan(parse_config(raw), world, NOW).regions:
        targets = [step.capacity, step.initial_capacity, *(a.capacity for a in step.put_actions)]
        for target in filter(None, targets):
            assert target.min_size <= target.desired_capacity <= target.max_size


@settings(max_examples=examples(200), deadline=None)
@given(configs(), worlds(), st.integers(0, 600))
def test_the_plan_depends_only_on_config_world_and_time(raw: dict[str, Any], world: Observed, _: int) -> None:
    config = parse_config(raw)
    assert plan(config, world, NOW) == plan(config, world, NOW)
