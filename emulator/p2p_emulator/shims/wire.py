"""One hook around every request moto answers, so behaviours of AWS that moto lacks are modelled at its side.

Every client of the emulator (the handlers, the CLI, a plain boto3 script against `p2pctl local`)
goes through moto's `BaseResponse.call_action`. A behaviour registers a `Rule`: `before` may answer
the request itself (an AWS error, a replayed result, an answer moto gives wrongly); `after` sees the
answer moto gave. Errors are serialized by moto's own protocol serializers, so each client gets
them in its service's wire format (EC2 XML, query XML, JSON).
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model

# AWS reading its own state (the emulator's IAM check reads live tags): no behaviour applies to it
INTERNAL_HEADER = "x-p2p-emulator-internal"

Before = Callable[["Request"], TYPE_RESPONSE | None]
After = Callable[["Request", TYPE_RESPONSE], None]


class AwsError(ServiceException):
    """An AWS error with any code, serialized in the calling service's protocol."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Request:
    """What a rule reads of one request: service, region, account, action and its query parameters."""

    response: BaseResponse

    @property
    def service(self) -> str:
        return str(self.response.boto3_service_name)

    @property
    def region(self) -> str:
        return str(self.response.region)

    @property
    def account(self) -> str:
        return str(self.response.current_account)

    @property
    def action(self) -> str:
        return str(self.response._get_action())

    @property
    def internal(self) -> bool:
        """True for the emulator's own reads of the account (never faulted, never observed)."""
        headers = getattr(self.response, "headers", None) or {}
        return bool(headers.get(INTERNAL_HEADER))

    @property
    def protocol(self) -> str:
        return str(get_service_model(self.service).protocol)

    def params(self) -> dict[str, list[str]]:
        """Query-protocol parameters (EC2, Auto Scaling), flattened as sent: `LaunchTemplate.LaunchTemplateId`."""
        query = getattr(self.response, "querystring", None) or {}
        return {str(k): [str(v) for v in values] for k, values in query.items() if k != "Action"}

    def api_params(self) -> dict[str, Any]:
        """The call's API parameters as the caller sent them (JSON body, or moto's parse of the query/CBOR body)."""
        response: Any = self.response
        if getattr(response, "automated_parameter_parsing", False):
            return dict(response.params)
        if self.protocol == "json":
            body = response.body or "{}"
            parsed: dict[str, Any] = json.loads(body if isinstance(body, str) else body.decode())
            return parsed
        return dict(response._get_params())

    def values(self) -> set[str]:
        """Every parameter value, comma-separated lists split (`VPCZoneIdentifier`)."""
        return {part.strip() for values in self.params().values() for v in values for part in v.split(",")}

    def error(self, code: str, message: str, status: int) -> TYPE_RESPONSE:
        """The AWS error `code` as this service's protocol sends it."""
        return self.answer(AwsError(code, message), status)

    def answer(self, result: dict[str, Any] | Exception, status: int | None = None) -> TYPE_RESPONSE:
        """A result (or error) serialized as moto would for this action."""
        code, headers, body = self.response.serialized(ActionResult(result))
        if status is not None:
            code = status
            headers["status"] = str(status)
        return code, headers, body


_before: list[Before] = []
_after: list[After] = []
_atomic: set[tuple[str, str]] = set()
_atomic_lock = threading.Lock()
_lock = threading.Lock()
_installed = False
_original = BaseResponse.call_action


def install() -> None:
    """Route every request through the rules (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        # moto warns when an error code is not in the service model; AWS's auth errors never are
        warnings.filterwarnings("ignore", message=r"Exception\(AwsError\) with code", category=UserWarning)
        BaseResponse.call_action = _call_action  # type: ignore[method-assign]
        _installed = True


def rule(before: Before | None = None, after: After | None = None) -> None:
    """Add a rule (once: a rule already added is not added again)."""
    with _lock:
        if before is not None and before not in _before:
            _before.append(before)
        if after is not None and after not in _after:
            _after.append(after)


def atomic(service: str, *actions: str) -> None:
    """Answer these actions one at a time.

    AWS applies a conditional write atomically; moto checks the condition and then writes, so two
    concurrent conditional writes (two runs taking the lease at once) could both succeed.
    """
    with _lock:
        _atomic.update((service, action) for action in actions)


def _call_action(self: BaseResponse) -> TYPE_RESPONSE:
    request = Request(self)
    if request.internal:
        return _original(self)
    for before in list(_before):
        answered = before(request)
        if answered is not None:
            return answered
    response: TYPE_RESPONSE
    if _atomic and (request.service, request.action) in _atomic:
        with _atomic_lock:
            response = _original(self)
    else:
        response = _original(self)
    for after in list(_after):
        after(request, response)
    return response
