"""Remove a region's managed resources in dependency order, so nothing is left to bill."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.errors import error_code, is_gone
from p2p_core.reconciler.observe import DELETING, Found


class _StillInUse(Exception):
    """A resource another one still depends on (instances are still terminating)."""


def decommission(ctx: RegionContext, found: Found) -> bool:
    """Delete everything found; False when AWS still holds a dependency (the next run continues)."""
    try:
        _delete_all(ctx, found)
    except _StillInUse as exc:
        ctx.did(f"waiting: {exc}; the next run continues")
        return False
    return True


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
