"""Every AWS call a Lambda handler makes is authorized against that function's role before moto runs it.

The emulator gives every client of each function's factory (one per function, as each Lambda
function has its own role; handler_clients.py) two botocore hooks: `before-parameter-build` keeps
the API parameters, `before-call` evaluates every authorization request the call makes (requests.py)
against the role's policies (evaluate.py) and, on a denial, answers with the error AWS returns —
EC2's `UnauthorizedOperation`, `AccessDeniedException` for JSON APIs, `AccessDenied` otherwise — so
the step or region fails as it would on AWS. The operator's own calls (the CLI, the tests' checks) are not enforced.
Each call also names its role and session in headers, for CloudTrail's record of it (shims/cloudtrail.py).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.model import OperationModel

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_emulator import handler_clients
from p2p_emulator.iam.evaluate import Decision, Request, decide
from p2p_emulator.iam.live import LiveState
from p2p_emulator.iam.reference import UnknownToReference
from p2p_emulator.iam.requests import AUTOSCALING_SERVICE, Call, Unresolvable, requests_for
from p2p_emulator.shims import cloudtrail, task_roles
from p2p_emulator.shims.wire import INTERNAL_HEADER

_PARAMS = "p2p_iam_params"
_INTERNAL_KEY = "p2p-emulator-iam"
_AFTER = "p2p_iam_after"
# botocore's signing name -> IAM service prefix, where they differ
_PREFIX = {"monitoring": "cloudwatch"}


@dataclass(frozen=True)
class Statement:
    """One statement of a role's policies, named `policy/Sid` (or `policy#index`) for messages."""

    name: str
    body: Mapping[str, Any]


@dataclass
class Principal:
    """A Lambda function's role as template.yaml defines it: its ARN and every statement of its policies."""

    function_name: str
    role_arn: str
    statements: list[Statement]

    @property
    def context(self) -> dict[str, str]:
        """The principal's own condition keys, in every request it makes (a role has no aws:username)."""
        return {
            "aws:PrincipalAccount": self.role_arn.split(":")[4],
            "aws:PrincipalArn": self.role_arn,
            "aws:PrincipalType": "AssumedRole",
        }

    @property
    def assumed_role(self) -> str:
        """The caller as AWS names it in an access-denied message."""
        account = self.role_arn.split(":")[4]
        session = self.function_name.rsplit(":", 1)[-1]  # a state machine's principal is named by its ARN
        return f"arn:aws:sts::{account}:assumed-role/{self.role_arn.rsplit('/', 1)[-1]}/{session}"

    def without(self, statement_name: str) -> Principal:
        """The same role with one statement removed (tests: which step needs it)."""
        kept = [s for s in self.statements if s.name != statement_name]
        if len(kept) == len(self.statements):
            raise KeyError(f"{self.function_name} has no statement {statement_name!r}")
        return Principal(self.function_name, self.role_arn, kept)


@dataclass(frozen=True)
class Denial:
    """A call the emulator refused, as recorded for tests and logs."""

    function_name: str
    action: str
    resource: str
    reason: str


