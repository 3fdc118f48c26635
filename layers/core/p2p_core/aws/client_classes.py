"""One client class per service and session, so a client for another region does not build its class again.

botocore builds a new class for every client it makes: a method per operation of the service model (EC2 has
~750) and the `creating-client-class` event. A Plan over 34 regions makes two clients per region (EC2 and Auto
Scaling), and building their classes was most of the ~10 ms of CPU each client cost (measured: 68 clients of
34 regions, 0.71 s of CPU, 0.21 s with the classes shared). A client's state (region, endpoint, config, its
own event hooks, credentials) lives in the instance, never in the class, so clients of one session share the
class of their service (and API version): what botocore would build again, method for method.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from botocore.client import ClientCreator

_original = getattr(ClientCreator, "_create_client_class")  # noqa: B009 (private: not in the stubs)
# per session (its event emitter, whose creating-client-class handlers shape the class), then per service model
_classes: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, int], type]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _create_client_class(self: Any, service_name: str, service_model: Any) -> type:
    # the loader keeps a session's service description for the session's life: its identity names the model
    key = (service_name, str(service_model.api_version), id(service_model._service_description))
    with _lock:
        made = _classes.setdefault(self._event_emitter, {})
        if key not in made:
            made[key] = _original(self, service_name, service_model)
        return made[key]


def share_client_classes() -> None:
    """Make every botocore session of this process build each service's client class once (idempotent)."""
    setattr(ClientCreator, "_create_client_class", _create_client_class)  # noqa: B010 (private: not in the stubs)
