"""Every managed resource type of a region, in dependency order: the one list the generic loops walk.

Observe describes them in this order, verify reports their drifts in it, a rebuild ensures them in
it (then settles them in it), a decommission deletes them in reverse, and teardown names what is
left by it. A new managed type is a module in this package and one line here.
"""

from __future__ import annotations

from p2p_core.resources import (
    auto_scaling_group,
    events_rule,
    internet_gateway,
    launch_template,
    log_group,
    route_table,
    security_group,
    subnets,
    vpc,
)
from p2p_core.resources.kind import OBSERVE_POLICY, RECONCILE_POLICY, Grant, ResourceKind, reads

REGISTRY: tuple[ResourceKind, ...] = (
    vpc.KIND,
    internet_gateway.KIND,
    subnets.KIND,
    route_table.KIND,
    security_group.KIND,
    log_group.KIND,
    events_rule.KIND,  # the region's drift-event rule: a decommission removes it once the group is gone
    launch_template.KIND,
    auto_scaling_group.KIND,
)

# what the region as a whole needs beside its resource types: the regions and instance types Plan
# checks, the vCPU quota, and a decommission's view of instances and interfaces in the VPC
REGION_GRANTS: tuple[Grant, ...] = (
    reads("ec2:DescribeRegions", "ec2:DescribeInstanceTypes", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"),
    Grant(OBSERVE_POLICY, "ReadOnDemandVcpuQuota", ("servicequotas:GetServiceQuota",)),
    Grant(OBSERVE_POLICY, "ReadDefaultVcpuQuota", ("servicequotas:GetAWSDefaultServiceQuota",)),
    # an instance detached from the group by hand still carries the stack's tags: a decommission ends it
    Grant(RECONCILE_POLICY, "ChangeOwnNetworkAndTemplates", ("ec2:TerminateInstances",)),
    Grant(RECONCILE_POLICY, "CountBlockedDecommissions", ("ec2:CreateTags",), ("vpc/*",)),
)
