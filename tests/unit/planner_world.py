"""A pure stand-in for AWS: a region exactly as the reconciler leaves it, and a Plan applied to an Observed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from p2p_core import names, planner
from p2p_core.config import ConfigItem, parse_config
from p2p_core.infrastructure import infrastructure_hash
from p2p_core.market import distribution_of
from p2p_core.models.observed import (
    CapacityTarget,
    Observed,
    ObservedAsg,
    ObservedLaunchTemplate,
    ObservedLogGroup,
    ObservedNetwork,
    ObservedRegion,
    ObservedRoute,
    ObservedRouteTable,
    ObservedSecurityGroup,
    ObservedSubnet,
    ObservedTemplateVersion,
    ScheduledAction,
    WindowAnchor,
)
from p2p_core.models.plan import Plan, RegionPlan
from p2p_core.resources.auto_scaling_group import group_tags
from p2p_core.resources.security_group import wanted_egress, wanted_ingress
from p2p_core.resources.template_content import template_data, template_digest, template_settings
from p2p_core.resources.zones import free_blocks, subnet_ipv6_blocks
from p2p_core.wanted import ANYWHERE, ANYWHERE_V6, BuildInputs

BUILD = BuildInputs(stack="p2p", user_data="#!/bin/bash\necho agent\n")
VPC, IGW, TABLE, GROUP, TEMPLATE = "vpc-1", "igw-1", "rtb-1", "sg-1", "lt-1"
VPC_IPV6 = "2a05:d014:1:2300::/56"


def healthy_region(
    config: ConfigItem,
    region: str,
    capacity: CapacityTarget,
    actions: Sequence[ScheduledAction] = (),
    build: BuildInputs = BUILD,
) -> ObservedRegion:
    """`region` as Plan reads it right after the reconciler built it for `config` (zones a, b, c...)."""
    network = config.network
    zones = [f"{region}{letter}" for letter in "abcdef"[: network.az_number]]
    blocks = free_blocks(network.cidr_block, network.az_number, set())
    ipv6_blocks = subnet_ipv6_blocks(VPC_IPV6, set()) if network.ipv6 else [None] * len(blocks)
    subnets = [
        ObservedSubnet(
            subnet_id=f"subnet-{zone}",
            vpc_id=VPC,
            zone=zone,
            cidr_block=block,
            public=network.public_ipv4,
            ipv6_cidr_block=ipv6,
            assign_ipv6=network.ipv6,
        )
        for zone, block, ipv6 in zip(zones, blocks, ipv6_blocks, strict=False)
    ]
    routes = [
        ObservedRoute(destination=network.cidr_block, target="local", origin="CreateRouteTable"),
        ObservedRoute(destination=ANYWHERE, target=IGW),
    ]
    if network.ipv6:
        routes.insert(1, ObservedRoute(destination=VPC_IPV6, target="local", origin="CreateRouteTable"))
        routes.append(ObservedRoute(destination=ANYWHERE_V6, target=IGW))
    table = ObservedRouteTable(
        route_table_id=TABLE, vpc_id=VPC, routes=routes, subnet_ids=[s.subnet_id for s in subnets]
    )
    group = ObservedSecurityGroup(
        group_id=GROUP, vpc_id=VPC, ingress=list(wanted_ingress(GROUP, network)), egress=list(wanted_egress(network))
    )
    settings = template_settings(config, build, region, GROUP)
    buying = config.instance.buying()  # a group over several types has its MixedInstancesPolicy
    version = ObservedTemplateVersion(
        number=1,
        description=template_digest(settings, config.instance),
        default=True,
        data=template_data(settings, "ami-1", "/dev/sda1"),
    )
    template = ObservedLaunchTemplate(
        template_id=TEMPLATE, name=names.launch_template_name(build.stack), default_version=1, versions=[version]
    )
    asg = ObservedAsg(
        capacity=capacity,
        scheduled_actions=sorted(actions, key=lambda a: a.name),
        name=names.agents_name(build.stack),
        template_id=TEMPLATE,
        template_name=template.name,
        template_version="1",
        subnet_ids=[s.subnet_id for s in subnets],
        tags=group_tags(
            build.stack, region, infrastructure_hash(config), [s.zone for s in subnets], [] if buying else None
        ),
        policy_types=list(buying.types) if buying else None,
        distribution=distribution_of(buying) if buying else {},
        capacity_rebalance=bool(buying and buying.spot),
    )
    logs = config.logs
    return ObservedRegion(
        region=region,
        exists=True,
        asg=asg,
        network=ObservedNetwork(subnets=subnets, route_tables=[table], security_groups=[group]),
        launch_template=template,
        log_group=ObservedLogGroup(name=names.agents_log_group(build.stack), retention_days=logs.retention_days)
        if logs.enabled
        else None,
    )


def apply_region(config: ConfigItem, seen: ObservedRegion, step: RegionPlan) -> ObservedRegion | None:
    """The region after the reconciler carried out `step`; None when decommissioned."""
    if step.decommission:
        return None
    if step.refused:
        return seen
    asg = seen.asg
    assert asg is not None or step.ensure_infrastructure, "a region plan that needs an ASG must ensure infrastructure"
    capacity = step.capacity or (asg.capacity if asg else step.initial_capacity)
    kept = {a.name: a for a in (asg.scheduled_actions if asg else []) if a.name not in step.delete_actions}
    kept.update({a.name: a for a in step.put_actions})
    return healthy_region(config, seen.region, capacity, list(kept.values()))


def apply_plan(observed: Observed, plan: Plan, config: ConfigItem) -> Observed:
    """Observed after every drifted region was reconciled and the schedule/control center updated."""
    regions = dict(observed.regions)
    managed = set(observed.managed_regions)
    for step in plan.drifted:
        after = apply_region(config, observed.region(step.region), step)
        if after is None:
            regions.pop(step.region, None)
            managed.discard(step.region)
        else:
            regions[step.region] = after
            managed.add(step.region)
    return observed.model_copy(
        update={
            "regions": regions,
            "managed_regions": sorted(managed),
            "schedule_expression": plan.schedule_expression,
            "window_anchor": WindowAnchor(digest=plan.window_digest, since=plan.anchor),  # as Plan records it
        }
    )


# --- the planner as the unit tests call it ------------------------------------------------------

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


def running(region_name: str, count: int) -> ObservedRegion:
    return healthy_region(
        parse_config(item()), region_name, CapacityTarget(min_size=0, max_size=30, desired_capacity=count)
    )
