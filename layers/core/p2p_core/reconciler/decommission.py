"""Remove a region's managed resources in dependency order, so nothing is left to bill.

When something the stack did not make keeps its VPC alive (a hand-made subnet or ENI), each run
names it with the command that removes it, and counts the runs it blocked in a tag on the VPC:
after `BLOCKED_RUNS_LIMIT` runs the region fails (an alarm fires) instead of waiting forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.reconciler.context import RegionContext, tag_dict
from p2p_core.reconciler.errors import ReconcileError, error_code, is_gone
from p2p_core.reconciler.leftovers import foreign_in_vpcs, terminate_own_instances
from p2p_core.reconciler.observe import DELETING, Found

BLOCKED_RUNS_TAG = "p2p:blocked-runs"
BLOCKED_RUNS_LIMIT = 3
DECOMMISSION_BLOCKED = "DecommissionBlocked"


class _StillInUse(Exception):
    """A resource another one still depends on (instances are still terminating)."""


def decommission(ctx: RegionContext, found: Found) -> bool:
    """Delete everything found; False when AWS still holds a dependency (the next run continues)."""
    try:
        _delete_all(ctx, found)
    except _StillInUse as exc:
        blockers = foreign_in_vpcs(ctx, found)
        if not blockers:  # the stack's own instances are still terminating
            ctx.actions.insert(0, f"waiting: {exc}; the next run continues")  # why first: it is what is left
            return False
        named = "; ".join(b.words() for b in blockers)
        runs = _count_blocked_run(ctx, found)
        if runs >= BLOCKED_RUNS_LIMIT:
            raise ReconcileError(
                DECOMMISSION_BLOCKED, f"{exc} for {runs} runs, blocked by what the stack did not make: {named}"
            ) from None
        ctx.actions.insert(
            0, f"waiting: {exc}, blocked by {named} (run {runs} of {BLOCKED_RUNS_LIMIT} before it fails)"
        )
        return False
    return True


def _count_blocked_run(ctx: RegionContext, found: Found) -> int:
    """This run's number among the runs the VPC's deletion was blocked (kept in a tag on the VPC)."""
    vpc = found.vpcs[0]
    try:
        runs = int(tag_dict(vpc.get("Tags")).get(BLOCKED_RUNS_TAG, "0")) + 1
    except ValueError:  # a tag edited by hand counts from the start
        runs = 1
    ctx.ec2.create_tags(Resources=[vpc["VpcId"]], Tags=[{"Key": BLOCKED_RUNS_TAG, "Value": str(runs)}])
    return runs


def _delete_all(ctx: RegionContext, found: Found) -> None:
    ec2, asg = ctx.ec2, ctx.autoscaling
    for group in found.asgs:
        if group.get("Status") == DELETING:
            continue
        name = group["AutoScalingGroupName"]
        # scale to 0 first, so instances go even if the delete below is interrupted
        _gone_ok(
            ctx,
            f"scaled {name} to 0",
            asg.update_auto_scaling_group,
            AutoScalingGroupName=name,
            MinSize=0,
            MaxSize=0,
            DesiredCapacity=0,
        )
        _gone_ok(
            ctx,
            f"deleted Auto Scaling group {name}",
            asg.delete_auto_scaling_group,
            AutoScalingGroupName=name,
            ForceDelete=True,
        )
    terminate_own_instances(ctx, found)  # one detached from its group by hand would keep the network alive
    for lt in found.launch_templates:
        lt_id = lt["LaunchTemplateId"]
        _gone_ok(ctx, f"deleted launch template {lt_id}", ec2.delete_launch_template, LaunchTemplateId=lt_id)
    for group in found.log_groups:
        name = group["logGroupName"]
        _gone_ok(ctx, f"deleted log group {name}", ctx.logs.delete_log_group, logGroupName=name)
    for sg in found.security_groups:
        _gone_ok(ctx, f"deleted security group {sg['GroupId']}", ec2.delete_security_group, GroupId=sg["GroupId"])
    for table in found.route_tables:
        if any(a.get("Main") for a in table.get("Associations", [])):
            continue  # the VPC's main table goes with the VPC
        table_id = table["RouteTableId"]
        for association in table.get("Associations", []):
            association_id = association["RouteTableAssociationId"]
            _gone_ok(ctx, f"disassociated {association_id}", ec2.disassociate_route_table, AssociationId=association_id)
        _gone_ok(ctx, f"deleted route table {table_id}", ec2.delete_route_table, RouteTableId=table_id)
    for subnet in found.subnets:
        subnet_id = subnet["SubnetId"]
        _gone_ok(ctx, f"deleted subnet {subnet_id}", ec2.delete_subnet, SubnetId=subnet_id)
    for igw in found.igws:
        igw_id = igw["InternetGatewayId"]
        for attachment in igw.get("Attachments", []):
            _gone_ok(
                ctx,
                f"detached internet gateway {igw_id}",
                ec2.detach_internet_gateway,
                InternetGatewayId=igw_id,
                VpcId=attachment["VpcId"],
            )
        _gone_ok(ctx, f"deleted internet gateway {igw_id}", ec2.delete_internet_gateway, InternetGatewayId=igw_id)
    for vpc in found.vpcs:
        _gone_ok(ctx, f"deleted VPC {vpc['VpcId']}", ec2.delete_vpc, VpcId=vpc["VpcId"])


def _gone_ok(ctx: RegionContext, action: str, call: Callable[..., Any], **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except ClientError as exc:
        if is_gone(exc):
            return
        if error_code(exc) in {"DependencyViolation", "ResourceInUse", "ScalingActivityInProgress"}:
            raise _StillInUse(f"{action.split(' ', 1)[1]} is still in use") from exc
        raise
    ctx.did(action)
