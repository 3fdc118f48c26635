"""Describe answers in the planner's model (`p2p_core.models.observed`): one pure function per resource type."""

from __future__ import annotations

from typing import Any

from p2p_core.market import policy_settings
from p2p_core.models.observed import (
    START_ACTION,
    STOP_ACTION,
    CapacityTarget,
    ObservedAsg,
    ObservedInternetGateway,
    ObservedLaunchTemplate,
    ObservedLogGroup,
    ObservedRoute,
    ObservedRouteTable,
    ObservedSecurityGroup,
    ObservedSubnet,
    ObservedTemplateVersion,
    ObservedVpc,
    ScheduledAction,
    SecurityRule,
)
from p2p_core.reconciler.context import tag_dict
from p2p_core.reconciler.launches import live_instances
from p2p_core.reconciler.refresh import group_version, instance_versions, launch_template_spec

# states of a released association ("failing"/"failed": AWS could not associate it)
_RELEASED_STATES = ("disassociat", "fail")
_ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "InstanceId",
    "EgressOnlyInternetGatewayId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)


def asg_of(raw: dict[str, Any]) -> ObservedAsg:
    """A DescribeAutoScalingGroups entry (its scheduled actions are read apart)."""
    template = launch_template_spec(raw)
    mixed = policy_settings(raw.get("MixedInstancesPolicy"))
    return ObservedAsg(
        capacity=capacity_of(raw),
        instances=live_instances(raw),
        name=raw["AutoScalingGroupName"],
        template_id=template.get("LaunchTemplateId"),
        template_name=template.get("LaunchTemplateName"),
        template_version=group_version(raw),
        instance_versions=instance_versions(raw),
        subnet_ids=sorted(s for s in raw.get("VPCZoneIdentifier", "").split(",") if s),
        tags=tag_dict(raw.get("Tags")),
        policy_types=list(mixed[0]) if mixed else None,
        distribution=mixed[1] if mixed else {},
        capacity_rebalance=bool(raw.get("CapacityRebalance")),
        suspended_processes=sorted(str(p["ProcessName"]) for p in raw.get("SuspendedProcesses") or []),
    )


def template_of(versions: list[dict[str, Any]]) -> ObservedLaunchTemplate:
    """DescribeLaunchTemplateVersions entries of one template."""
    observed = {
        int(v["VersionNumber"]): ObservedTemplateVersion(
            number=int(v["VersionNumber"]),
            description=v.get("VersionDescription") or "",
            default=bool(v.get("DefaultVersion")),
            data=v.get("LaunchTemplateData") or {},
        )
        for v in versions
    }
    default = next((n for n, v in observed.items() if v.default), None)
    return ObservedLaunchTemplate(
        template_id=versions[0]["LaunchTemplateId"],
        name=versions[0]["LaunchTemplateName"],
        default_version=default,
        versions=sorted(observed.values(), key=lambda v: v.number),
    )


def subnet_of(raw: dict[str, Any]) -> ObservedSubnet:
    """A DescribeSubnets entry."""
    block = ipv6_association(raw)
    return ObservedSubnet(
        subnet_id=raw["SubnetId"],
        vpc_id=raw["VpcId"],
        zone=raw["AvailabilityZone"],
        cidr_block=raw["CidrBlock"],
        public=bool(raw.get("MapPublicIpOnLaunch")),
        ipv6_cidr_block=block.get("Ipv6CidrBlock") if block else None,
        assign_ipv6=bool(raw.get("AssignIpv6AddressOnCreation")),
    )


def vpc_of(raw: dict[str, Any]) -> ObservedVpc:
    """A DescribeVpcs entry (or a CreateVpc answer)."""
    block = ipv6_association(raw)
    return ObservedVpc(
        vpc_id=raw["VpcId"],
        cidr_block=raw.get("CidrBlock"),
        ipv6_cidr_block=block.get("Ipv6CidrBlock") or None if block else None,
    )


