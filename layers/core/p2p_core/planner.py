"""The pure planner: `plan(config, observed, now) -> Plan`. No AWS calls here."""

from __future__ import annotations

from datetime import datetime

from p2p_core.config import ConfigItem
from p2p_core.config.rfc3339 import format_time
from p2p_core.infrastructure import infrastructure_hash
from p2p_core.models.observed import (
    START_ACTION,
    STOP_ACTION,
    CapacityTarget,
    Observed,
    ObservedRegion,
    ScheduledAction,
)
from p2p_core.models.plan import Plan, RegionPlan
from p2p_core.models.window import Phase, Window
from p2p_core.timemodel import effective_window, window_anchor
from p2p_core.verify import refusal, region_drifts
from p2p_core.wanted import BuildInputs


def plan(
    config: ConfigItem,
    observed: Observed,
    now: datetime,
    *,
    build: BuildInputs,
    control_center_code: str | None = None,
) -> Plan:
    """Compare what the config asks for at `now` with what is observed.

    `build` is what regions are built from beside the config (stack name, user data, instance
    profile); every managed resource is verified against it (`p2p_core.verify`).
    `control_center_code` is the rendered CloudFront Function; when given it is compared with the
    LIVE code in `observed`.
    """
    anchor = window_anchor(config, observed.window_anchor, now)
    window = effective_window(config, anchor.since)
    chosen = config.selected_regions()
    # a region the account has not enabled is skipped: never touched, so never managed; leaving it is a no-op
    skipped = sorted({r for r in (*chosen, *observed.managed_regions) if not observed.enabled(r)})
    selected = [r for r in chosen if r not in skipped]
    infra = infrastructure_hash(config)
    region_plans = [_region_plan(config, observed.region(r), window, now, infra, build) for r in selected]
    leaving = sorted((set(observed.managed_regions) | set(observed.regions)) - set(chosen) - set(skipped))
    region_plans += [_decommission(observed.region(r)) for r in leaving if _may_exist(observed, r)]
    return Plan(
        now=now,
        config_version=config.version,
        config_digest=config.content_digest(),
        anchor=anchor.since,
        window_digest=anchor.digest,
        start=window.start,
        stop=window.stop,
        phase=window.phase(now).value,
        regions=region_plans,
        selected_regions=selected,
        skipped_regions=skipped,
        schedule_expression=config.schedule_expression,
        update_schedule=observed.schedule_expression != config.schedule_expression,
        update_control_center=control_center_code is not None and control_center_code != observed.control_center_code,
    )


def _may_exist(observed: Observed, region: str) -> bool:
    # a region not looked at, or looked at with an error, may still hold resources
    seen = observed.regions.get(region)
    return seen is None or seen.exists or seen.error is not None


def running_capacity(config: ConfigItem, count: int) -> CapacityTarget:
    """Min/Max/Desired while agents run."""
    return CapacityTarget(min_size=config.min_size, max_size=config.max_size, desired_capacity=count)


def stopped_capacity(config: ConfigItem) -> CapacityTarget:
    """Min/Max/Desired while agents are stopped (min 0 so desired 0 is allowed)."""
    return CapacityTarget(min_size=0, max_size=config.max_size, desired_capacity=0)


def wanted_state(
    config: ConfigItem, count: int, window: Window, now: datetime
) -> tuple[CapacityTarget, list[ScheduledAction]]:
    """The capacity to hold now and the scheduled actions to keep, for a region running `count`."""
    phase = window.phase(now)
    on, off = running_capacity(config, count), stopped_capacity(config)
    if phase is Phase.STOPPED:
        return off, []
    stop = [ScheduledAction(name=STOP_ACTION, start_time=window.stop, capacity=off)] if window.stop else []
    if phase is Phase.RUNNING:
        return on, stop
    return off, [ScheduledAction(name=START_ACTION, start_time=window.start, capacity=on), *stop]


