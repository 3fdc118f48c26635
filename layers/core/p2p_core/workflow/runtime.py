"""What a handler needs at run time: the deployment's settings and the client factory, made once per process.

Lambda gives each function its settings as environment variables, and each function its own
process and credentials (its role). The local emulator runs every function in one process, so it
passes each invocation's settings through `deployment_scope` instead of rewriting `os.environ`, and
keeps one client factory per function, as if each had its own credentials: a hook given to
`on_new_factory` sees which function a factory belongs to (the emulator authorizes every call
against that function's role).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from threading import Lock

from p2p_core.aws.clients import ClientFactory, Handler
from p2p_core.models.deployment import Deployment

FactoryHook = Callable[[Deployment, ClientFactory], None]

_override: ContextVar[Deployment | None] = ContextVar("p2p_deployment", default=None)
_factories: dict[tuple[str | None, str | None], ClientFactory] = {}
_client_hooks: list[tuple[str, Handler]] = []
_factory_hooks: list[FactoryHook] = []
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
            factory = ClientFactory(endpoint_url=deployment.endpoint_url, event_hooks=_client_hooks)
            for hook in _factory_hooks:
                hook(deployment, factory)
            _factories[key] = factory
        return factory


def add_client_hook(event: str, handler: Handler) -> None:
    """Register a botocore event handler on every handler client, made now or later (tests, emulator)."""
    with _lock:
        _client_hooks.append((event, handler))
        for factory in _factories.values():
            factory.register(event, handler)


def remove_client_hook(event: str, handler: Handler) -> None:
    """Undo `add_client_hook`."""
    with _lock:
        if (event, handler) in _client_hooks:
            _client_hooks.remove((event, handler))
        for factory in _factories.values():
            factory.unregister(event, handler)


def on_new_factory(hook: FactoryHook) -> None:
    """Call `hook(deployment, factory)` for every client factory made from now on (the emulator's IAM check)."""
    with _lock:
        if hook not in _factory_hooks:
            _factory_hooks.append(hook)


def reset_clients() -> None:
    """Forget cached client factories (a new emulator account, in tests); hooks stay registered."""
    with _lock:
        _factories.clear()
