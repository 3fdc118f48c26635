"""Verification, not trust: every managed resource of a region compared with what the config asks for.

Pure. `region_drifts` names each difference in operator words ("security group: extra ingress
22/tcp from 0.0.0.0/0"); the planner sends a region with any of them to ReconcileRegion, whose
ensure steps build from the same `p2p_core.wanted` functions and change only what differs.
`refusal` names a change AWS cannot make in place (a VPC's CIDR): Plan refuses the region instead.

What is read to verify (one describe per resource type, `p2p_core.reconciler.observe`) and why it
is enough:
- the VPC is not read: the route table's `local` route carries its CIDR, and a VPC cannot be gone
  while its subnets, route table and security group are there;
- the internet gateway is not read either: AWS marks a route `blackhole` when its gateway is
  detached from the VPC (or deleted, which needs a detach first), so the default route's state
  tells whether the gateway still serves the VPC (a rebuild reads the gateway itself);
- the launch template is read through the group (`p2p_core.verify_template`);
- the group's purchase settings (MixedInstancesPolicy, Capacity Rebalancing) are in its own answer;
  the instance types its region does not offer were recorded on it (p2p:types-not-offered) when
  Plan last read the offerings, so a no-op run reads no offerings.
"""

from __future__ import annotations

from dataclasses import dataclass

from p2p_core import INFRA_TAG, ZONES_TAG, names
from p2p_core.config import ConfigItem
from p2p_core.config.network import NetworkSettings
from p2p_core.config.validation import show_value
from p2p_core.market import purchase_drifts, recorded_not_offered, region_buying
from p2p_core.models.observed import (
    ObservedAsg,
    ObservedNetwork,
    ObservedRegion,
    ObservedRouteTable,
    ObservedSubnet,
    ObservedVpc,
    SecurityRule,
)
from p2p_core.verify_ipv6 import ipv6_drifts, local_ipv6_block
from p2p_core.verify_template import template_drifts
from p2p_core.wanted import ANYWHERE, BuildInputs, free_blocks, internet, managed_tags, wanted_egress, wanted_ingress

CIDR_CHANGED = "CidrBlockChanged"
NO_ROOM_FOR_SUBNETS = "NoRoomForSubnets"
BLACKHOLE = "blackhole"


@dataclass(frozen=True)
class Refusal:
    """A change Plan refuses for a region: it fails naming the field, untouched."""

    code: str
    message: str


def managed_vpc(network: ObservedNetwork) -> ObservedVpc | None:
    """The region's VPC: as described, else as its route table's `local` route, subnets or group show it."""
    if network.vpcs is not None:
        return network.vpcs[0] if network.vpcs else None
    for table in network.route_tables:
        local = next((r for r in table.routes if r.target == "local" and ":" not in r.destination), None)
        if local is not None:
            ipv6 = local_ipv6_block(table)
            return ObservedVpc(vpc_id=table.vpc_id, cidr_block=local.destination, ipv6_cidr_block=ipv6)
    holders = [s.vpc_id for s in network.subnets] + [g.vpc_id for g in network.security_groups]
    return ObservedVpc(vpc_id=holders[0]) if holders else None


def fleet_subnets(network: ObservedNetwork, vpc_id: str, zones: list[str]) -> dict[str, ObservedSubnet]:
    """The subnet the fleet uses in each of `zones` (the first by id where a zone has several)."""
    chosen: dict[str, ObservedSubnet] = {}
    for subnet in sorted(network.subnets, key=lambda s: s.subnet_id):
        if subnet.vpc_id == vpc_id and subnet.zone in zones:
            chosen.setdefault(subnet.zone, subnet)
    return chosen


def recorded_zones(asg: ObservedAsg | None) -> list[str] | None:
    """The zones the group was built for (its p2p:zones tag); None when unknown."""
    text = asg.tags.get(ZONES_TAG) if asg else None
    return text.split() if text else None


