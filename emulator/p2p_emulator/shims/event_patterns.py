"""EventBridge event patterns matched as AWS matches them, where moto 5.2.5 differs.

moto compares a pattern's value with the event's with Python's `==`, for which `false == 0` and
`true == 1`: a pattern `"readOnly": [false]` matched an event whose `readOnly` is `0`. AWS compares
JSON values by type (a boolean matches only a boolean, a number only a number). What moto already does as
AWS documents it, and the tests keep (tests/integration/test_aws_events.py): `$or` at the top level
and nested in `detail`, `anything-but` with a list, `prefix`, `exists`, and a field missing from the
event matching no filter but `exists: false` ("the event must contain all the field names listed in
the pattern", EventBridge User Guide, Event patterns) — `anything-but` included.

Where AWS is stricter: a rule's event pattern is at most 2,048 characters (EventBridge's default quota, "Event
pattern size"); moto takes any length. PutRule with a longer one is refused here, so a pattern that grows past it
fails in the tests, not on the first deploy to AWS.

This module's reach into moto: `EventPattern._does_item_match_filters`, and a wire rule on PutRule.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.events.models import EventPattern

from p2p_emulator.shims import wire

PATTERN_LIMIT = 2048  # characters, EventBridge's default "Event pattern size" quota

_original_filters = EventPattern._does_item_match_filters


def install() -> None:
    """Compare a pattern's exact values with the event's by JSON type; refuse a pattern over the size quota."""
    EventPattern._does_item_match_filters = _does_item_match_filters  # type: ignore[method-assign]
    wire.rule(before=_pattern_too_long)


def _pattern_too_long(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "events" or request.action != "PutRule":
        return None
    pattern = request.api_params().get("EventPattern") or ""
    if len(pattern) <= PATTERN_LIMIT:
        return None
    message = f"Event pattern is {len(pattern)} characters, more than the quota of {PATTERN_LIMIT}"
    return request.error("ValidationException", message, 400)


def same_json_value(item: Any, value: Any) -> bool:
    """AWS's equality of two JSON scalars: booleans equal booleans only."""
    return isinstance(item, bool) == isinstance(value, bool) and item == value


def _does_item_match_filters(self: EventPattern, item: Any, filters: list[Any]) -> bool:
    named = [f for f in filters if isinstance(f, dict)]
    exact = [f for f in filters if not isinstance(f, dict)]
    items = item if isinstance(item, list) else [item]
    if any(same_json_value(one, value) for one in items for value in exact):
        return True
    return bool(named) and _original_filters(self, item, named)
