"""CloudTrail's "AWS API Call via CloudTrail" events for the write calls a trail records; moto 5.2.5 sends none.

On AWS, CloudTrail delivers each management event it records to the default bus of the region where
the call was made (`source` `aws.ec2`, `detail-type` `AWS API Call via CloudTrail`, the CloudTrail
record as `detail`). Here, after every successful write call to EC2, EC2 Auto Scaling or CloudWatch
Logs (when the account's AWS events are on, shims/aws_events.py), the same event is put on the region's
default bus when `write_events_recorded` says a trail records it.

- Read-only, as CloudTrail marks `readOnly`: an operation named Describe*, Get*, List*, Lookup*, Search*,
  Filter* or Test* (`is_read_only`); anything else is a write. `PutLogEvents` is a data event, never a
  management event. AWS also records calls that failed (with `errorCode`); the emulator sends successful
  calls only, the ones that change something.
- Recorded: a trail that is logging (StartLogging), is multi-region or in that region, and whose event
  selectors include write management events of that service: basic selectors with ReadWriteType `All` or
  `WriteOnly`, IncludeManagementEvents and the source not excluded; or an advanced selector whose field
  selectors all admit eventCategory `Management`, readOnly `false`, the source and the call's name (a field
  selector on anything else narrows nothing here). A new trail has AWS's default selector (All, management
  events), which moto left empty; a PutEventSelectors of one kind replaces the other kind, as on AWS. `p2pctl
  doctor` judges a trail read through the API the same way (cli/p2pctl/doctor_trail.py; test_aws_events.py
  holds the two to one answer).
- Who called (`userIdentity`): a deployed function's client says its role and session in two headers
  (iam/enforce.py adds them), a call signed with an instance role's key id is that role (`sign_as`,
  iam/sessions.py), both `AssumedRole` with the role as `sessionContext.sessionIssuer`; any other call is
  the operator, moto's default `IAMUser`.

This module's reach into moto: its CloudTrail `Trail` model (read here, default selectors patched).
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from botocore import parsers
from botocore.model import Shape
from moto.cloudtrail.models import Trail, cloudtrail_backends
from moto.core.common_types import TYPE_RESPONSE
from moto.core.utils import get_service_model

from p2p_emulator.shims import aws_events, clock, wire

EVENT_SOURCES = {"ec2": "ec2.amazonaws.com", "autoscaling": "autoscaling.amazonaws.com", "logs": "logs.amazonaws.com"}
READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Lookup", "Search", "Filter", "Test")
DATA_EVENTS = {("logs", "PutLogEvents")}
DEFAULT_SELECTOR = {
    "ReadWriteType": "All",
    "IncludeManagementEvents": True,
    "DataResources": [],
    "ExcludeManagementEventSources": [],
}
ROLE_HEADER = "x-p2p-emulator-role-arn"
SESSION_HEADER = "x-p2p-emulator-role-session"
OPERATOR = "moto"  # moto's default caller: user/moto

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_signed: dict[str, tuple[str, str]] = {}  # access key id -> (role ARN, session name)
_lock = threading.Lock()
_original_trail_init = Trail.__init__
_original_put_selectors = Trail.put_event_selectors


def install() -> None:
    """Give new trails AWS's default selector and put CloudTrail's events for recorded write calls."""
    Trail.__init__ = _trail_init  # type: ignore[method-assign]
    Trail.put_event_selectors = _put_event_selectors  # type: ignore[method-assign]
    wire.rule(after=_record_write)


def is_read_only(operation: str) -> bool:
    """CloudTrail's `readOnly` for an operation, by its name."""
    return operation.startswith(READ_ONLY_PREFIXES)


def write_events_recorded(
    account: str, region: str, event_source: str = "ec2.amazonaws.com", event_name: str | None = None
) -> bool:
    """True when a logging trail of the account records `event_source`'s write management events in `region` (that
    call's, when `event_name` is given: an advanced selector may name calls)."""
    trails = [t for backend in cloudtrail_backends[account].values() for t in list(backend.trails.values())]
    event = {"eventCategory": "Management", "readOnly": "false", "eventSource": event_source}
    if event_name is not None:
        event["eventName"] = event_name
    return any(
        trail.status.is_logging
        and (trail.is_multi_region or trail.region_name == region)
        and _selects_writes(trail, event)
        for trail in trails
    )


def sign_as(access_key_id: str, role_arn: str, session: str) -> None:
    """Calls signed with `access_key_id` are made by `role_arn`'s session `session` (an instance role's)."""
    with _lock:
        _signed[access_key_id] = (role_arn, session)


def caller_headers(assumed_role: str, role_arn: str) -> dict[str, str]:
    """The headers a deployed function's call carries: its role and the session (named after the function)."""
    return {ROLE_HEADER: role_arn, SESSION_HEADER: assumed_role.rsplit("/", 1)[-1]}


def _trail_init(self: Trail, *args: Any, **kwargs: Any) -> None:
    _original_trail_init(self, *args, **kwargs)
    self.event_selectors = [dict(DEFAULT_SELECTOR)]


def _put_event_selectors(
    self: Trail, event_selectors: list[dict[str, Any]], advanced_event_selectors: list[dict[str, Any]]
) -> None:
    _original_put_selectors(self, event_selectors, advanced_event_selectors)
    if event_selectors:
        self.advanced_event_selectors = []


