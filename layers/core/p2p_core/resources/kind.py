"""What every managed resource type of a region answers, and what the generic loops hand it.

A resource type (`p2p_core.resources.<type>`) is one `ResourceKind`: how the stack's resources of
that type are found (`describe`, by tag), how they appear in the planner's model (`seen` from a
full describe, `read` on Plan's cheap path), how they differ from the config in operator words
(`drifts`), how a rebuild ensures them (`ensure`, then `settle` once every type is ensured), how a
decommission deletes one (`deletions`), and the IAM permissions all of that needs (`grants`). The
registry (`p2p_core.resources.registry`) lists the types in dependency order; observe, verify,
reconcile, decommission and teardown walk it and name no type themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from p2p_core.config import ConfigItem
from p2p_core.market import Buying
from p2p_core.models.observed import ObservedAsg, ObservedRegion, ObservedVpc
from p2p_core.models.plan import RegionPlan
from p2p_core.wanted import BuildInputs

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext
    from p2p_core.reconciler.refresh import Rollout

Raw = dict[str, Any]
OBSERVE_POLICY = "ObserveRegionsPolicy"
RECONCILE_POLICY = "ReconcileRegionsPolicy"
# the read-only policy's statements without a Sid, by position (as tests/integration/test_iam_enforcement.py)
READ_ANYTHING = "#0"  # every describe (they take no resource ARNs)
READ_UBUNTU_AMIS = "#1"  # ssm:GetParameter on Canonical's public AMI parameters


@dataclass(frozen=True)
class Grant:
    """Part of one statement of template.yaml's policies: what a resource type needs of it.

    `sid` is the statement's Sid (or its position, `#0`); `resources` the ARN resource types
    (`security-group/*`) it lists; `create_actions` the `ec2:CreateAction` values it allows tagging
    in. tests/unit/test_resource_grants.py holds the template's statements to the union of every
    type's grants.
    """

    policy: str
    sid: str
    actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    create_actions: tuple[str, ...] = ()


def reads(*actions: str) -> Grant:
    """Describe calls (they take no resource ARNs: the read-only statement)."""
    return Grant(OBSERVE_POLICY, READ_ANYTHING, actions)


def changes(*actions: str) -> Grant:
    """Changes of resources that carry the stack's tag."""
    return Grant(RECONCILE_POLICY, "ChangeOwnNetworkAndTemplates", actions)


def tagged_create(action: str, arn_type: str) -> tuple[Grant, ...]:
    """An EC2 create that must carry the stack's tag, and its tagging as part of it."""
    return (
        Grant(RECONCILE_POLICY, "CreateTaggedNetworkAndTemplates", (f"ec2:{action}",), (arn_type,)),
        Grant(RECONCILE_POLICY, "TagOnlyWhileCreating", ("ec2:CreateTags",), create_actions=(action,)),
    )


def created_in_own_vpc(action: str) -> Grant:
    """An EC2 create inside the VPC: AWS authorizes it against the VPC too, which carries the stack's tag."""
    return Grant(RECONCILE_POLICY, "CreateInOwnVpc", (f"ec2:{action}",), ("vpc/*",))


@dataclass
class Found:
    """Every managed resource of the stack in one region, as the describe calls returned them, by type key."""

    items: dict[str, list[Raw]] = field(default_factory=dict)

    def of(self, key: str) -> list[Raw]:
        """The resources of one type (`ResourceKind.key`)."""
        return self.items.get(key, [])

    @property
    def exists(self) -> bool:
        """True when any managed resource is left in the region."""
        return any(self.items.values())

    @property
    def vpcs(self) -> list[Raw]:
        return self.of("vpcs")

    @property
    def igws(self) -> list[Raw]:
        return self.of("igws")

    @property
    def subnets(self) -> list[Raw]:
        return self.of("subnets")

    @property
    def route_tables(self) -> list[Raw]:
        return self.of("route_tables")

    @property
    def security_groups(self) -> list[Raw]:
        return self.of("security_groups")

    @property
    def launch_templates(self) -> list[Raw]:
        return self.of("launch_templates")

    @property
    def log_groups(self) -> list[Raw]:
        return self.of("log_groups")

    @property
    def asgs(self) -> list[Raw]:
        return self.of("asgs")

    @property
    def drift_rules(self) -> list[Raw]:
        return self.of("drift_rules")


