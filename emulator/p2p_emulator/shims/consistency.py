"""Eventual consistency: a just-created resource answers `*.NotFound` to its first uses, as EC2 may.

AWS documents that a resource created by one call may not yet be known to the next. moto knows it
at once, so code that never retries would pass here and fail on AWS. The emulator models it: the id
of a VPC, internet gateway, subnet, route table, security group or launch template created by a
request is *unseen* for its next `uses` requests that name it (in their parameters); each of those
fails with the id's NotFound code (Auto Scaling: a ValidationError saying it does not exist), then
the id is known. A describe whose answer shows the id also makes it known (it has propagated).

Not modelled: deletes (AWS answers NotFound, which deleters treat as done; the reconciler deletes
only what a describe returned) and launch templates naming a security group (EC2 does not check
LaunchTemplateData until a launch).
"""

from __future__ import annotations

import re
import threading

from moto.core.common_types import TYPE_RESPONSE

from p2p_emulator.shims import wire

DEFAULT_UNSEEN_USES = 1

# the create action, the response element holding the new id
_CREATES = {
    "CreateVpc": "vpcId",
    "CreateInternetGateway": "internetGatewayId",
    "CreateSubnet": "subnetId",
    "CreateRouteTable": "routeTableId",
    "CreateSecurityGroup": "groupId",
    "CreateLaunchTemplate": "launchTemplateId",
}
# what EC2 answers for an id it does not know, by id prefix
_NOT_FOUND = {
    "vpc": ("InvalidVpcID.NotFound", "The vpc ID '{id}' does not exist"),
    "igw": ("InvalidInternetGatewayID.NotFound", "The internetGateway ID '{id}' does not exist"),
    "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '{id}' does not exist"),
    "rtb": ("InvalidRouteTableID.NotFound", "The routeTable ID '{id}' does not exist"),
    "sg": ("InvalidGroup.NotFound", "The security group '{id}' does not exist"),
    "lt": ("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID {id}, does not exist."),
}
_UNCHECKED = ("Describe", "Delete", "CreateLaunchTemplate")

_uses = DEFAULT_UNSEEN_USES
_unseen: dict[str, int] = {}  # id -> failing uses left
_lock = threading.Lock()


def eventual_consistency(uses: int = DEFAULT_UNSEEN_USES) -> None:
    """Every resource created from now on fails its first `uses` uses (0: AWS at its most consistent)."""
    global _uses
    if uses < 0:
        raise ValueError(f"uses must be >= 0, got {uses}")
    with _lock:
        _uses = uses
        _unseen.clear()


def unseen_ids() -> dict[str, int]:
    """Ids not yet known to the API, with their failing uses left (tests read this)."""
    with _lock:
        return dict(_unseen)


def install() -> None:
    """Make created ids unseen and fail the requests that use them too early."""
    wire.rule(before=_too_early, after=_observe)


def _too_early(request: wire.Request) -> TYPE_RESPONSE | None:
    if not _unseen or request.service not in ("ec2", "autoscaling") or request.action.startswith(_UNCHECKED):
        return None
    with _lock:
        named = [value for value in sorted(request.values()) if value in _unseen]
        if not named:
            return None
        resource = named[0]
        _unseen[resource] -= 1
        if _unseen[resource] <= 0:
            del _unseen[resource]
    code, message = _NOT_FOUND[resource.split("-", 1)[0]]
    if request.service == "autoscaling":  # Auto Scaling says it with a ValidationError
        prefix = "You must use a valid fully-formed launch template. " if code.startswith("InvalidLaunch") else ""
        return request.error("ValidationError", prefix + message.format(id=resource), 400)
    return request.error(code, message.format(id=resource), 400)


def _observe(request: wire.Request, response: TYPE_RESPONSE) -> None:
    status, _, body = response
    if request.service not in ("ec2", "autoscaling") or int(status) >= 300:
        return
    action = request.action
    text = body.decode() if isinstance(body, bytes) else str(body)
    with _lock:
        if action.startswith("Describe") and _unseen:
            for resource in [r for r in _unseen if r in text]:
                del _unseen[resource]
        element = _CREATES.get(action)
        if element is not None and _uses > 0:
            found = re.search(f"<{element}>([^<]+)</{element}>", text)
            if found:
                _unseen[found.group(1)] = _uses
