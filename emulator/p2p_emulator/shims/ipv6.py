"""IPv6 block rules AWS enforces and moto does not (dual stack, `network.ipv6`).

- DisassociateSubnetCidrBlock of a subnet's IPv6 block: AWS answers `InvalidCidrBlock.InUse` while
  the subnet has AssignIpv6AddressOnCreation on ("may not be disassociated, because its subnet has
  assign-ipv6-address-on-creation set to true"), or while an instance in it holds an IPv6 address.
- DisassociateVpcCidrBlock of the VPC's IPv6 block: `InvalidCidrBlock.InUse` while a subnet still
  holds a block within it.
- ModifySubnetAttribute AssignIpv6AddressOnCreation=true: `InvalidParameterValue` unless the subnet
  holds an IPv6 block.
moto carries all three out. The reconciler's order (stop assigning, release the subnets' blocks, then
the VPC's; associate before assigning) is what AWS needs, and these rules make a wrong order fail here.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.ec2.models import ec2_backends

from p2p_emulator.shims import wire

_LIVE = ("associating", "associated")


def _held(associations: list[dict[str, Any]]) -> dict[str, str]:
    """{association id: block} of a moto subnet's or VPC's IPv6 associations that still hold."""
    found = {}
    for item in associations:
        # moto's subnets spell them ipv6CidrBlock/ipv6CidrBlockState.State, its VPCs cidr_block/cidr_block_state.state
        state_of = item.get("ipv6CidrBlockState") or item.get("cidr_block_state") or {}
        state = str(state_of.get("State") or state_of.get("state") or "")
        block = str(item.get("ipv6CidrBlock") or item.get("cidr_block") or "")
        if ":" in block and state in _LIVE:
            found[str(item.get("associationId") or item.get("association_id"))] = block
    return found


def _subnet_blocks(subnet: Any) -> dict[str, str]:
    return _held(list(subnet.ipv6_cidr_block_associations.values()))


def _subnet_rules(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "ec2" or request.action not in ("DisassociateSubnetCidrBlock", "ModifySubnetAttribute"):
        return None
    params = request.params()
    backend = ec2_backends[request.account][request.region]
    if request.action == "ModifySubnetAttribute":
        if params.get("AssignIpv6AddressOnCreation.Value", [""])[0].lower() != "true":
            return None
        subnet_id = params.get("SubnetId", [""])[0]
        if not _subnet_blocks(backend.get_subnet(subnet_id)):
            message = (
                "Invalid value 'true' for assign-ipv6-address-on-creation. Cannot set assign-ipv6-address-on-creation "
                f"to true unless the subnet ({subnet_id}) has an IPv6 CIDR block associated with it."
            )
            return request.error("InvalidParameterValue", message, 400)
        return None
    association_id = params.get("AssociationId", [""])[0]
    for subnet in _subnets(backend):
        if association_id not in _subnet_blocks(subnet):
            continue
        if subnet.assign_ipv6_address_on_creation:
            message = (
                f"The subnet IPv6 CIDR block with association ID {association_id} may not be disassociated, "
                "because its subnet has assign-ipv6-address-on-creation set to true."
            )
            return request.error("InvalidCidrBlock.InUse", message, 400)
    return None


def _subnets(backend: Any) -> list[Any]:
    return [s for by_zone in backend.subnets.values() for s in by_zone.values()]


def _vpc_rule(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "ec2" or request.action != "DisassociateVpcCidrBlock":
        return None
    association_id = request.params().get("AssociationId", [""])[0]
    backend = ec2_backends[request.account][request.region]
    for vpc in backend.vpcs.values():
        held = _held(vpc.get_cidr_block_association_set(ipv6=True))
        if association_id not in held:
            continue
        in_use = [s for s in _subnets(backend) if s.vpc_id == vpc.id and _subnet_blocks(s)]
        if in_use:
            message = f"The vpc {vpc.id} currently has a subnet within CIDR block {held[association_id]}"
            return request.error("InvalidCidrBlock.InUse", message, 400)
    return None


def install() -> None:
    """Refuse what AWS refuses about IPv6 blocks."""
    wire.rule(before=_subnet_rules)
    wire.rule(before=_vpc_rule)
