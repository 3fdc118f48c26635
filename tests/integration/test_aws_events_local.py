"""AWS services' events in `p2pctl local`: on by default, with the account's trail, through moto's server."""

from __future__ import annotations

import pytest
from moto.server import ThreadedMotoServer

from p2p_core.aws.clients import ClientFactory
from p2p_emulator import shims
from p2p_emulator.local import LocalRuntime
from p2p_emulator.seed import seed_account_trail
from p2p_emulator.shims import aws_events
from p2p_emulator.world import emulated_environment
from tests.integration.test_aws_events import HOME, MANAGED, ingress_events, open_ssh, received, relay_to_home_queue


def test_p2pctl_locals_account_trail_and_server_deliver_the_operators_event() -> None:
    """Through moto's server, as `p2pctl local` serves the account: its seeded trail records the operator's call."""
    with emulated_environment():
        shims.install()
        shims.reset_behaviours()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            clients = ClientFactory(endpoint_url=f"http://{host}:{port}")
            with shims.aws_events_emitted():
                seed_account_trail(clients, HOME)
                queue = relay_to_home_queue(clients)
                group = open_ssh(clients)
                (event,) = ingress_events(received(clients, queue))
        finally:
            server.stop()
            shims.reset_behaviours()
    assert (event["region"], event["detail"]["requestParameters"]["groupId"]) == (MANAGED, group)
    assert event["detail"]["userIdentity"]["type"] == "IAMUser"


@pytest.mark.parametrize("switch", [True, False])
def test_p2pctl_local_models_an_account_with_aws_events_unless_told_not_to(switch: bool) -> None:
    shims.install()
    runtime = LocalRuntime(aws_events=switch, log=lambda _: None)
    try:
        runtime._model_account()  # what `start` does first
        assert aws_events.aws_events_enabled() is switch
        assert LocalRuntime().aws_events and LocalRuntime().account_trail  # `p2pctl local`'s defaults
    finally:
        shims.reset_behaviours()
    assert not aws_events.aws_events_enabled()  # the tests' default account
