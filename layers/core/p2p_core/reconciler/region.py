"""ReconcileRegion: observe one region (Plan's verification), and carry out its RegionPlan.

`observe_region` reads every managed resource cheaply (`observe.read_region`: one describe per
resource type) so the planner can verify each against the config (`p2p_core.verify`); nothing is
trusted from a previous run. Carrying out a plan that repairs or changes infrastructure describes
every type again first (`discover`), so adoption never relies on what Plan saw, and ensures each
type in registry order (`p2p_core.resources.registry`), changing only what differs.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem
from p2p_core.market import recorded_not_offered, region_buying
from p2p_core.models.deployment import Deployment
from p2p_core.models.observed import ObservedRegion, ObserveError
from p2p_core.models.plan import RegionPlan
from p2p_core.models.results import RegionResult
from p2p_core.reconciler.adopt import readopt
from p2p_core.reconciler.context import RegionContext, tag_dict
from p2p_core.reconciler.decommission import decommission
from p2p_core.reconciler.errors import AWS_ERRORS, ReconcileError, describe_failure
from p2p_core.reconciler.launch_failures import LaunchCheck, check_launches, read_group
from p2p_core.reconciler.observe import discover, read_region
from p2p_core.reconciler.refresh import Rollout, group_version
from p2p_core.resources.auto_scaling_group import find_asgs, live_asgs
from p2p_core.resources.group_capacity import apply_schedule, set_capacity, settle_due_actions
from p2p_core.resources.kind import Building
from p2p_core.resources.registry import REGISTRY
from p2p_core.wanted import BuildInputs

_FAILURES: tuple[type[Exception], ...] = (*AWS_ERRORS, ReconcileError)


def observe_region(
    clients: ClientFactory, deployment: Deployment, config: ConfigItem | None, region: str
) -> ObservedRegion:
    """The region's managed resources as the planner verifies them; an AWS error becomes `error`.

    Whatever goes wrong reading one region (an error answer, one botocore cannot parse, one missing a field)
    is that region's error: Plan goes on with the others, and the region's reconcile records it (SPEC §4).
    """
    ctx = RegionContext.build(clients, deployment, region)
    try:
        return read_region(ctx, logs_enabled=config.logs.enabled if config else False)
    except Exception as exc:
        code, message = describe_failure(exc)
        return ObservedRegion(region=region, error=ObserveError(code=code, message=message))


def reconcile_region(
    clients: ClientFactory,
    deployment: Deployment,
    config: ConfigItem,
    region_plan: RegionPlan,
    *,
    user_data: str,
    now: datetime | None = None,
    run_id: str = "",
) -> RegionResult:
    """Apply one region's plan; an AWS error ends as a failed RegionResult naming it, failing launches as degraded.

    `run_id` makes the run's idempotency tokens its own (a Lambda retry of this run reuses them).
    """
    region = region_plan.region
    ctx = RegionContext.build(clients, deployment, region, run_id)
    started, (_, mutations_before) = time.monotonic(), clients.calls(region)
    status, code, message, gone = "ok", None, None, False
    try:
        gone, launches = _apply(ctx, deployment, config, region_plan, user_data, now)
        if launches is not None and launches.degraded:
            status, message = "degraded", launches.summary
            code = "LaunchFailed" if launches.state == "failing" else "NoLaunchInProgress"
        elif launches is not None and launches.state == "launching":
            ctx.did(f"{launches.desired - launches.live} instance(s) launching")
    except _FAILURES as exc:
        status, (code, message) = "failed", describe_failure(exc)
    return RegionResult(
        region=region,
        status=status,
        actions=ctx.actions,
        mutating_calls=clients.calls(region)[1] - mutations_before,
        duration_seconds=round(time.monotonic() - started, 3),
        error_code=code,
        error_message=message,
        infrastructure_hash=None if region_plan.decommission else region_plan.infrastructure_hash or None,
        decommissioned=gone,
        refresh=ctx.refresh,
        warnings=region_plan.warnings,
    )


def _apply(
    ctx: RegionContext,
    deployment: Deployment,
    config: ConfigItem,
    step: RegionPlan,
    user_data: str,
    now: datetime | None,
) -> tuple[bool, LaunchCheck | None]:
    """Carry out the plan: (decommissioned completely, how the group's launches stand when it should have any)."""
    if step.decommission:
        return decommission(ctx, discover(ctx)), None
    step = settle_due_actions(step, now)
    capacity = step.capacity
    scaled = capacity is not None
    desired = capacity.desired_capacity if capacity is not None else None
    version: str | None
    if step.ensure_infrastructure:
        building = _rebuild(ctx, deployment, config, step, user_data)
        group, name, rollout = building.existing_group, building.group_name, building.rollout
        scaled, version, capacity = scaled or group is None, str(building.template[1]), None
    else:
        live = live_asgs(find_asgs(ctx))
        if not live:
            raise ReconcileError("AsgMissing", "the Auto Scaling group is gone; the next run recreates it")
        name = live[0]["AutoScalingGroupName"]
        group, version = live[0], group_version(live[0])
        buying = region_buying(config.instance.buying(), _recorded_not_offered(group))
        rollout = Rollout(ctx, config.instance.refresh, buying=buying)
    if capacity is not None:
        set_capacity(ctx, name, capacity)
    apply_schedule(ctx, name, step.put_actions, step.delete_actions)
    if group is not None:
        rollout.roll(group, version, desired)
    if not (scaled or step.check_launches):
        return False, None
    group = read_group(ctx, name)
    return False, check_launches(ctx, group, wait=scaled) if group else None


def _rebuild(
    ctx: RegionContext, deployment: Deployment, config: ConfigItem, step: RegionPlan, user_data: str
) -> Building:
    """Ensure every resource type in registry order, then settle each (a new group starts at the planned capacity)."""
    found = readopt(ctx, discover(ctx), config.network.cidr_block)  # never a second VPC beside an untagged one
    live = live_asgs(found.asgs)
    existing = live[0] if live else None
    # Plan read the region's offerings when it planned a rebuild; else the group's record of them holds
    not_offered = step.not_offered if step.not_offered is not None else _recorded_not_offered(existing)
    buying = region_buying(config.instance.buying(), not_offered)
    building = Building(
        ctx=ctx,
        found=found,
        config=config,
        build=BuildInputs(
            stack=deployment.stack_name,
            user_data=user_data,
            instance_profile_arn=deployment.instance_profile_arn,
            drift=deployment.drift_routing(),
        ),
        plan=step,
        buying=buying,
        not_offered=not_offered,
        rollout=Rollout(ctx, config.instance.refresh, buying=buying),  # running instances follow the group
        existing_group=existing,
    )
    for kind in REGISTRY:
        kind.ensure(building)
    for kind in REGISTRY:
        kind.settle(building)  # the VPC gives its IPv6 block back, the subnets the group left go
    return building


def _recorded_not_offered(group: dict[str, Any] | None) -> list[str]:
    return recorded_not_offered(tag_dict(group.get("Tags"))) if group else []