@dataclass
class Enforcer:
    """The principals of the deployed functions and the denials so far."""

    principals: dict[str, Principal] = field(default_factory=dict)
    denials: list[Denial] = field(default_factory=list)
    _live: dict[str | None, LiveState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, deployment: Deployment, client: Any) -> None:
        """Enforce the calls of a function's client (functions only, never the CLI); whether the function has a
        principal is decided at each call, so a client made before a deploy is enforced after it."""
        name = deployment.function_name
        if name is None:
            return
        live = self.live_state(deployment.endpoint_url)
        client.meta.events.register("before-parameter-build", _keep_params)
        client.meta.events.register("before-call", lambda **kw: self._authorize(name, live, **kw))
        client.meta.events.register("after-call", lambda **kw: _side_effects(live, **kw))
        client.meta.events.register("before-sign", lambda **kw: self._name_caller(name, **kw))

    def _name_caller(self, function_name: str, request: Any, **_: Any) -> None:
        # the function's role and session, for the records CloudTrail makes of its calls (shims/cloudtrail.py)
        principal = self.principals.get(function_name)
        if principal is not None:
            for header, value in cloudtrail.caller_headers(principal.assumed_role, principal.role_arn).items():
                request.headers[header] = value

    def revoke(self, statement_name: str) -> list[str]:
        """Remove a statement from every role that has it (as editing a shared managed policy would)."""
        touched = [n for n, p in self.principals.items() if any(s.name == statement_name for s in p.statements)]
        if not touched:
            raise KeyError(f"no deployed role has a statement {statement_name!r}")
        for name in touched:
            self.principals[name] = self.principals[name].without(statement_name)
        return touched

    def live_state(self, endpoint_url: str | None) -> LiveState:
        """IAM's reads of the account behind `endpoint_url` (None: in-process moto)."""
        with self._lock:
            if endpoint_url not in self._live:
                # IAM's own credentials: a caller with none in its environment (an agent's process) is still read
                own = boto3.Session(aws_access_key_id=_INTERNAL_KEY, aws_secret_access_key=_INTERNAL_KEY)
                own.events.register("before-sign", _mark_internal)
                reads = ClientFactory(endpoint_url=endpoint_url, session=own)
                self._live[endpoint_url] = LiveState(reads)
            return self._live[endpoint_url]

    def _authorize(
        self, function_name: str, live: LiveState, model: OperationModel, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        principal = self.principals.get(function_name)
        if principal is None:  # a function this deployment does not enforce
            return None
        service = model.service_model.signing_name
        call = Call(
            service=_PREFIX.get(service, service),
            operation=model.name,
            params=context.get(_PARAMS, {}),
            region=str(context.get("client_region")),
            account=principal.role_arn.split(":")[4],
        )
        try:
            requests = requests_for(call, live)
        except (UnknownToReference, Unresolvable) as exc:
            return self._deny(principal, model, Request(f"{call.service}:{call.operation}", "*"), str(exc))
        for request in requests:
            decision = evaluate(principal, request)
            if not decision.allowed:
                return self._deny(principal, model, request, decision.reason)
        if any(r.action == "iam:CreateServiceLinkedRole" for r in requests):
            context[_AFTER] = AUTOSCALING_SERVICE
        return None

    def _deny(
        self, principal: Principal, model: OperationModel, request: Request, reason: str
    ) -> tuple[AWSResponse, dict[str, Any]]:
        self.denials.append(Denial(principal.function_name, request.action, request.resource, reason))
        return _error_response(model, denial_message(principal, request, reason))


def denial_message(principal: Principal, request: Request, reason: str) -> str:
    """AWS's access-denied message for `principal` (with our reason: which statement, which implied check)."""
    implied = f" ({request.why})" if request.why else ""
    return (
        f"User: {principal.assumed_role} is not authorized to perform: {request.action} "
        f"on resource: {request.resource} because {reason}{implied}"
    )


def error_code(endpoint_prefix: str, protocol: str, message: str) -> tuple[str, str]:
    """The code (and message) AWS answers a denial with: EC2's own, JSON APIs' and the query APIs'."""
    if endpoint_prefix == "ec2":
        return "UnauthorizedOperation", f"You are not authorized to perform this operation. {message}"
    return ("AccessDeniedException" if protocol in ("json", "rest-json") else "AccessDenied"), message


def evaluate(principal: Principal, request: Request) -> Decision:
    """One request against every statement of the principal's role, with the principal's condition keys."""
    with_principal = replace(request, context={**principal.context, **request.context})
    return decide(((s.name, s.body) for s in principal.statements), with_principal)


def _mark_internal(request: Any, **_: Any) -> None:
    # IAM's reads of live tags are AWS reading its own state: no emulated behaviour (consistency, faults) applies
    request.headers[INTERNAL_HEADER] = "1"


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = dict(params)


def _side_effects(live: LiveState, http_response: Any, context: dict[str, Any], **_: Any) -> None:
    # AWS creates a service's linked role on the first use by a caller allowed to create it
    if context.get(_AFTER) and http_response.status_code < 300:
        live.create_service_linked_role(context[_AFTER])


def _error_response(model: OperationModel, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    service = model.service_model
    code, message = error_code(service.endpoint_prefix, service.protocol, message)
    request_id = str(uuid.uuid4())
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": 403, "RequestId": request_id, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return AWSResponse("https://emulator.invalid/iam", 403, HTTPHeaders(), None), parsed


ENFORCER = Enforcer()
_installed = False
_install_lock = threading.Lock()


def enforce(principals: list[Principal]) -> Enforcer:
    """Authorize every call of these functions from now on; returns the process's enforcer."""
    global _installed
    with _install_lock:
        if not _installed:
            handler_clients.on_new_client(ENFORCER.attach)
            _installed = True
        for principal in principals:
            ENFORCER.principals[principal.function_name] = principal
    return ENFORCER


def authorize_state_machines(principals: list[Principal]) -> None:
    """Authorize the tasks of these state machines (principals named by their ARN) against their roles; service
    roles (the Scheduler's, the Pipe's) are registered the same way, for `service_denial` and `revoke`."""
    with _install_lock:
        for principal in principals:
            ENFORCER.principals[principal.function_name] = principal
    task_roles.set_authorizer(_authorize_task)


def _authorize_task(machine_arn: str, action: str, resource: str) -> str | None:
    principal = ENFORCER.principals.get(machine_arn)
    return None if principal is None else service_denial(principal, action, resource)


def service_denial(principal: Principal, action: str, resource: str) -> str | None:
    """AWS's message when `principal` (a state machine's, the Scheduler's or the Pipe's role, as ENFORCER holds it
    now) may not call `action` on `resource`; None when it may."""
    principal = ENFORCER.principals.get(principal.function_name, principal)  # revoked statements stay revoked
    region = resource.split(":")[3] if resource.startswith("arn:") else ""
    decision = evaluate(principal, Request(action, resource, {"aws:RequestedRegion": region}))
    if decision.allowed:
        return None
    ENFORCER.denials.append(Denial(principal.function_name, action, resource, decision.reason))
    return (
        f"User: {principal.assumed_role} is not authorized to perform: {action} on resource: {resource} "
        f"because {decision.reason}"
    )
