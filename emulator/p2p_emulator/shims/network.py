"""Network states AWS reports and moto does not: blackhole routes, subnets still in use.

- A route whose target internet gateway is not attached to the route table's VPC (detached by
  hand, or deleted, which needs a detach first) has `State: blackhole` on AWS ("the route's target
  isn't available"); moto answers `active` for every route. The planner reads a detached gateway
  from this state, so the emulator reports it as AWS does.
- DeleteSubnet fails with `DependencyViolation` on AWS while an instance or any other network
  interface (one made by hand) is in the subnet; moto deletes it anyway.
"""

from __future__ import annotations

from moto.core.common_types import TYPE_RESPONSE
from moto.ec2.models import ec2_backends
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.route_tables import Route

from p2p_emulator.shims import wire

_LIVE_INSTANCE_STATES = ("pending", "running", "stopping", "stopped", "shutting-down")


def _route_state(route: Route) -> str:
    gateway = route.gateway
    if isinstance(gateway, InternetGateway):
        known = gateway.ec2_backend.internet_gateways.get(gateway.id) is gateway
        attached = gateway.vpc is not None and gateway.vpc.id == route.route_table.vpc_id
        if not (known and attached):
            return "blackhole"
    return "active"


def _subnet_in_use(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "ec2" or request.action != "DeleteSubnet":
        return None
    subnet_id = next(iter(request.params().get("SubnetId", [])), None)
    backend = ec2_backends[request.account][request.region]
    for instance in backend.all_instances():
        if instance.subnet_id == subnet_id and instance.state in _LIVE_INSTANCE_STATES:
            return _in_use(request, subnet_id)
    # an instance's own interface counts through its instance (moto keeps it after the instance terminated)
    if any(eni.subnet.id == subnet_id and eni.instance is None for eni in backend.enis.values()):
        return _in_use(request, subnet_id)
    return None


def _in_use(request: wire.Request, subnet_id: str | None) -> TYPE_RESPONSE:
    message = f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
    return request.error("DependencyViolation", message, 400)


def install() -> None:
    """Report blackhole routes; refuse to delete a subnet with instances in it."""
    Route.state = property(_route_state)  # type: ignore[method-assign,assignment]
    wire.rule(before=_subnet_in_use)
