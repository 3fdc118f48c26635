"""The agents' security group: open_ports from the internet, all traffic between members, SSH from allow_ssh.

Rules are compared one per (protocol, ports, peer): a rule added by hand is revoked, a missing one
authorized. Egress is everything to the internet (::/0 too when dual stack); a new group comes
with AWS's own egress rules (`created_group_egress`), so only the difference is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from p2p_core.config.network import NetworkSettings
from p2p_core.models.observed import ObservedSecurityGroup, SecurityRule
from p2p_core.resources.kind import (
    RECONCILE_POLICY,
    Building,
    Deletion,
    Grant,
    Raw,
    Reading,
    ResourceKind,
    Verifying,
    changes,
    created_in_own_vpc,
    in_vpc,
    name_tag,
    reads,
    sorted_by,
    tagged_create,
)
from p2p_core.resources.vpc import ipv6_association
from p2p_core.wanted import ANYWHERE, ANYWHERE_V6, internet

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext


def wanted_ingress(group_id: str, network: NetworkSettings) -> frozenset[SecurityRule]:
    """open_ports' TCP and UDP ranges from the internet; all traffic between members; SSH only from allow_ssh."""
    rules = {
        SecurityRule(protocol=protocol, from_port=low, to_port=high, peer=peer)
        for protocol, (low, high) in network.port_ranges().items()
        for peer in internet(network)
    }
    rules.add(SecurityRule(protocol="-1", peer=group_id))
    return frozenset(
        rules | {SecurityRule(protocol="tcp", from_port=22, to_port=22, peer=c) for c in network.allow_ssh}
    )


def wanted_egress(network: NetworkSettings) -> frozenset[SecurityRule]:
    """What the agents need out: everything, to the internet (IPv6 too when dual stack)."""
    return frozenset(SecurityRule(protocol="-1", peer=peer) for peer in internet(network))


def created_group_egress(vpc_has_ipv6: bool) -> list[SecurityRule]:
    """What AWS gives a new security group: all traffic out to 0.0.0.0/0, and to ::/0 in a VPC with IPv6."""
    return [SecurityRule(protocol="-1", peer=p) for p in ((ANYWHERE, ANYWHERE_V6) if vpc_has_ipv6 else (ANYWHERE,))]


def security_group_of(raw: Raw) -> ObservedSecurityGroup:
    """A DescribeSecurityGroups entry with its ingress and egress rules, one per peer."""
    return ObservedSecurityGroup(
        group_id=raw["GroupId"],
        vpc_id=raw.get("VpcId", ""),
        ingress=rules_of(raw.get("IpPermissions", [])),
        egress=rules_of(raw.get("IpPermissionsEgress", [])),
    )


def rules_of(permissions: list[Raw]) -> list[SecurityRule]:
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
    return sorted_rules(rules)


def rule_changes(
    have: list[SecurityRule], wanted: frozenset[SecurityRule]
) -> tuple[set[SecurityRule], set[SecurityRule]]:
    """(rules to add, rules to revoke) for a group holding `have`."""
    return set(wanted) - set(have), set(have) - set(wanted)


def sorted_rules(rules: set[SecurityRule]) -> list[SecurityRule]:
    """Rules in a stable order (protocol, ports, peer)."""
    return sorted(rules, key=lambda r: (r.protocol, r.from_port, r.to_port, r.peer))


def permissions(rules: set[SecurityRule]) -> list[Raw]:
    """Rules as IpPermissions, one per rule."""
    out = []
    for rule in sorted_rules(rules):
        perm: dict[str, Any] = {"IpProtocol": rule.protocol}
        if rule.protocol != "-1":
            perm |= {"FromPort": rule.from_port, "ToPort": rule.to_port}
        peer = rule.peer
        if peer.startswith("sg-"):
            perm["UserIdGroupPairs"] = [{"GroupId": peer}]
        elif peer.startswith("pl-"):
            perm["PrefixListIds"] = [{"PrefixListId": peer}]
        elif ":" in peer:
            perm["Ipv6Ranges"] = [{"CidrIpv6": peer}]
        else:
            perm["IpRanges"] = [{"CidrIp": peer}]
        out.append(perm)
    return out


def drifts(v: Verifying) -> list[str]:
    """Gone, or each missing and extra rule in operator words."""
    if v.vpc is None:
        return []
    groups = [g for g in v.seen.network.security_groups if g.vpc_id == v.vpc.vpc_id]
    if not groups:
        return ["security group: gone"]
    group, network = groups[0], v.config.network
    wanted = {"ingress": wanted_ingress(group.group_id, network), "egress": wanted_egress(network)}
    found = []
    for direction, have in (("ingress", group.ingress), ("egress", group.egress)):
        missing, extra = rule_changes(have, wanted[direction])
        found += [
            f"security group: missing {direction} {r.words(direction, group.group_id)}" for r in sorted_rules(missing)
        ]
        found += [
            f"security group: extra {direction} {r.words(direction, group.group_id)}" for r in sorted_rules(extra)
        ]
    return found


