"""What a handler needs at run time: the deployment's settings and the client factory, made once per process.

Lambda gives each function its settings as environment variables, and each function its own
process and credentials (its role). The local emulator runs every function in one process, so it
passes each invocation's settings through `deployment_scope` instead of rewriting `os.environ`, and
keeps one client factory per function, as if each had its own credentials (the emulator hooks the
factory of the function it invokes from outside: p2p_emulator/handler_clients.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from threading import Lock

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment

_override: ContextVar[Deployment | None] = ContextVar("p2p_deployment", default=None)
_factories: dict[tuple[str | None, str | None], ClientFactory] = {}
_lock = Lock()


@contextmanager
def deployment_scope(deployment: Deployment) -> Iterator[None]:
    """Run the enclosed handler call with `deployment` instead of the environment's."""
    token = _override.set(deployment)
    try:
        yield
    finally:
        _override.reset(token)


def current_deployment() -> Deployment:
    """The settings of the function being invoked."""
    return _override.get() or Deployment.from_env()


def clients_for(deployment: Deployment) -> ClientFactory:
    """One client factory per endpoint and function, kept across warm invocations."""
    key = (deployment.endpoint_url, deployment.function_name)
    with _lock:
        factory = _factories.get(key)
        if factory is None:
            factory = ClientFactory(endpoint_url=deployment.endpoint_url)
            _factories[key] = factory
        return factory
