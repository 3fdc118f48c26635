"""AWS failures of one region as a structured code and an operator-readable message."""

from __future__ import annotations

import re

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from botocore.parsers import ResponseParserError

# what a call to AWS may raise about its answer: an error answer (after botocore's retries), a transport
# failure, or an answer botocore could not parse (a proxy's HTML page; not a BotoCoreError)
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ResponseParserError)

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
# a region that is not enabled for the account answers with these (opt-in regions)
NOT_ENABLED_CODES = frozenset({"OptInRequired", "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId"})
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
_QUOTA = {"LimitExceeded", "LimitExceededException", "VcpuLimitExceeded", "VpcLimitExceeded"}
_GONE_SUFFIXES = ("NotFound", "NotFoundException")
_GONE = {"Gateway.NotAttached", "InvalidLaunchTemplateName.NotFoundException"}
STILL_CANCELLING = "InstanceRefreshCancelling"  # reconciler/refresh.py waited long enough


# AWS's access-denied text: "... User: <caller> is not authorized to perform: <action> on resource: <arn> because ..."
_DENIAL = re.compile(r"not authorized to perform: (?P<action>\S+) on resource: (?P<resource>\S+)(?P<rest>.*)$")


class ReconcileError(Exception):
    """A failure found by the reconciler itself, with a stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_code(exc: BaseException) -> str:
    """The AWS error code of `exc` ('' when it carries none)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return exc.code if isinstance(exc, ReconcileError) else ""


def is_gone(exc: ClientError) -> bool:
    """True for 'no such resource' answers, which a delete treats as done."""
    code, message = error_code(exc), str(exc).lower()
    return code in _GONE or code.endswith(_GONE_SUFFIXES) or (code == "ValidationError" and "not found" in message)


def is_retryable(code: str) -> bool:
    """True for codes a later attempt may get past (the workflow's Retry)."""
    # an instance refresh still cancelling blocks the group's new template version for a few seconds more
    return code in _THROTTLED or code in {"EndpointConnectionError", "ConnectTimeout", "ReadTimeout", STILL_CANCELLING}


def describe_failure(exc: BaseException) -> tuple[str, str]:
    """(error_code, error_message) for a region's RegionResult."""
    if isinstance(exc, ReconcileError):
        return exc.code, exc.message
    if isinstance(exc, EndpointConnectionError):
        return "EndpointConnectionError", f"cannot reach the AWS endpoint: {exc}"
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__, str(exc)
    if not isinstance(exc, ClientError):
        return type(exc).__name__, str(exc)
    code = error_code(exc)
    detail = exc.response.get("Error", {}).get("Message", "") or str(exc)
    operation = exc.operation_name
    if code in _DENIED:
        return code, f"permission denied for {operation}: {_denial(detail)}"
    if code in NOT_ENABLED_CODES:
        return code, f"region not enabled for this account (opt-in region?) at {operation}: {detail}"
    if code in _THROTTLED:
        return code, f"throttled beyond retries at {operation}: {detail}"
    if code in _QUOTA:
        return code, f"account limit reached at {operation}: {detail}"
    if code == "InvalidParameterValue" and "instance type" in detail.lower():
        return code, f"instance type not offered here ({operation}): {detail}"
    return code or "ClientError", f"{operation} failed: {detail}"


def _denial(detail: str) -> str:
    """The part of an access-denied message an operator acts on: which action on which resource, and why."""
    found = _DENIAL.search(detail)
    if found is None:
        return detail
    why = found["rest"].split(". Encoded authorization failure message")[0].strip().removeprefix("because ")
    return f"not authorized to perform: {found['action']} on resource: {found['resource']}" + (
        f": {why}" if why else ""
    )
