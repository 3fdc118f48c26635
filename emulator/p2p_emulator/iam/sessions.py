"""Calls signed with an instance role's credentials are authorized against that role, at moto's side.

On AWS the software of an instance (the agent runner, the CloudWatch agent, the SSM agent) signs its calls
with the temporary credentials IMDS hands out for the instance profile's role, and IAM evaluates each call
against that role. The emulator does the same for the agents' role: `instance_role` registers the role
under the access key id the emulator's IMDS (moto's) hands out, and a rule on moto's dispatch
(shims/wire.py) authorizes every request signed with that key id with the same code as the Lambda roles
(requests.py, evaluate.py), answering AWS's access-denied error when a statement denies or none allows.
Requests signed with any other key are not checked here (the handlers' are checked at their clients).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.instance_metadata.responses import INSTANCE_METADATA

from p2p_emulator.iam.enforce import ENFORCER, Denial, Principal, denial_message, error_code, evaluate
from p2p_emulator.iam.evaluate import Request
from p2p_emulator.iam.reference import UnknownToReference
from p2p_emulator.iam.requests import Call, Unresolvable, requests_for
from p2p_emulator.shims import cloudtrail, wire

# the AccessKeyId moto's IMDS hands out at /latest/meta-data/iam/security-credentials/<role>
IMDS_ACCESS_KEY = "test-key"
# AWS names an instance role's session after the instance
INSTANCE_ID = INSTANCE_METADATA["instance-id"]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_roles: dict[str, Principal] = {}
_lock = threading.Lock()


def instance_role(principal: Principal, access_key_id: str = IMDS_ACCESS_KEY) -> None:
    """Authorize every request signed with `access_key_id` against `principal` from now on."""
    with _lock:
        _roles[access_key_id] = principal
    cloudtrail.sign_as(access_key_id, principal.role_arn, principal.assumed_role.rsplit("/", 1)[-1])
    wire.install()
    wire.rule(before=authorize_signed)


def forget(access_key_id: str = IMDS_ACCESS_KEY) -> None:
    """Stop authorizing requests signed with `access_key_id` (tests: the next module's server is unenforced)."""
    with _lock:
        _roles.pop(access_key_id, None)


def authorize_signed(request: wire.Request) -> TYPE_RESPONSE | None:
    """The wire rule: AWS's access-denied answer when the signing role may not make this call, else None."""
    principal = _roles.get(_access_key(request.response) or "")
    if principal is None:
        return None
    account = principal.role_arn.split(":")[4]
    call = Call(request.service, request.action, request.api_params(), request.region, account)
    try:
        found = requests_for(call, ENFORCER.live_state(_endpoint(request.response)))
    except (UnknownToReference, Unresolvable) as exc:
        return _deny(request, principal, Request(f"{call.service}:{call.operation}", "*"), str(exc))
    for one in found:
        decision = evaluate(principal, one)
        if not decision.allowed:
            return _deny(request, principal, one, decision.reason)
    return None


def _deny(request: wire.Request, principal: Principal, denied: Request, reason: str) -> TYPE_RESPONSE:
    ENFORCER.denials.append(Denial(principal.function_name, denied.action, denied.resource, reason))
    code, message = error_code(request.service, request.protocol, denial_message(principal, denied, reason))
    # JSON APIs answer an access denial with 400, EC2 and the query APIs with 403
    return request.error(code, message, 400 if request.protocol == "json" else 403)


def _access_key(response: Any) -> str | None:
    """The access key id of the SigV4 signature (moto's own parse knows only 20-character AKIA-style ids)."""
    found = _CREDENTIAL.search(str((getattr(response, "headers", None) or {}).get("Authorization", "")))
    return found.group(1) if found else None


def _endpoint(response: Any) -> str | None:
    """The moto server the request came to (IAM reads live tags there); None in process (moto's mock)."""
    host = str((getattr(response, "headers", None) or {}).get("Host", ""))
    return None if not host or host.endswith(".amazonaws.com") else f"http://{host}"