def ipv6_association(raw: dict[str, Any]) -> dict[str, Any] | None:
    """A VPC's or subnet's IPv6 block association that holds (associating or associated), or None.

    AWS keeps a released block in the set for a while as `disassociating`/`disassociated` (or
    `failed`); those are gone as far as the fleet is concerned.
    """
    for association in raw.get("Ipv6CidrBlockAssociationSet") or []:
        state = str((association.get("Ipv6CidrBlockState") or {}).get("State", ""))
        if not any(word in state for word in _RELEASED_STATES):
            return dict(association)
    return None


def gateway_of(raw: dict[str, Any]) -> ObservedInternetGateway:
    """A DescribeInternetGateways entry with the VPCs it is attached to."""
    attached = [
        a["VpcId"] for a in raw.get("Attachments", []) if a.get("State", "available") in ("available", "attached")
    ]
    return ObservedInternetGateway(gateway_id=raw["InternetGatewayId"], vpc_ids=attached)


def route_table_of(raw: dict[str, Any]) -> ObservedRouteTable:
    """A DescribeRouteTables entry with its routes and explicit subnet associations."""
    routes = []
    for route in raw.get("Routes", []):
        destination = (
            route.get("DestinationCidrBlock")
            or route.get("DestinationIpv6CidrBlock")
            or route.get("DestinationPrefixListId")
        )
        target = next((str(route[k]) for k in _ROUTE_TARGETS if route.get(k)), "unknown")
        state, origin = route.get("State", "active"), route.get("Origin", "CreateRoute")
        routes.append(ObservedRoute(destination=str(destination), target=target, state=state, origin=origin))
    subnets = sorted(a["SubnetId"] for a in raw.get("Associations", []) if a.get("SubnetId"))
    return ObservedRouteTable(
        route_table_id=raw["RouteTableId"], vpc_id=raw["VpcId"], routes=routes, subnet_ids=subnets
    )


def security_group_of(raw: dict[str, Any]) -> ObservedSecurityGroup:
    """A DescribeSecurityGroups entry with its ingress and egress rules, one per peer."""
    return ObservedSecurityGroup(
        group_id=raw["GroupId"],
        vpc_id=raw.get("VpcId", ""),
        ingress=rules_of(raw.get("IpPermissions", [])),
        egress=rules_of(raw.get("IpPermissionsEgress", [])),
    )


def rules_of(permissions: list[dict[str, Any]]) -> list[SecurityRule]:
    """IpPermissions as one rule per (protocol, ports, peer)."""
    rules: set[SecurityRule] = set()
    for perm in permissions:
        ports = {
            "protocol": str(perm["IpProtocol"]),
            "from_port": perm.get("FromPort", -1),
            "to_port": perm.get("ToPort", -1),
        }
        peers = [p["GroupId"] for p in perm.get("UserIdGroupPairs", [])]
        peers += [r["CidrIp"] for r in perm.get("IpRanges", [])] + [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
        peers += [p["PrefixListId"] for p in perm.get("PrefixListIds", [])]
        rules |= {SecurityRule(**ports, peer=peer) for peer in peers}
    return sorted(rules, key=lambda r: (r.protocol, r.from_port, r.to_port, r.peer))


def log_group_of(raw: dict[str, Any]) -> ObservedLogGroup:
    """A DescribeLogGroups entry."""
    return ObservedLogGroup(name=raw["logGroupName"], retention_days=raw.get("retentionInDays"))


def capacity_of(raw: dict[str, Any]) -> CapacityTarget:
    """Min/Max/Desired of an ASG description."""
    return CapacityTarget(min_size=raw["MinSize"], max_size=raw["MaxSize"], desired_capacity=raw["DesiredCapacity"])


def scheduled_action_of(raw: dict[str, Any]) -> ScheduledAction | None:
    """A DescribeScheduledActions entry; None when it is not one the reconciler wrote."""
    sizes = (raw.get("MinSize"), raw.get("MaxSize"), raw.get("DesiredCapacity"))
    if raw["ScheduledActionName"] not in (START_ACTION, STOP_ACTION) or None in sizes or raw.get("Recurrence"):
        return None  # not one we wrote: the planner sees it missing and puts it again
    return ScheduledAction(
        name=raw["ScheduledActionName"],
        start_time=raw["StartTime"],
        capacity=CapacityTarget(min_size=sizes[0], max_size=sizes[1], desired_capacity=sizes[2]),
    )
