"""Verification, not trust: every managed resource of a region compared with what the config asks for.

Pure. `region_drifts` walks the resource types (the group first, the log group last, the rest in
registry order: `ResourceKind.report_rank`) and names each difference in
operator words ("security group: extra ingress 22/tcp from 0.0.0.0/0"; `ResourceKind.drifts`);
the planner sends a region with any of them to ReconcileRegion, whose ensure steps build from the
same functions and change only what differs. `refusal` names a change AWS cannot make in place (a
VPC's CIDR): Plan refuses the region instead.

What is read to verify (`p2p_core.reconciler.observe`) and why it is enough is in each type's
module: the VPC and the internet gateway are seen through the route table, the launch template
through the group, the group's purchase settings in its own answer.
"""

from __future__ import annotations

from p2p_core import INFRA_TAG
from p2p_core.config import ConfigItem
from p2p_core.models.observed import ObservedRegion
from p2p_core.resources.auto_scaling_group import recorded_zones
from p2p_core.resources.kind import Verifying
from p2p_core.resources.registry import REGISTRY
from p2p_core.resources.vpc import Refusal, cidr_refusal, managed_vpc
from p2p_core.resources.zones import NO_ROOM_FOR_SUBNETS, free_blocks
from p2p_core.wanted import BuildInputs

REPORT_ORDER = sorted(REGISTRY, key=lambda kind: kind.report_rank)  # stable: registry order within a rank


def region_drifts(config: ConfigItem, seen: ObservedRegion, build: BuildInputs, infrastructure_hash: str) -> list[str]:
    """Every way the region differs from the config, in operator words ([] = it matches)."""
    if not seen.exists:
        return []
    verifying = Verifying(config, seen, build, infrastructure_hash, managed_vpc(seen.network), recorded_zones(seen.asg))
    return [drift for kind in REPORT_ORDER for drift in kind.drifts(verifying)]


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
