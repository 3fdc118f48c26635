"""What a handler needs at run time: the deployment's settings and the client factory, made once per process.

Lambda gives each function its settings as environment variables, and each function its own
process and credentials (its role): one client factory per function. The local emulator runs every
function in one process; it gives each invocation its function's settings and hooks its factory from
outside (p2p_emulator/handler_clients.py).
"""

from __future__ import annotations

from threading import Lock

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment

_factories: dict[tuple[str | None, str | None], ClientFactory] = {}
_lock = Lock()


def current_deployment() -> Deployment:
    """The settings of the function being invoked (its environment)."""
    return Deployment.from_env()


def clients_for(deployment: Deployment) -> ClientFactory:
    """One client factory per endpoint and function, kept across warm invocations."""
    key = (deployment.endpoint_url, deployment.function_name)
    with _lock:
        factory = _factories.get(key)
        if factory is None:
            factory = ClientFactory(endpoint_url=deployment.endpoint_url)
            _factories[key] = factory
        return factory
