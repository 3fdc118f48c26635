"""EC2 idempotency tokens (`ClientToken`), which moto ignores.

On AWS a request repeated with the same ClientToken returns the first request's result instead of
acting again (even if what it created was deleted since), and the same token with different
parameters fails with IdempotentParameterMismatch. So a token that is not unique per intended
resource silently hands back a stale resource, or fails. The emulator keeps, per account, region,
action and token, the parameters and the answer of the first successful request, and answers
repeats the same way.
"""

from __future__ import annotations

import threading

from moto.core.common_types import TYPE_RESPONSE

from p2p_emulator.shims import wire

Key = tuple[str, str, str, str]
_seen: dict[Key, tuple[frozenset[tuple[str, tuple[str, ...]]], TYPE_RESPONSE]] = {}
_lock = threading.Lock()


def forget_tokens() -> None:
    """Forget every token (a fresh account)."""
    with _lock:
        _seen.clear()


def install() -> None:
    """Replay or refuse repeated tokens; remember first uses."""
    wire.rule(before=_repeated, after=_remember)


def _key(request: wire.Request) -> Key | None:
    if request.service != "ec2":
        return None
    token = request.params().get("ClientToken")
    return (request.account, request.region, request.action, token[0]) if token else None


def _fingerprint(request: wire.Request) -> frozenset[tuple[str, tuple[str, ...]]]:
    return frozenset((k, tuple(v)) for k, v in request.params().items() if k != "ClientToken")


def _repeated(request: wire.Request) -> TYPE_RESPONSE | None:
    key = _key(request)
    if key is None:
        return None
    with _lock:
        first = _seen.get(key)
    if first is None:
        return None
    parameters, answer = first
    if parameters != _fingerprint(request):
        message = f"The client token '{key[3]}' was already used for a {key[2]} request with different parameters."
        return request.error("IdempotentParameterMismatch", message, 400)
    status, headers, body = answer
    return status, dict(headers), body


def _remember(request: wire.Request, response: TYPE_RESPONSE) -> None:
    key = _key(request)
    if key is None or int(response[0]) >= 300:
        return
    with _lock:
        _seen.setdefault(key, (_fingerprint(request), response))
