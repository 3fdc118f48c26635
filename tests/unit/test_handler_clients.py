"""The emulator's hooks reach every client of a handler's factory, from outside the layer (handler_clients.py).

A hook that raises shows it ran; a client without it fails botocore's parameter validation first (no network).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ParamValidationError

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.workflow.runtime import clients_for
from p2p_emulator import handler_clients

BAD = {"Limit": "many"}  # ListTables(Limit=...) wants an integer: refused before any request is sent


class Reached(Exception):
    """Raised by the test's hook: it ran on this client."""


def reach(**_: Any) -> None:
    raise Reached


def function() -> Deployment:
    return Deployment(stack_name="s", home_region="eu-central-1", function_name=f"fn-{uuid.uuid4().hex[:8]}")


@pytest.fixture(autouse=True)
def hook_installed() -> Any:
    handler_clients.install()
    handler_clients.add_client_hook("before-parameter-build", reach)
    yield
    handler_clients.remove_client_hook("before-parameter-build", reach)


def test_a_handler_factory_adopted_after_its_clients_were_made_hooks_those_and_later_ones() -> None:
    deployment = function()
    early = clients_for(deployment).client("dynamodb", "eu-central-1")  # a handler's INIT, before the adopt
    handler_clients.adopt(deployment)
    late = clients_for(deployment).client("dynamodb", "us-east-1")
    for made in (early, late):
        with pytest.raises(Reached):
            made.list_tables(**BAD)


def test_factories_never_adopted_and_removed_hooks_are_left_alone() -> None:
    operator = ClientFactory().client("dynamodb", "eu-central-1")  # the CLI's, the tests' own
    with pytest.raises(ParamValidationError):
        operator.list_tables(**BAD)
    deployment = function()
    handler = handler_clients.adopt(deployment).client("dynamodb", "eu-central-1")
    handler_clients.remove_client_hook("before-parameter-build", reach)
    with pytest.raises(ParamValidationError):
        handler.list_tables(**BAD)


def test_a_client_callback_sees_each_handler_client_once_with_its_functions_deployment() -> None:
    seen: list[tuple[str | None, str]] = []
    deployment = function()
    handler_clients.adopt(deployment).client("ssm", "eu-central-1")

    def callback(owner: Deployment, made: Any) -> None:
        seen.append((owner.function_name, made.meta.region_name))

    handler_clients.on_new_client(callback)
    try:
        clients_for(deployment).client("ssm", "eu-west-1")
        clients_for(deployment).client("ssm", "eu-west-1")  # cached: not a new client
    finally:
        handler_clients.remove_client_callback(callback)
    assert [(name, region) for name, region in seen if name == deployment.function_name] == [
        (deployment.function_name, "eu-central-1"),
        (deployment.function_name, "eu-west-1"),
    ]
