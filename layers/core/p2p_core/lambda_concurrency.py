"""The account's Lambda concurrency, and how many regions the Map may reconcile at once within it.

Every Lambda function of an account shares its concurrency quota (`ConcurrentExecutions`; 1,000 by
default, 10 on many new accounts). Above it Lambda throttles invokes (`TooManyRequestsException`), and
a run reconciling 34 fresh regions at once on a quota of 10 would spend its retries before most regions
ran. Plan therefore reads `GetAccountSettings` and bounds the Map to what is left once the functions
that run beside it are counted. The arithmetic is pure; the read is one call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

# invocations that may run beside the Map's: UpdateControlCenter and UpdateSchedule (the Parallel's other
# branches) and one Plan (a scheduled check, or the run an edit starts, which ends skipped on the lease)
BESIDE_THE_MAP = 3
# below this, `p2pctl doctor` warns even when the selected regions fit: other workloads of the account share it
RECOMMENDED_CONCURRENCY = 50

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountConcurrency:
    """What GetAccountSettings says of the account's concurrency."""

    limit: int
    unreserved: int


def map_concurrency(configured: int, account: AccountConcurrency | None) -> int:
    """Regions the Map reconciles at once: the configured MaxConcurrency, bounded by the unreserved concurrency
    left beside the Map's neighbours (at least 1; unknown account settings leave MaxConcurrency as it is)."""
    if account is None:
        return configured
    return max(1, min(configured, account.unreserved - BESIDE_THE_MAP))


def needed_concurrency(regions: int) -> int:
    """Concurrency a run of `regions` drifted regions uses when every region runs at once."""
    return regions + BESIDE_THE_MAP


def read_account_concurrency(lambda_client: Any) -> AccountConcurrency:
    """One GetAccountSettings."""
    limit = lambda_client.get_account_settings()["AccountLimit"]
    total = int(limit["ConcurrentExecutions"])
    return AccountConcurrency(limit=total, unreserved=int(limit.get("UnreservedConcurrentExecutions", total)))


def try_account_concurrency(lambda_client: Any) -> AccountConcurrency | None:
    """GetAccountSettings, or None (logged) when Lambda does not answer: the Map then keeps MaxConcurrency."""
    try:
        return read_account_concurrency(lambda_client)
    except (ClientError, BotoCoreError) as exc:
        log.warning("Lambda concurrency unknown, the Map keeps its MaxConcurrency: %s", exc)
        return None
