"""The account's Lambda concurrency: invokes beyond it are throttled, as Lambda throttles them.

An account runs at most `ConcurrentExecutions` invocations at once over all its functions (1,000 by
default; new accounts often 10). moto runs every invoke, so a workflow that starts more than the
account allows (a Map of 34 regions on a new account) would pass in the emulator and fail on AWS. The
emulated account has a concurrency limit (`set_lambda_concurrency`, `p2pctl local --lambda-concurrency N`):

- an invoke that would make more than N invocations in flight answers `TooManyRequestsException`
  (HTTP 429, `Rate Exceeded.`, reason `ConcurrentInvocationLimitExceeded`), as Lambda does; the
  Step Functions engine sees `Lambda.TooManyRequestsException` (shims/task_errors.py);
- Lambda `GetAccountSettings` (moto has none) reports `AccountLimit.ConcurrentExecutions` = N and
  `UnreservedConcurrentExecutions` = N (nothing here reserves concurrency), and the account's usage;
- `peak_in_flight()` and `throttled()` say what happened (tests, benchmarks).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.awslambda import urls as lambda_urls
from moto.awslambda.responses import LambdaResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import JsonRESTError

from p2p_emulator.shims import wire

DEFAULT_CONCURRENCY = 1000  # Lambda's default ConcurrentExecutions quota per region
# AWS's account limits besides concurrency, as GetAccountSettings reports them
_CODE_SIZE_LIMITS = {"TotalCodeSize": 80_530_636_800, "CodeSizeUnzipped": 262_144_000, "CodeSizeZipped": 52_428_800}

_lock = threading.Lock()
_limit = DEFAULT_CONCURRENCY
_in_flight = 0
_peak = 0
_throttled = 0
_a_throttle = threading.Event()  # set at the first throttled invoke since the quota was last set


class TooManyRequests(JsonRESTError):
    """Lambda's throttling answer: 429 with the reason in the body, as the API documents it."""

    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")
        self.description = json.dumps(
            {
                "__type": "TooManyRequestsException",
                "message": "Rate Exceeded.",
                "Type": "User",
                "Reason": "ConcurrentInvocationLimitExceeded",
            }
        )


def set_lambda_concurrency(limit: int) -> None:
    """The account's concurrency quota (`ConcurrentExecutions`); resets the counters."""
    global _limit, _peak, _throttled
    if limit < 1:
        raise ValueError(f"a Lambda concurrency quota is an integer ≥ 1, not {limit!r}")
    with _lock:
        _limit, _peak, _throttled = int(limit), 0, 0
        _a_throttle.clear()


def lambda_concurrency() -> int:
    """The account's concurrency quota."""
    with _lock:
        return _limit


def peak_in_flight() -> int:
    """The most invocations that ran at once since the quota was last set."""
    with _lock:
        return _peak


def throttled() -> int:
    """Invokes refused with TooManyRequestsException since the quota was last set."""
    with _lock:
        return _throttled


def wait_for_a_throttle(timeout: float) -> bool:
    """Block until an invoke was throttled since the quota was last set (tests holding invocations in flight)."""
    return _a_throttle.wait(timeout)


@contextmanager
def admitted() -> Iterator[None]:
    """One invocation in flight for as long as the block runs; TooManyRequests when the account has none left."""
    global _in_flight, _peak, _throttled
    with _lock:
        if _in_flight >= _limit:
            _throttled += 1
            _a_throttle.set()
            raise TooManyRequests()
        _in_flight += 1
        _peak = max(_peak, _in_flight)
    try:
        yield
    finally:
        with _lock:
            _in_flight -= 1


def install() -> None:
    """Route Lambda's /account-settings to moto's dispatch, and answer GetAccountSettings."""
    lambda_urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = LambdaResponse.dispatch
    wire.rule(before=_account_settings)


def _account_settings(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "lambda" or request.action != "GetAccountSettings":
        return None
    from moto.awslambda.utils import get_backend

    functions: list[Any] = list(get_backend(request.account, request.region).list_functions())
    limit = lambda_concurrency()
    return request.answer(
        {
            "AccountLimit": {
                **_CODE_SIZE_LIMITS,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": limit,
            },
            "AccountUsage": {
                "TotalCodeSize": sum(int(f.code_size) for f in functions),
                "FunctionCount": len(functions),
            },
        }
    )
