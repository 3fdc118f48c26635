"""The handlers' settings and botocore hooks on their clients, from outside the Lambda layer (which ships no seam).

`deployment_scope`: in one process the emulator runs every function, so `Deployment.from_env()` (what
`current_deployment()` reads) answers the invoked function's settings while its handler runs, not
os.environ's (which one function's environment would be for all).

A handler gets its clients from `p2p_core.workflow.runtime.clients_for(deployment)`: one factory per
function, as each Lambda function has its own credentials. The emulator wraps `ClientFactory.client`
once per process and, before each invoke, adopts the factory of the function it runs (`adopt`). Every
client an adopted factory makes (then or later) gets, in this order, the hooks of `add_client_hook`
(tests and benchmarks: faults, recorders, simulated latency) and those each `on_new_client` callback
registers with the function's deployment (IAM enforcement, iam/enforce.py). Factories the emulator
never adopts (the CLI's, the tests' own, the enforcer's reads) are left as they are. A process that
runs one handler alone (benchmarks/lambda_replay.py) adopts `current_deployment()` the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from weakref import WeakKeyDictionary

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.workflow.runtime import clients_for

_scope: ContextVar[Deployment | None] = ContextVar("p2p_emulated_function", default=None)
_original_from_env = Deployment.from_env.__func__  # type: ignore[attr-defined]

Handler = Callable[..., Any]
ClientCallback = Callable[[Deployment, Any], None]

_hooks: list[tuple[str, Handler]] = []
_callbacks: list[ClientCallback] = []
_owners: WeakKeyDictionary[ClientFactory, Deployment] = WeakKeyDictionary()
_made: WeakKeyDictionary[ClientFactory, dict[int, Any]] = WeakKeyDictionary()  # every client each factory made, by id
_lock = threading.RLock()
_original_client = ClientFactory.client


def install() -> None:
    """Wrap `ClientFactory.client` and `Deployment.from_env` (idempotent)."""
    ClientFactory.client = _client  # type: ignore[method-assign]
    Deployment.from_env = classmethod(_from_env)  # type: ignore[method-assign,assignment]


@contextmanager
def deployment_scope(deployment: Deployment) -> Iterator[None]:
    """Run the enclosed handler call with `deployment` as its environment's settings (one process, many functions)."""
    token = _scope.set(deployment)
    try:
        yield
    finally:
        _scope.reset(token)


def _from_env(cls: type[Deployment], env: Mapping[str, str] | None = None) -> Deployment:
    scoped = _scope.get() if env is None else None  # an explicit environment is read as given
    return scoped if scoped is not None else _original_from_env(cls, env)


def adopt(deployment: Deployment) -> ClientFactory:
    """The factory `clients_for(deployment)` gives the function's handler, its clients hooked from now on."""
    factory = clients_for(deployment)
    with _lock:
        if factory not in _owners:
            _owners[factory] = deployment
            seen = _made.setdefault(factory, {})
            # clients the factory made before `install` (a handler's INIT, imported first to time it)
            seen.update((id(made), made) for made in vars(factory)["_clients"].values())
            for made in seen.values():
                _hook(deployment, made)
    return factory


def add_client_hook(event: str, handler: Handler) -> None:
    """Register a botocore event handler on every handler client, made now or later."""
    with _lock:
        _hooks.append((event, handler))
        for made in _handler_clients():
            made.meta.events.register(event, handler)


def remove_client_hook(event: str, handler: Handler) -> None:
    """Undo `add_client_hook`."""
    with _lock:
        if (event, handler) in _hooks:
            _hooks.remove((event, handler))
        for made in _handler_clients():
            made.meta.events.unregister(event, handler)


def on_new_client(callback: ClientCallback) -> None:
    """Call `callback(deployment, client)` for every handler client, made now or later (once per callback)."""
    with _lock:
        if callback in _callbacks:
            return
        _callbacks.append(callback)
        for factory, deployment in list(_owners.items()):
            for made in _made.get(factory, {}).values():
                callback(deployment, made)


def remove_client_callback(callback: ClientCallback) -> None:
    """Undo `on_new_client` for clients made from now on."""
    with _lock:
        if callback in _callbacks:
            _callbacks.remove(callback)


def _handler_clients() -> list[Any]:
    return [made for factory in list(_owners) for made in _made.get(factory, {}).values()]


def _client(self: ClientFactory, service: str, region: str) -> Any:
    made = _original_client(self, service, region)
    known = _made.get(self)
    if known is not None and id(made) in known:  # the usual case: a cached client, hooked when it was made
        return made
    with _lock:
        seen = _made.setdefault(self, {})
        if id(made) not in seen:
            seen[id(made)] = made
            deployment = _owners.get(self)
            if deployment is not None:
                _hook(deployment, made)
    return made


def _hook(deployment: Deployment, made: Any) -> None:
    for event, handler in _hooks:
        made.meta.events.register(event, handler)
    for callback in _callbacks:
        callback(deployment, made)
