"""How many regions the Map reconciles at once within the account's Lambda concurrency (p2p_core/lambda_concurrency)."""

from __future__ import annotations

import pytest

from p2p_core.lambda_concurrency import (
    BESIDE_THE_MAP,
    AccountConcurrency,
    map_concurrency,
    needed_concurrency,
    read_account_concurrency,
)


@pytest.mark.parametrize(
    ("configured", "unreserved", "at_once"),
    [
        (34, 1000, 34),  # an established account: MaxConcurrency as deployed
        (34, 10, 7),  # a new account: what is left beside UpdateControlCenter, UpdateSchedule and one Plan
        (5, 10, 5),  # a lower MaxConcurrency stays
        (34, 4, 1),
        (34, 1, 1),  # never below one region at a time (Retry absorbs the throttles)
    ],
)
def test_the_map_runs_what_is_left_of_the_unreserved_concurrency(
    configured: int, unreserved: int, at_once: int
) -> None:
    assert map_concurrency(configured, AccountConcurrency(limit=1000, unreserved=unreserved)) == at_once


def test_unknown_account_settings_keep_max_concurrency() -> None:
    assert map_concurrency(34, None) == 34


def test_every_region_at_once_needs_the_regions_and_the_maps_neighbours() -> None:
    assert needed_concurrency(14) == 14 + BESIDE_THE_MAP == 17


class Settings:
    def __init__(self, limit: dict[str, int]) -> None:
        self.limit = limit

    def get_account_settings(self) -> dict[str, dict[str, int]]:
        return {"AccountLimit": self.limit}


def test_the_unreserved_concurrency_is_read_and_defaults_to_the_limit() -> None:
    both = Settings({"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 900})
    assert read_account_concurrency(both) == AccountConcurrency(limit=1000, unreserved=900)
    assert read_account_concurrency(Settings({"ConcurrentExecutions": 10})) == AccountConcurrency(10, 10)