def region_drifts(config: ConfigItem, seen: ObservedRegion, build: BuildInputs, infrastructure_hash: str) -> list[str]:
    """Every way the region differs from the config, in operator words ([] = it matches)."""
    if not seen.exists:
        return []
    drifts = _group_drifts(seen, build, infrastructure_hash)
    if seen.asg is not None:
        asg = seen.asg
        want = region_buying(config.instance.buying(), recorded_not_offered(asg.tags))
        drifts += purchase_drifts(want, asg.policy_types, asg.distribution, asg.capacity_rebalance)
    vpc = managed_vpc(seen.network)
    if vpc is None:
        drifts.append("VPC: gone")
    else:
        zones = recorded_zones(seen.asg)
        drifts += _subnet_drifts(config.network, seen.network, vpc, zones, seen.asg)
        drifts += _route_drifts(config.network, seen.network, vpc, zones)
        tables = [t for t in seen.network.route_tables if t.vpc_id == vpc.vpc_id]
        mine = [s for s in seen.network.subnets if s.vpc_id == vpc.vpc_id]
        fleet = list(fleet_subnets(seen.network, vpc.vpc_id, zones).values()) if zones is not None else mine
        drifts += ipv6_drifts(config.network, vpc, mine, fleet, tables[0] if tables else None)
        drifts += _security_group_drifts(config, seen, vpc)
        drifts += template_drifts(config, seen, vpc, build)
    if config.logs.enabled:
        name = names.agents_log_group(build.stack)
        if seen.log_group is None:
            drifts.append(f"log group {name}: gone")
        elif seen.log_group.retention_days != config.logs.retention_days:
            now = f"{seen.log_group.retention_days} days" if seen.log_group.retention_days else "never expires"
            drifts.append(f"log group retention {now}, want {config.logs.retention_days}")
    return drifts


def _group_drifts(seen: ObservedRegion, build: BuildInputs, infrastructure_hash: str) -> list[str]:
    asg = seen.asg
    if asg is None:
        return ["Auto Scaling group: gone"]
    drifts = []
    if asg.tags.get(INFRA_TAG) != infrastructure_hash:
        drifts.append("settings changed since the region was built (instance, network, logs or agent)")
    if ZONES_TAG not in asg.tags:
        drifts.append(f"Auto Scaling group: tag {ZONES_TAG} missing")
    if asg.suspended_processes:  # the control plane never suspends any: Launch suspended stops the fleet
        drifts.append(f"Auto Scaling group: {suspended_words(asg.suspended_processes)}")
    for key, value in managed_tags(build.stack, seen.region).items():
        have = asg.tags.get(key)
        if have != value:
            drifts.append(f"Auto Scaling group: tag {key} is {show_value(have) if have else 'missing'}, want {value}")
    return drifts


def suspended_words(processes: list[str]) -> str:
    """`processes suspended by hand: Launch, Terminate`."""
    return f"processes suspended by hand: {', '.join(sorted(processes))}"


def _subnet_drifts(
    settings: NetworkSettings,
    network: ObservedNetwork,
    vpc: ObservedVpc,
    zones: list[str] | None,
    asg: ObservedAsg | None,
) -> list[str]:
    mine = [s for s in network.subnets if s.vpc_id == vpc.vpc_id]
    if settings.public_ipv4:
        drifts = [f"subnet {s.subnet_id} in {s.zone}: does not assign public IPs" for s in mine if not s.public]
    else:
        drifts = [
            f"subnet {s.subnet_id} in {s.zone}: assigns public IPv4 addresses, want none (network.public_ipv4 false)"
            for s in mine
            if s.public
        ]
    if zones is None or asg is None:
        return drifts
    used = fleet_subnets(network, vpc.vpc_id, zones)
    known = {s.subnet_id for s in mine}
    gone_zones = [z for z in zones if z not in used]
    gone_ids = [i for i in asg.subnet_ids if i not in known]
    if len(gone_zones) == 1 and len(gone_ids) == 1:  # the group still names the subnet that went
        drifts.append(f"subnet {gone_ids[0]} in {gone_zones[0]} is gone")
    else:
        drifts += [f"subnet in {zone} is gone" for zone in gone_zones]
        drifts += [f"Auto Scaling group: spans {i}, which is gone" for i in gone_ids]
    kept = {s.subnet_id for s in used.values()}
    drifts += [f"subnet {s.subnet_id} in {s.zone}: not used by the fleet" for s in mine if s.subnet_id not in kept]
    drifts += [
        f"Auto Scaling group: does not span {s.subnet_id} ({s.zone})"
        for s in used.values()
        if s.subnet_id not in asg.subnet_ids
    ]
    drifts += [
        f"Auto Scaling group: spans {i}, not a subnet of the fleet"
        for i in asg.subnet_ids
        if i in known and i not in kept
    ]
    return drifts


def _route_drifts(
    settings: NetworkSettings, network: ObservedNetwork, vpc: ObservedVpc, zones: list[str] | None
) -> list[str]:
    tables = [t for t in network.route_tables if t.vpc_id == vpc.vpc_id]
    drifts = _gateway_drifts(network, vpc, tables[0] if tables else None)
    if not tables:
        return [*drifts, "route table: gone"]
    table = tables[0]
    defaults = internet(settings)
    for route in table.routes:
        if route.target != "local" and route.destination not in defaults and route.origin == "CreateRoute":
            drifts.append(f"route table: extra route {route.destination} to {route.target}")
    for zone, subnet in sorted(fleet_subnets(network, vpc.vpc_id, zones or []).items()):
        if subnet.subnet_id not in table.subnet_ids:
            drifts.append(f"route table: subnet {subnet.subnet_id} ({zone}) is not associated")
    return drifts


