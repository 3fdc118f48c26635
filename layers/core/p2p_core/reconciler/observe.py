"""Find a region's managed resources by tags, and read the ASG into the planner's model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from p2p_core.observed import START_ACTION, STOP_ACTION, CapacityTarget, ObservedAsg, ScheduledAction
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.launches import live_instances
from p2p_core.reconciler.refresh import group_version, instance_versions

DELETING = "Delete in progress"


@dataclass
class Found:
    """Every managed resource of the stack in one region, as the describe calls returned them."""

    vpcs: list[dict[str, Any]] = field(default_factory=list)
    igws: list[dict[str, Any]] = field(default_factory=list)
    subnets: list[dict[str, Any]] = field(default_factory=list)
    route_tables: list[dict[str, Any]] = field(default_factory=list)
    security_groups: list[dict[str, Any]] = field(default_factory=list)
    launch_templates: list[dict[str, Any]] = field(default_factory=list)
    log_groups: list[dict[str, Any]] = field(default_factory=list)
    asgs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        """True when any managed resource is left in the region."""
        return any(vars(self).values())

    def complete(self, logs_enabled: bool) -> bool:
        """True when every resource a running region needs is there."""
        needed = [self.vpcs, self.igws, self.subnets, self.route_tables, self.security_groups]
        needed += [self.launch_templates, live_asgs(self.asgs)]
        return all(needed) and (self.log_groups != [] or not logs_enabled)


def live_asgs(asgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ASGs not already being deleted."""
    return [a for a in asgs if a.get("Status") != DELETING]


def find_asgs(ctx: RegionContext) -> list[dict[str, Any]]:
    """The stack's ASGs in the region: one call, filtered by tags server-side."""
    pages = ctx.autoscaling.get_paginator("describe_auto_scaling_groups").paginate(Filters=ctx.filters())
    return sorted((g for page in pages for g in page["AutoScalingGroups"]), key=lambda g: g["AutoScalingGroupName"])


def discover(ctx: RegionContext) -> Found:
    """Describe every kind of managed resource (the thorough, adopt-and-resume path)."""
    ec2, flt = ctx.ec2, ctx.filters()
    groups = ctx.logs.describe_log_groups(logGroupNamePrefix=ctx.log_group)["logGroups"]
    by_id = _sorted_by
    return Found(
        vpcs=by_id(ec2.describe_vpcs(Filters=flt)["Vpcs"], "VpcId"),
        igws=by_id(ec2.describe_internet_gateways(Filters=flt)["InternetGateways"], "InternetGatewayId"),
        subnets=by_id(ec2.describe_subnets(Filters=flt)["Subnets"], "SubnetId"),
        route_tables=by_id(ec2.describe_route_tables(Filters=flt)["RouteTables"], "RouteTableId"),
        security_groups=by_id(ec2.describe_security_groups(Filters=flt)["SecurityGroups"], "GroupId"),
        launch_templates=by_id(ec2.describe_launch_templates(Filters=flt)["LaunchTemplates"], "LaunchTemplateId"),
        log_groups=[g for g in groups if g["logGroupName"] == ctx.log_group],
        asgs=find_asgs(ctx),
    )


def _sorted_by(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    # a duplicate (a lost response retried) is tolerated: the first by id is the one we use
    return sorted(items, key=lambda item: str(item[key]))


def read_asg(ctx: RegionContext, asg: dict[str, Any]) -> ObservedAsg:
    """The ASG's capacity, live instances and their template versions, p2p scheduled actions (one describe call)."""
    response = ctx.autoscaling.describe_scheduled_actions(
        AutoScalingGroupName=asg["AutoScalingGroupName"], ScheduledActionNames=[START_ACTION, STOP_ACTION]
    )
    actions = [a for a in (_action(raw) for raw in response["ScheduledUpdateGroupActions"]) if a is not None]
    return ObservedAsg(
        capacity=capacity_of(asg),
        scheduled_actions=sorted(actions, key=lambda a: a.name),
        instances=live_instances(asg),
        template_version=group_version(asg),
        instance_versions=instance_versions(asg),
    )


def capacity_of(raw: dict[str, Any]) -> CapacityTarget:
    """Min/Max/Desired of an ASG description."""
    return CapacityTarget(min_size=raw["MinSize"], max_size=raw["MaxSize"], desired_capacity=raw["DesiredCapacity"])


def _action(raw: dict[str, Any]) -> ScheduledAction | None:
    sizes = (raw.get("MinSize"), raw.get("MaxSize"), raw.get("DesiredCapacity"))
    if raw["ScheduledActionName"] not in (START_ACTION, STOP_ACTION) or None in sizes or raw.get("Recurrence"):
        return None  # not one we wrote: the planner sees it missing and puts it again
    return ScheduledAction(
        name=raw["ScheduledActionName"],
        start_time=raw["StartTime"],
        capacity=CapacityTarget(min_size=sizes[0], max_size=sizes[1], desired_capacity=sizes[2]),
    )