def _region_plan(
    config: ConfigItem, seen: ObservedRegion, window: Window, now: datetime, infra: str, build: BuildInputs
) -> RegionPlan:
    reasons: list[str] = []
    if seen.error:
        reasons.append(f"observe failed: {seen.error}")
    drifts = region_drifts(config, seen, build, infra)
    refused = refusal(config, seen, infra)
    ensure = not seen.exists or bool(drifts) or bool(seen.error)
    if not seen.exists:
        reasons.append("create infrastructure")
    reasons += drifts
    short = _instances_short(seen)
    if short:
        reasons.append(short)
    if refused is not None:
        reasons.append(refused.message)
        return RegionPlan(
            region=seen.region,
            infrastructure_hash=infra,
            refused=refused.message,
            refused_code=refused.code,
            reasons=reasons,
            drifts=drifts,
        )
    existing = {a.name: a for a in (seen.asg.scheduled_actions if seen.asg else [])}
    count = config.desired_capacity.resolve(seen.region)
    if count is None:  # "-": leave this region's capacity and schedules alone
        outdated = _outdated_instances(config, seen, seen.asg.capacity.desired_capacity if seen.asg else 0)
        return RegionPlan(
            region=seen.region,
            ensure_infrastructure=ensure,
            infrastructure_hash=infra,
            initial_capacity=stopped_capacity(config),
            existing_actions=sorted(existing),
            check_launches=bool(short),
            roll_instances=bool(outdated),
            reasons=[*reasons, *([outdated] if outdated else [])],
            drifts=drifts,
        )
    capacity, actions = wanted_state(config, count, window, now)
    current = seen.asg.capacity if seen.asg else None
    set_capacity = capacity if current != capacity else None
    if set_capacity is not None:
        reasons.append(_capacity_reason(current, capacity))
    put = [a for a in actions if existing.get(a.name) != a]
    delete = sorted(set(existing) - {a.name for a in actions})
    reasons += [f"schedule {a.name} at {format_time(a.start_time)} ({a.capacity.desired_capacity})" for a in put]
    reasons += [f"remove {name}" for name in delete]
    outdated = _outdated_instances(config, seen, capacity.desired_capacity)
    if outdated:
        reasons.append(outdated)
    return RegionPlan(
        region=seen.region,
        ensure_infrastructure=ensure,
        infrastructure_hash=infra,
        capacity=set_capacity,
        initial_capacity=capacity,
        put_actions=put,
        delete_actions=delete,
        existing_actions=sorted(existing),
        check_launches=bool(short),
        roll_instances=bool(outdated),
        reasons=reasons,
        drifts=drifts,
    )


def _outdated_instances(config: ConfigItem, seen: ObservedRegion, desired: int) -> str | None:
    # instances on an older template version while the group keeps running: a refresh replaces them
    # (one that failed or was cancelled is started again); nothing to roll for a group going to 0
    old = seen.asg.outdated_versions if seen.asg else {}
    if not old or not config.instance.refresh.enabled or desired == 0 or seen.asg is None:
        return None
    versions = ", ".join(sorted(old, key=lambda v: (len(v), v)))  # numeric order for version numbers
    plural = "s" if len(old) > 1 else ""
    return (
        f"{sum(old.values())} instance(s) on launch template version{plural} {versions}, "
        f"want {seen.asg.template_version}: instance refresh"
    )


def _instances_short(seen: ObservedRegion) -> str | None:
    # a group below its desired count has launches failing (or just starting): ReconcileRegion reads why
    asg = seen.asg
    if asg is None or asg.instances is None or asg.instances >= asg.capacity.desired_capacity:
        return None
    return f"instances below desired ({asg.instances}/{asg.capacity.desired_capacity})"


def _capacity_reason(current: CapacityTarget | None, wanted: CapacityTarget) -> str:
    if current is None:
        return f"capacity min {wanted.min_size}, desired {wanted.desired_capacity}, max {wanted.max_size}"
    sizes = [("min", current.min_size, wanted.min_size), ("desired", current.desired_capacity, wanted.desired_capacity)]
    sizes.append(("max", current.max_size, wanted.max_size))
    return "Auto Scaling group: " + ", ".join(
        f"{name} {have}, want {want}" for name, have, want in sizes if have != want
    )


def _decommission(seen: ObservedRegion) -> RegionPlan:
    return RegionPlan(region=seen.region, decommission=True, reasons=["region left the selection: decommission"])