def _gateway_drifts(network: ObservedNetwork, vpc: ObservedVpc, table: ObservedRouteTable | None) -> list[str]:
    drifts: list[str] = []
    attached = None
    if network.internet_gateways is not None:  # read (a rebuild, or a region without its group)
        attached = next((g.gateway_id for g in network.internet_gateways if vpc.vpc_id in g.vpc_ids), None)
        if attached is None:
            gateways = network.internet_gateways
            drifts.append(
                f"internet gateway {gateways[0].gateway_id}: not attached to the VPC"
                if gateways
                else "internet gateway: gone"
            )
    if table is None:
        return drifts
    default = next((r for r in table.routes if r.destination == ANYWHERE), None)
    if default is None:
        drifts.append("route table: no default route to the internet gateway")
    elif not default.target.startswith("igw-") or (attached is not None and default.target != attached):
        drifts.append(
            f"route table: default route goes to {default.target}, not the internet gateway {attached or ''}".rstrip()
        )
    elif default.state == BLACKHOLE and attached is None:
        drifts.append(f"internet gateway {default.target}: not attached to the VPC (the default route is a blackhole)")
    return drifts


def _security_group_drifts(config: ConfigItem, seen: ObservedRegion, vpc: ObservedVpc) -> list[str]:
    groups = [g for g in seen.network.security_groups if g.vpc_id == vpc.vpc_id]
    if not groups:
        return ["security group: gone"]
    group = groups[0]
    wanted = {"ingress": wanted_ingress(group.group_id, config.network), "egress": wanted_egress(config.network)}
    drifts = []
    for direction, have in (("ingress", group.ingress), ("egress", group.egress)):
        missing, extra = rule_changes(have, wanted[direction])
        drifts += [
            f"security group: missing {direction} {r.words(direction, group.group_id)}" for r in sorted_rules(missing)
        ]
        drifts += [
            f"security group: extra {direction} {r.words(direction, group.group_id)}" for r in sorted_rules(extra)
        ]
    return drifts


def rule_changes(
    have: list[SecurityRule], wanted: frozenset[SecurityRule]
) -> tuple[set[SecurityRule], set[SecurityRule]]:
    """(rules to add, rules to revoke) for a group holding `have`."""
    return set(wanted) - set(have), set(have) - set(wanted)


def sorted_rules(rules: set[SecurityRule]) -> list[SecurityRule]:
    """Rules in a stable order (protocol, ports, peer)."""
    return sorted(rules, key=lambda r: (r.protocol, r.from_port, r.to_port, r.peer))


def refusal(config: ConfigItem, seen: ObservedRegion, infrastructure_hash: str) -> Refusal | None:
    """A change to this region AWS cannot make in place, named by field; None when it can be applied."""
    network, vpc = config.network, managed_vpc(seen.network)
    if vpc is None or vpc.cidr_block is None:
        return None
    changed = cidr_refusal(network, vpc, seen.region)
    if changed is not None:
        return changed
    # the region was built for these settings: its zones are what its zones can be (some offer fewer)
    built = seen.asg is not None and seen.asg.tags.get(INFRA_TAG) == infrastructure_hash
    mine = [s for s in seen.network.subnets if s.vpc_id == vpc.vpc_id]
    zones = len({s.zone for s in mine})
    needed = network.az_number - zones
    if built or needed <= 0:
        return None
    room = len(free_blocks(vpc.cidr_block, network.az_number, {s.cidr_block for s in mine}))
    if room >= needed:
        return None
    return Refusal(
        NO_ROOM_FOR_SUBNETS,
        f"network.az_number {network.az_number} needs {needed} more subnet(s) in {seen.region}, but the VPC's "
        f"{vpc.cidr_block} has room for {room} beside its {zones}: set network.az_number to at most {zones + room}, "
        f"or remove {seen.region} from regions, run, and add it back to rebuild it",
    )


def cidr_refusal(network: NetworkSettings, vpc: ObservedVpc, region: str) -> Refusal | None:
    """network.cidr_block differs from the VPC's: AWS cannot change a VPC's CIDR in place."""
    if vpc.cidr_block is None or vpc.cidr_block == network.cidr_block:
        return None
    return Refusal(
        CIDR_CHANGED,
        f"network.cidr_block {show_value(network.cidr_block)} cannot be applied in place: the VPC {vpc.vpc_id} "
        f"in {region} has {show_value(vpc.cidr_block)} and AWS cannot change a VPC's CIDR. Set it back, or "
        f"remove {region} from regions, run, and add it back to rebuild the region on the new block",
    )