def _selects_writes(trail: Trail, event: Mapping[str, str]) -> bool:
    if not trail.event_selectors and not trail.advanced_event_selectors:
        return True  # CloudTrail's default: every management event
    if trail.advanced_event_selectors:
        return any(_admits(s.get("FieldSelectors", []), event) for s in trail.advanced_event_selectors)
    return any(
        s.get("IncludeManagementEvents", True) not in (False, "false")
        and s.get("ReadWriteType", "All") in ("All", "WriteOnly")
        and event["eventSource"] not in s.get("ExcludeManagementEventSources", [])
        for s in trail.event_selectors
    )


def _admits(field_selectors: list[dict[str, Any]], event: Mapping[str, str]) -> bool:
    """True when every field selector admits the event; one on a field the event does not carry here (eventName
    when only the source is asked about, userIdentity.arn) narrows nothing the emulator can tell, and admits it."""
    for selector in field_selectors:
        value = event.get(selector.get("Field", ""))
        if value is not None and not all(_holds(op, value, selector[op]) for op in _OPERATORS if selector.get(op)):
            return False
    return True


_OPERATORS = ("Equals", "NotEquals", "StartsWith", "NotStartsWith", "EndsWith", "NotEndsWith")


def _holds(operator: str, value: str, values: list[str]) -> bool:
    negated = operator.startswith("Not")
    kind = operator.removeprefix("Not")
    if kind == "Equals":
        found = value in values
    elif kind == "StartsWith":
        found = any(value.startswith(v) for v in values)
    else:
        found = any(value.endswith(v) for v in values)
    return found != negated


def _record_write(request: wire.Request, response: TYPE_RESPONSE) -> None:
    source = EVENT_SOURCES.get(request.service)
    if source is None or not aws_events.aws_events_enabled() or response[0] >= 300:
        return
    if is_read_only(request.action) or (request.service, request.action) in DATA_EVENTS:
        return
    if not write_events_recorded(request.account, request.region, source, request.action):
        return
    detail = api_call_detail(request, response)
    aws_events.put_aws_event(
        request.account, request.region, f"aws.{request.service}", "AWS API Call via CloudTrail", detail, []
    )


def api_call_detail(request: wire.Request, response: TYPE_RESPONSE) -> dict[str, Any]:
    """The CloudTrail record of a call, as the event's `detail`."""
    headers = getattr(request.response, "headers", None) or {}
    operation = get_service_model(request.service).operation_model(request.action)
    ec2 = request.service == "ec2"
    request_id = str(response[1].get("x-amzn-RequestId") or uuid.uuid4())
    return {
        "eventVersion": "1.09",
        "userIdentity": _identity(request.account, headers),
        "eventTime": f"{clock.now():%Y-%m-%dT%H:%M:%SZ}",
        "eventSource": EVENT_SOURCES[request.service],
        "eventName": request.action,
        "awsRegion": request.region,
        "sourceIPAddress": "127.0.0.1",
        "userAgent": str(headers.get("User-Agent", "")),
        "requestParameters": _cloudtrail_form(request.api_params(), operation.input_shape, ec2),
        "responseElements": _response_elements(response, request.protocol, operation.output_shape, ec2),
        "requestID": request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": request.account,
        "eventCategory": "Management",
    }


def _identity(account: str, headers: Mapping[str, Any]) -> dict[str, Any]:
    found = _CREDENTIAL.search(str(headers.get("Authorization", "")))
    key = found.group(1) if found else ""
    role_arn, session = headers.get(ROLE_HEADER), headers.get(SESSION_HEADER)
    if not role_arn:
        role_arn, session = _signed.get(key, (None, None))
    if not role_arn:
        user = f"AIDA{_digest(OPERATOR)}"
        arn = f"arn:aws:iam::{account}:user/{OPERATOR}"
        return {
            "type": "IAMUser",
            "principalId": user,
            "arn": arn,
            "accountId": account,
            "accessKeyId": key,
            "userName": OPERATOR,
        }
    role_name = str(role_arn).rsplit("/", 1)[-1]
    role_id = f"AROA{_digest(str(role_arn))}"
    return {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
        "accountId": account,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": role_arn,
                "accountId": account,
                "userName": role_name,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": f"{clock.now():%Y-%m-%dT%H:%M:%SZ}", "mfaAuthenticated": "false"},
        },
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:17].upper()


def _response_elements(response: TYPE_RESPONSE, protocol: str, shape: Shape | None, ec2: bool) -> Any:
    if shape is None:
        return None
    status, headers, body = response
    raw = {"body": body if isinstance(body, bytes) else str(body).encode(), "headers": headers, "status_code": status}
    parsed = parsers.create_parser(protocol).parse(raw, shape)
    parsed.pop("ResponseMetadata", None)
    return _cloudtrail_form(parsed, shape, ec2) or None


def _cloudtrail_form(value: Any, shape: Shape | None, ec2: bool) -> Any:
    """A value in CloudTrail's form: lowerCamel member names, typed scalars, EC2's lists as `{"items": [...]}`."""
    if isinstance(value, Mapping):
        members = getattr(shape, "members", {}) or {}
        return {_camel(k): _cloudtrail_form(v, members.get(k), ec2) for k, v in value.items()}
    if isinstance(value, list):
        items = [_cloudtrail_form(v, getattr(shape, "member", None), ec2) for v in value]
        return {"items": items} if ec2 else items
    kind = getattr(shape, "type_name", "")
    if isinstance(value, str) and kind in ("integer", "long"):
        return int(value) if value.lstrip("-").isdigit() else value
    if isinstance(value, str) and kind == "boolean":
        return value.lower() == "true"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else value


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]
