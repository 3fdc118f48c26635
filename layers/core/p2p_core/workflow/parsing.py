"""Parse a handler's event into its pydantic model (what Powertools' event_parser does, without its import cost)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)


def parsed_event(model: type[Model]) -> Callable[[Callable[[Model, Any], Any]], Callable[[dict[str, Any], Any], Any]]:
    """Validate the raw event as `model` before the handler runs; a bad event raises ValidationError.

    Powertools' `event_parser` does the same but imports its envelopes and models (about 70 ms of cold
    start); the handlers need only `model_validate`.
    """

    def decorate(handler: Callable[[Model, Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
        @functools.wraps(handler)
        def wrapper(event: dict[str, Any], context: Any) -> Any:
            return handler(model.model_validate(event), context)

        return wrapper

    return decorate
