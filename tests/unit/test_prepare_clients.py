"""Plan's INIT makes the clients of the selected regions before the first invocation (workflow/prepare.py)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from p2p_core.models.deployment import Deployment
from p2p_core.storage.config import to_dynamodb
from p2p_core.workflow.prepare import OBSERVED_SERVICES, prepare_clients

DEPLOYMENT = Deployment(home_region="eu-central-1", config_table="p2p-config")


class Table:
    """The config table's GetItem, answering `item` (or raising `error`)."""

    def __init__(self, item: dict[str, Any] | None, error: Exception | None = None) -> None:
        self.item, self.error = item, error

    def get_item(self, **request: Any) -> dict[str, Any]:
        assert request["TableName"] == "p2p-config"
        if self.error is not None:
            raise self.error
        return {} if self.item is None else {"Item": to_dynamodb({"pk": "config", **self.item})}


class Clients:
    """A ClientFactory that records which clients were made."""

    def __init__(self, table: Table) -> None:
        self.table, self.made = table, []

    def client(self, service: str, region: str) -> Any:
        self.made.append((service, region))
        return self.table if service == "dynamodb" else object()


def made_for(clients: Clients) -> set[tuple[str, str]]:
    return {made for made in clients.made if made[0] != "dynamodb"}


def test_every_selected_region_gets_its_observing_clients():
    clients = Clients(Table({"regions": ["us-east-1", "eu-west-1", "ap-south-1"], "exclude_regions": ["ap-south-1"]}))

    assert prepare_clients(DEPLOYMENT, clients) == ["eu-west-1", "us-east-1"]  # type: ignore[arg-type]
    assert made_for(clients) == {(s, r) for s in OBSERVED_SERVICES for r in ("eu-west-1", "us-east-1")}
    assert ("dynamodb", "eu-central-1") in clients.made  # the config item is read in the home region


def test_no_item_yet_prepares_the_default_selection():
    clients = Clients(Table(None))
    assert prepare_clients(DEPLOYMENT, clients) == ["eu-central-1"]  # type: ignore[arg-type]


def test_preparing_stops_when_the_budget_is_spent():
    clients = Clients(Table({"regions": "all"}))
    ticks = itertools.count()  # one second per look at the clock

    prepared = prepare_clients(DEPLOYMENT, clients, budget_seconds=3, clock=lambda: float(next(ticks)))  # type: ignore[arg-type]

    assert len(prepared) == 2  # began at 0; regions at 1 and 2; at 3 the budget is spent
    assert len(made_for(clients)) == 2 * len(OBSERVED_SERVICES)


@pytest.mark.parametrize(
    "table",
    [
        Table({"desired_capacity": "lots"}),  # invalid: Plan reports it, INIT must not fail
        Table(None, EndpointConnectionError(endpoint_url="https://dynamodb.eu-central-1.amazonaws.com")),
    ],
)
def test_an_unreadable_or_invalid_item_prepares_nothing_and_never_fails(table: Table, caplog):
    clients = Clients(table)
    assert prepare_clients(DEPLOYMENT, clients) == []  # type: ignore[arg-type]
    assert made_for(clients) == set()
    assert "no clients prepared" in caplog.text
