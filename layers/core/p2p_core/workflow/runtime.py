"""What a handler needs at run time: the deployment's settings and the client factory, made once per process.

Lambda gives each function its settings as environment variables. The local emulator runs every
function in one process, so it passes each invocation's settings through `deployment_scope` instead
of rewriting `os.environ` under concurrent invocations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from threading import Lock

from p2p_core.aws.clients import ClientFactory
from p2p_core.deployment import Deployment

_override: ContextVar[Deployment | None] = ContextVar("p2p_deployment", default=None)
_factories: dict[str | None, ClientFactory] = {}
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
    """One client factory per endpoint, kept across warm invocations."""
    with _lock:
        if deployment.endpoint_url not in _factories:
            _factories[deployment.endpoint_url] = ClientFactory(endpoint_url=deployment.endpoint_url)
        return _factories[deployment.endpoint_url]


def reset_clients() -> None:
    """Forget cached client factories (a new emulator account, in tests)."""
    with _lock:
        _factories.clear()
