"""What exists: the plain model the planner reads and the reconciler fills from AWS."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

START_ACTION = "p2p-start"
STOP_ACTION = "p2p-stop"
ActionName = Literal["p2p-start", "p2p-stop"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CapacityTarget(_Model):
    """Min, Max and Desired of an ASG, always set together."""

    min_size: int = Field(ge=0)
    max_size: int = Field(ge=0)
    desired_capacity: int = Field(ge=0)


class ScheduledAction(_Model):
    """A one-time p2p scheduled action on the ASG."""

    name: ActionName
    start_time: datetime
    capacity: CapacityTarget


class ObservedAsg(_Model):
    """The managed Auto Scaling group as it is: sizes, schedules, and what it is built on."""

    capacity: CapacityTarget
    scheduled_actions: list[ScheduledAction] = Field(default_factory=list)
    instances: int | None = Field(None, description="InService + Pending instances; None = not read")
    name: str = ""
    template_id: str | None = Field(None, description="the launch template the group launches from")
    template_name: str | None = None
    template_version: str | None = Field(None, description="as set on the group: a number, $Default or $Latest")
    subnet_ids: list[str] = Field(default_factory=list, description="VPCZoneIdentifier")
    tags: dict[str, str] = Field(default_factory=dict)
    instance_versions: dict[str, int] = Field(
        default_factory=dict, description="live instances per launch template version they were launched from"
    )
    policy_types: list[str] | None = Field(
        None, description="the MixedInstancesPolicy's override instance types in order; None = a plain template group"
    )
    distribution: dict[str, Any] = Field(
        default_factory=dict, description="the policy's InstancesDistribution fields the reconciler sets"
    )
    capacity_rebalance: bool = False
    suspended_processes: list[str] = Field(
        default_factory=list, description="scaling processes suspended (SuspendProcesses): Launch, Terminate, ..."
    )

    @property
    def outdated_versions(self) -> dict[str, int]:
        """Live instances on another launch template version than the group's, per version."""
        if self.template_version is None or not self.template_version.isdigit():
            return {}  # "$Latest"/"$Default" (never set by the reconciler): nothing to compare
        return {v: n for v, n in self.instance_versions.items() if v != self.template_version}


class SecurityRule(_Model):
    """One permission of a security group: protocol (`tcp`, `udp`, `-1` = all), ports and the peer."""

    protocol: str
    from_port: int = -1
    to_port: int = -1
    peer: str = Field(description="a security group id (sg-...) or a CIDR")

    def words(self, direction: str, own_group: str) -> str:
        """'22/tcp from 0.0.0.0/0' (ingress), 'all traffic to 0.0.0.0/0' (egress), '4001/udp from the group itself'."""
        if self.protocol == "-1":
            what = "all traffic"
        else:
            ports = str(self.from_port) if self.from_port == self.to_port else f"{self.from_port}-{self.to_port}"
            what = f"{ports}/{self.protocol}"
        peer = "the group itself" if self.peer == own_group else self.peer
        return f"{what} {'from' if direction == 'ingress' else 'to'} {peer}"


class ObservedVpc(_Model):
    """The managed VPC."""

    vpc_id: str
    cidr_block: str | None = Field(None, description="None when read only through what it holds")
    ipv6_cidr_block: str | None = Field(None, description="its IPv6 block (associating or associated); None = none")


class ObservedInternetGateway(_Model):
    """The managed internet gateway and the VPCs it is attached to."""

    gateway_id: str
    vpc_ids: list[str] = Field(default_factory=list)


class ObservedSubnet(_Model):
    """A managed subnet."""

    subnet_id: str
    vpc_id: str
    zone: str
    cidr_block: str
    public: bool = Field(description="MapPublicIpOnLaunch")
    ipv6_cidr_block: str | None = Field(None, description="its IPv6 /64 (associating or associated); None = none")
    assign_ipv6: bool = Field(False, description="AssignIpv6AddressOnCreation")


