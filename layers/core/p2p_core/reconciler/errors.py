"""AWS failures of one region as a structured code and an operator-readable message."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
# a region that is not enabled for the account answers with these (opt-in regions)
_NOT_ENABLED = {"OptInRequired", "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
_QUOTA = {"LimitExceeded", "LimitExceededException", "VcpuLimitExceeded", "VpcLimitExceeded"}
_GONE_SUFFIXES = ("NotFound", "NotFoundException")
_GONE = {"Gateway.NotAttached", "InvalidLaunchTemplateName.NotFoundException"}


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
    return code in _THROTTLED or code in {"EndpointConnectionError", "ConnectTimeout", "ReadTimeout"}


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
        return code, f"permission denied for {operation}: {detail}"
    if code in _NOT_ENABLED:
        return code, f"region not enabled for this account (opt-in region?) at {operation}: {detail}"
    if code in _THROTTLED:
        return code, f"throttled beyond retries at {operation}: {detail}"
    if code in _QUOTA:
        return code, f"account limit reached at {operation}: {detail}"
    if code == "InvalidParameterValue" and "instance type" in detail.lower():
        return code, f"instance type not offered here ({operation}): {detail}"
    return code or "ClientError", f"{operation} failed: {detail}"
