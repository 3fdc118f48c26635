"""Eventual consistency: a call naming a resource this run created is retried while AWS has not propagated it.

EC2 documents that a resource created by one call may be unknown to the next for a short while
(`InvalidVpcID.NotFound` right after CreateVpc), and Auto Scaling answers a just-created launch
template or subnet with a ValidationError saying it does not exist. Such answers are retried with
exponential backoff, bounded: PROPAGATION_DELAYS add up to under 30 s, after which the error
stands (the region fails and the next run carries on). A NotFound for a resource this run did not
create is an answer, not a delay, and is never retried.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from p2p_core import clock
from p2p_core.reconciler.errors import error_code

# 100 ms doubling, as the Terraform AWS provider waits for EC2 propagation: 25.5 s in all, within 30 s
PROPAGATION_DELAYS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8)


def not_yet_propagated(exc: ClientError) -> bool:
    """True for AWS's answers about a resource it does not know (yet)."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return code.endswith(".NotFound") or (code == "ValidationError" and "does not exist" in message)


def retry_while_propagating(
    call: Callable[[], Any],
    *,
    delays: tuple[float, ...] = PROPAGATION_DELAYS,
    sleep: Callable[[float], None] | None = None,
) -> Any:
    """`call()`, retried after each of `delays` (paused by `sleep`, default `clock.pause`) while it answers that a
    resource does not exist."""
    for delay in delays:
        try:
            return call()
        except ClientError as exc:
            if not not_yet_propagated(exc):
                raise
        (sleep or clock.pause)(delay)
    return call()


def referenced_ids(value: Any) -> Iterator[str]:
    """Every string in API parameters, comma-separated lists split (VPCZoneIdentifier)."""
    if isinstance(value, str):
        yield from (part.strip() for part in value.split(","))
    elif isinstance(value, dict):
        for item in value.values():
            yield from referenced_ids(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from referenced_ids(item)


@functools.cache
def _created_paths() -> dict[str, tuple[str, ...]]:
    # each resource type names its create call (`ResourceKind.created`); imported late: the types use this module
    from p2p_core.resources.registry import REGISTRY

    return dict(kind.created for kind in REGISTRY if kind.created is not None)


def created_id(operation: str, response: dict[str, Any]) -> str | None:
    """The id a create call made, for the creates that later calls reference."""
    path = _created_paths().get(operation)
    found: Any = response
    for key in path or ():
        found = found.get(key) if isinstance(found, dict) else None
    return str(found) if path and found else None


class PropagationAware:
    """A boto3 client whose calls naming a resource created through it are retried while AWS propagates it.

    Describe calls pass straight through (they find resources by tag, not by a new id).
    """

    def __init__(self, client: Any, created: set[str]) -> None:
        self._client = client
        self.created = created

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith(("describe_", "get_", "list_")) or not callable(attribute):
            return attribute

        def call(**kwargs: Any) -> Any:
            if self.created.isdisjoint(referenced_ids(kwargs)):
                response = attribute(**kwargs)
            else:
                response = retry_while_propagating(lambda: attribute(**kwargs))
            made = created_id(name, response) if isinstance(response, dict) else None
            if made is not None:
                self.created.add(made)
            return response

        return call