class ObservedRoute(_Model):
    """One route: destination, target (gateway id or other target id), AWS's state of it and who made it."""

    destination: str
    target: str
    state: str = "active"
    origin: str = "CreateRoute"


class ObservedRouteTable(_Model):
    """A managed route table with its routes and explicit subnet associations."""

    route_table_id: str
    vpc_id: str
    routes: list[ObservedRoute] = Field(default_factory=list)
    subnet_ids: list[str] = Field(default_factory=list)


class ObservedSecurityGroup(_Model):
    """The managed security group and its exact rules."""

    group_id: str
    vpc_id: str
    ingress: list[SecurityRule] = Field(default_factory=list)
    egress: list[SecurityRule] = Field(default_factory=list)


class ObservedNetwork(_Model):
    """The region's managed network. `vpcs`/`internet_gateways` None: not read (the route table tells)."""

    vpcs: list[ObservedVpc] | None = None
    internet_gateways: list[ObservedInternetGateway] | None = None
    subnets: list[ObservedSubnet] = Field(default_factory=list)
    route_tables: list[ObservedRouteTable] = Field(default_factory=list)
    security_groups: list[ObservedSecurityGroup] = Field(default_factory=list)


class ObservedTemplateVersion(_Model):
    """One launch template version: its number, description and LaunchTemplateData as EC2 returns them."""

    number: int
    description: str = ""
    default: bool = False
    data: dict[str, Any] = Field(default_factory=dict)


class ObservedLaunchTemplate(_Model):
    """The managed launch template and the versions read (the default one and the one the group uses)."""

    template_id: str
    name: str
    default_version: int | None = None
    versions: list[ObservedTemplateVersion] = Field(default_factory=list)

    def version(self, number: int | None) -> ObservedTemplateVersion | None:
        """The version `number` if it was read."""
        return next((v for v in self.versions if v.number == number), None)


class ObservedLogGroup(_Model):
    """The agents' log group."""

    name: str
    retention_days: int | None = None


class ObservedRuleTarget(_Model):
    """One target of an EventBridge rule."""

    target_id: str
    arn: str
    role_arn: str | None = None


class ObservedDriftRule(_Model):
    """The region's drift-event rule: its state, pattern (parsed) and targets."""

    name: str
    state: str
    pattern: dict[str, Any] | None = None
    targets: list[ObservedRuleTarget] = Field(default_factory=list)


class ObserveError(_Model):
    """Why a region could not be read: AWS's error code and message."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ObservedRegion(_Model):
    """One region's managed resources, found by tags."""

    region: str
    exists: bool = False
    asg: ObservedAsg | None = None
    network: ObservedNetwork = Field(default_factory=ObservedNetwork)
    launch_template: ObservedLaunchTemplate | None = None
    log_group: ObservedLogGroup | None = None
    drift_rule: ObservedDriftRule | None = None
    error: ObserveError | None = None


class WindowAnchor(_Model):
    """When the control plane first saw the start fields with these values (`digest`): what "now" means."""

    digest: str
    since: datetime


class Observed(_Model):
    """Everything the planner needs to know about the world."""

    regions: dict[str, ObservedRegion] = Field(default_factory=dict)
    managed_regions: list[str] = Field(default_factory=list, description="regions provisioned before (status item)")
    enabled_regions: list[str] | None = Field(None, description="regions the account can use; None = all")
    window_anchor: WindowAnchor | None = Field(None, description="as recorded in the status item")
    schedule_expression: str | None = None
    control_center_code: str | None = None

    def enabled(self, name: str) -> bool:
        """True when the account can use `name` (opt-in regions must be enabled first)."""
        return self.enabled_regions is None or name in self.enabled_regions

    def region(self, name: str) -> ObservedRegion:
        """The region as observed, or an empty one."""
        return self.regions.get(name) or ObservedRegion(region=name)
