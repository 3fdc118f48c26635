"""Find a region's managed resources by tags, and read them into the planner's model (`p2p_core.models.observed`).

`read_region` is Plan's view, cheap enough for every run: with the group there, one read per
resource type — the group (tag filter; its launch template, subnets, sizes, tags and instances come
with it), its scheduled actions, subnets, route tables (routes and associations included),
security groups (rules included), the launch template versions the group and the default use, and
the log group when logs are on: 7 reads. Why the VPC and the internet gateway need no read of their
own is in `p2p_core.verify`. Without the group the region is being created or was damaged: every
kind is described (`discover`), as the reconciler does before it changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.models.observed import (
    START_ACTION,
    STOP_ACTION,
    ObservedAsg,
    ObservedLaunchTemplate,
    ObservedNetwork,
    ObservedRegion,
)
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.described import (
    asg_of,
    gateway_of,
    log_group_of,
    route_table_of,
    scheduled_action_of,
    security_group_of,
    subnet_of,
    template_of,
    vpc_of,
)
from p2p_core.reconciler.errors import is_gone
from p2p_core.reconciler.refresh import launch_template_spec

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


def live_asgs(asgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ASGs not already being deleted."""
    return [a for a in asgs if a.get("Status") != DELETING]


def find_asgs(ctx: RegionContext) -> list[dict[str, Any]]:
    """The stack's ASGs in the region: one call, filtered by tags server-side."""
    pages = ctx.autoscaling.get_paginator("describe_auto_scaling_groups").paginate(Filters=ctx.filters())
    return sorted((g for page in pages for g in page["AutoScalingGroups"]), key=lambda g: g["AutoScalingGroupName"])


def discover(ctx: RegionContext, asgs: list[dict[str, Any]] | None = None) -> Found:
    """Describe every kind of managed resource (the thorough, adopt-and-resume path); `asgs` if already read."""
    ec2, flt = ctx.ec2, ctx.filters()
    by_id = _sorted_by
    return Found(
        vpcs=by_id(ec2.describe_vpcs(Filters=flt)["Vpcs"], "VpcId"),
        igws=by_id(ec2.describe_internet_gateways(Filters=flt)["InternetGateways"], "InternetGatewayId"),
        subnets=by_id(ec2.describe_subnets(Filters=flt)["Subnets"], "SubnetId"),
        route_tables=by_id(ec2.describe_route_tables(Filters=flt)["RouteTables"], "RouteTableId"),
        security_groups=by_id(ec2.describe_security_groups(Filters=flt)["SecurityGroups"], "GroupId"),
        launch_templates=by_id(ec2.describe_launch_templates(Filters=flt)["LaunchTemplates"], "LaunchTemplateId"),
        log_groups=_log_groups(ctx),
        asgs=find_asgs(ctx) if asgs is None else asgs,
    )


def _sorted_by(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    # a duplicate (a lost response retried) is tolerated: the first by id is the one we use
    return sorted(items, key=lambda item: str(item[key]))


def _log_groups(ctx: RegionContext) -> list[dict[str, Any]]:
    groups = ctx.logs.describe_log_groups(logGroupNamePrefix=ctx.log_group)["logGroups"]
    return [g for g in groups if g["logGroupName"] == ctx.log_group]


def read_region(ctx: RegionContext, logs_enabled: bool) -> ObservedRegion:
    """The region as Plan verifies it (see the module docstring for what is read)."""
    groups = find_asgs(ctx)
    live = live_asgs(groups)
    if not live:
        return found_region(ctx.region, discover(ctx, groups))
    group, ec2, flt = live[0], ctx.ec2, ctx.filters()
    network = ObservedNetwork(
        subnets=[subnet_of(s) for s in ec2.describe_subnets(Filters=flt)["Subnets"]],
        route_tables=[route_table_of(t) for t in ec2.describe_route_tables(Filters=flt)["RouteTables"]],
        security_groups=[security_group_of(g) for g in ec2.describe_security_groups(Filters=flt)["SecurityGroups"]],
    )
    logs = _log_groups(ctx) if logs_enabled else []
    return ObservedRegion(
        region=ctx.region,
        exists=True,
        asg=read_asg(ctx, group),
        network=network,
        launch_template=read_template(ctx, group),
        log_group=log_group_of(logs[0]) if logs else None,
    )


def found_region(region: str, found: Found) -> ObservedRegion:
    """What `discover` found, in the planner's model."""
    live = live_asgs(found.asgs)
    network = ObservedNetwork(
        vpcs=[vpc_of(v) for v in found.vpcs],
        internet_gateways=[gateway_of(g) for g in found.igws],
        subnets=[subnet_of(s) for s in found.subnets],
        route_tables=[route_table_of(t) for t in found.route_tables],
        security_groups=[security_group_of(g) for g in found.security_groups],
    )
    templates = [
        ObservedLaunchTemplate(
            template_id=t["LaunchTemplateId"],
            name=t["LaunchTemplateName"],
            default_version=t.get("DefaultVersionNumber"),
        )
        for t in found.launch_templates
    ]
    return ObservedRegion(
        region=region,
        exists=found.exists,
        asg=asg_of(live[0]) if live else None,
        network=network,
        launch_template=templates[0] if templates else None,
        log_group=log_group_of(found.log_groups[0]) if found.log_groups else None,
    )


def read_asg(ctx: RegionContext, asg: dict[str, Any]) -> ObservedAsg:
    """The group with its p2p scheduled actions (one describe call)."""
    response = ctx.autoscaling.describe_scheduled_actions(
        AutoScalingGroupName=asg["AutoScalingGroupName"], ScheduledActionNames=[START_ACTION, STOP_ACTION]
    )
    actions = [
        a for a in (scheduled_action_of(raw) for raw in response["ScheduledUpdateGroupActions"]) if a is not None
    ]
    return asg_of(asg).model_copy(update={"scheduled_actions": sorted(actions, key=lambda a: a.name)})


def read_template(ctx: RegionContext, asg: dict[str, Any]) -> ObservedLaunchTemplate | None:
    """The group's launch template: its default version and the version the group uses, with their content."""
    spec = launch_template_spec(asg)
    if "LaunchTemplateId" not in spec:
        return None
    wanted = list(dict.fromkeys(["$Default", str(spec.get("Version") or "$Default")]))
    attempts = [wanted] if wanted == ["$Default"] else [wanted, ["$Default"]]
    for versions in attempts:  # the group's version may have been deleted by hand
        try:
            found = ctx.ec2.describe_launch_template_versions(
                LaunchTemplateId=spec["LaunchTemplateId"], Versions=versions
            )
        except ClientError as exc:
            if not is_gone(exc):
                raise
            continue
        read = found["LaunchTemplateVersions"]
        if read:
            return template_of(read)
    return None