def _describe(ctx: RegionContext) -> list[Raw]:
    return sorted_by(ctx.ec2.describe_security_groups(Filters=ctx.filters())["SecurityGroups"], "GroupId")


def _seen(raws: list[Raw]) -> list[ObservedSecurityGroup]:
    return [security_group_of(g) for g in raws]


def _read(r: Reading) -> list[ObservedSecurityGroup]:
    return _seen(r.ctx.ec2.describe_security_groups(Filters=r.ctx.filters())["SecurityGroups"])


def ensure(b: Building) -> None:
    """The group (found by tag, or created in the VPC) holding exactly the wanted rules."""
    ctx, vpc, network = b.ctx, b.vpc, b.config.network
    groups = [g for g in b.found.security_groups if g["VpcId"] == vpc["VpcId"]]
    if groups:
        seen = security_group_of(groups[0])
        group_id, ingress, egress = seen.group_id, seen.ingress, seen.egress
    else:
        group_id = ctx.ec2.create_security_group(
            GroupName=ctx.security_group_name,
            Description=f"p2p agents of {ctx.stack}",
            VpcId=vpc["VpcId"],
            TagSpecifications=ctx.tag_spec("security-group"),
        )["GroupId"]
        ingress, egress = [], created_group_egress(network.ipv6 or ipv6_association(vpc) is not None)
        ctx.did(f"created security group {group_id}")
    ec2 = ctx.ec2
    for direction, have, wanted, add, revoke in (
        (
            "ingress",
            ingress,
            wanted_ingress(group_id, network),
            ec2.authorize_security_group_ingress,
            ec2.revoke_security_group_ingress,
        ),
        (
            "egress",
            egress,
            wanted_egress(network),
            ec2.authorize_security_group_egress,
            ec2.revoke_security_group_egress,
        ),
    ):
        missing, extra = rule_changes(have, wanted)
        if missing:
            add(GroupId=group_id, IpPermissions=permissions(missing))
            ctx.did(f"opened {direction} " + ", ".join(r.words(direction, group_id) for r in sorted_rules(missing)))
        if extra:
            revoke(GroupId=group_id, IpPermissions=permissions(extra))
            ctx.did(f"closed {direction} " + ", ".join(r.words(direction, group_id) for r in sorted_rules(extra)))
    b.security_group_id = group_id


def _in_vpcs(ctx: RegionContext, vpc_ids: list[str]) -> list[tuple[str, str]]:
    found = ctx.ec2.describe_security_groups(Filters=in_vpc(*vpc_ids))["SecurityGroups"]
    fix = "aws ec2 delete-security-group --group-id {} --region " + ctx.region
    return [(g["GroupId"], fix.format(g["GroupId"])) for g in found if g.get("GroupName") != "default"]


def _untagged(ctx: RegionContext, vpc_id: str) -> list[Raw]:
    found = ctx.ec2.describe_security_groups(Filters=in_vpc(vpc_id))["SecurityGroups"]
    return [g for g in found if g.get("GroupName") == ctx.security_group_name and name_tag(g) == ctx.name]


def _deletions(raw: Raw) -> list[Deletion]:
    return [Deletion(f"deleted security group {raw['GroupId']}", "delete_security_group", {"GroupId": raw["GroupId"]})]


KIND = ResourceKind(
    key="security_groups",
    words="security group",
    id_field="GroupId",
    client="ec2",
    observed="network.security_groups",
    describe=_describe,
    seen=_seen,
    read=_read,
    drifts=drifts,
    ensure=ensure,
    deletions=_deletions,
    created=("create_security_group", ("GroupId",)),
    in_vpcs=_in_vpcs,
    untagged=_untagged,
    grants=(
        reads("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"),
        *tagged_create("CreateSecurityGroup", "security-group/*"),
        created_in_own_vpc("CreateSecurityGroup"),
        changes(
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:DeleteSecurityGroup",
        ),
        Grant(RECONCILE_POLICY, "TagAgainWhatLostItsTags", ("ec2:CreateTags",), ("security-group/*",)),
        Grant(RECONCILE_POLICY, "LaunchResourcesOnlyThroughATemplate", ("ec2:RunInstances",), ("security-group/*",)),
    ),
)
