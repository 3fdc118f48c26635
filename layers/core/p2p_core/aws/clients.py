"""The one place boto3 clients are made: cached per (service, region), with retries and timeouts."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from p2p_core.aws.client_classes import share_client_classes
from p2p_core.aws.tls import share_tls_contexts

Handler = Callable[..., Any]
READ_PREFIXES = ("Describe", "Get", "List")

# standard mode retries throttling and transient errors with backoff; 10 attempts rides out bursts
HANDLER_CONFIG = Config(retries={"max_attempts": 10, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def is_mutating(operation: str) -> bool:
    """True for an API operation that may change something (not Describe/Get/List)."""
    return not operation.startswith(READ_PREFIXES)


class ClientFactory:
    """Builds and caches boto3 clients; counts read and mutating calls per region."""

    def __init__(
        self,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
        *,
        config: Config = HANDLER_CONFIG,
    ) -> None:
        share_tls_contexts()  # one CA bundle load per process, not one per HTTPS connection
        share_client_classes()  # one client class per service, not one per region's client
        self.endpoint_url = endpoint_url
        self._config = config  # the handlers' retry policy unless a caller (the CLI) wants to fail fast
        self._session: Any = session or boto3.Session()  # untyped on purpose: clients are Any here
        self._clients: dict[tuple[str, str], Any] = {}
        self._counts: Counter[tuple[str, bool]] = Counter()
        # boto3 sessions are not thread-safe for client creation; regions may be observed in threads
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        """The cached client for `service` in `region`."""
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                made = self._session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=self._config
                )
                made.meta.events.register("after-call", self._counter(region))
                self._clients[key] = made
            return self._clients[key]

    def calls(self, region: str) -> tuple[int, int]:
        """(read calls, mutating calls) that AWS carried out so far in `region` (error answers not counted)."""
        return self._counts[(region, False)], self._counts[(region, True)]

    def _counter(self, region: str) -> Handler:
        def count(model: Any, http_response: Any = None, **_: Any) -> None:
            # an error answer (a NotFound while AWS propagates a new resource, a denial) changed nothing
            if http_response is None or http_response.status_code < 300:
                self._counts[(region, is_mutating(model.name))] += 1

        return count