@dataclass(frozen=True)
class Reading:
    """Plan's cheap read of a region whose group is there: the group's description, the config's switches."""

    ctx: RegionContext
    group: Raw
    logs_enabled: bool


@dataclass(frozen=True)
class Verifying:
    """What each type's drifts are judged from (pure): the config, the region as read, the VPC and zones."""

    config: ConfigItem
    seen: ObservedRegion
    build: BuildInputs
    infrastructure_hash: str
    vpc: ObservedVpc | None
    zones: list[str] | None  # the zones the group was built for; None when unknown

    @property
    def asg(self) -> ObservedAsg | None:
        return self.seen.asg


@dataclass
class Building:
    """One rebuild of a region: what each type's `ensure` reads, and what it leaves for the types after it."""

    ctx: RegionContext
    found: Found
    config: ConfigItem
    build: BuildInputs
    plan: RegionPlan
    buying: Buying | None
    not_offered: list[str]
    rollout: Rollout
    existing_group: Raw | None
    vpc: Raw = field(default_factory=dict)
    vpc_block: str | None = None
    igw_id: str = ""
    subnets: dict[str, str] = field(default_factory=dict)  # zone -> subnet id the fleet uses
    surplus_subnet_ids: list[str] = field(default_factory=list)
    security_group_id: str = ""
    template: tuple[str, int] = ("", 0)
    group_name: str = ""

    @property
    def subnet_ids(self) -> list[str]:
        return sorted(self.subnets.values())


@dataclass(frozen=True)
class Deletion:
    """One call of a decommission: `method` of the type's client with `kwargs`, and the action it records."""

    action: str
    method: str
    kwargs: dict[str, Any]


def _nothing(_: Building) -> None:
    return None


@dataclass(frozen=True)
class ResourceKind:
    """One managed resource type of a region (see the module docstring)."""

    key: str  # its list in `Found`
    words: str  # operator words: "security group"
    id_field: str  # the id in a describe answer
    client: str  # the RegionContext client its calls go to: "ec2", "autoscaling", "logs", "events"
    observed: str  # where it sits in ObservedRegion: "network.security_groups", "log_group"
    describe: Callable[[RegionContext], list[Raw]]
    seen: Callable[[list[Raw]], Any]
    read: Callable[[Reading], Any]
    drifts: Callable[[Verifying], list[str]]
    ensure: Callable[[Building], None]
    deletions: Callable[[Raw], list[Deletion]]
    grants: tuple[Grant, ...]
    settle: Callable[[Building], None] = _nothing
    holds_instances: bool = False  # its deletion takes instances with it: instances outside it go right after
    state_field: str = ""  # the field a leftover's state is read from
    report_rank: int = 1  # drifts are reported by rank, then in registry order (`p2p_core.verify`)
    # the stack's resources of this type in its VPC whose p2p tags were removed by hand (`reconciler.adopt`)
    untagged: Callable[[RegionContext, str], list[Raw]] | None = None
    # inside the VPC: every one of this type in the VPCs (but what goes with a VPC), as (id, the aws command
    # that removes it), so a decommission names what the stack did not make (`reconciler.leftovers`)
    in_vpcs: Callable[[RegionContext, list[str]], list[tuple[str, str]]] | None = None
    # its create call and where the answer holds the new id: later calls naming it wait for AWS to propagate it
    created: tuple[str, tuple[str, ...]] | None = None

    def ids(self, found: Found) -> list[str]:
        """The ids of this type's resources in `found`."""
        return [str(raw[self.id_field]) for raw in found.of(self.key)]


def in_vpc(*vpc_ids: str) -> list[dict[str, Any]]:
    """The describe filter for what is inside the VPCs."""
    return [{"Name": "vpc-id", "Values": list(vpc_ids)}]


def name_tag(raw: Raw) -> str:
    """A resource's Name tag ("" without one)."""
    return next((str(t["Value"]) for t in raw.get("Tags") or [] if t["Key"] == "Name"), "")


def sorted_by(items: list[Raw], key: str) -> list[Raw]:
    """Describe answers by id: a duplicate (a lost response retried) is tolerated, the first by id is used."""
    return sorted(items, key=lambda item: str(item[key]))
