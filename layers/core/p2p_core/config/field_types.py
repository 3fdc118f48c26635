"""The config item's value types in its own grammar: durations as text ("15 minutes"), RFC 3339 times, "now",
capacities and schedule expressions, each with its validator, serializer and JSON Schema."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from p2p_core.config.capacity import CAPACITY_JSON_SCHEMA, CapacitySpec, parse_capacity
from p2p_core.config.durations import format_duration, parse_duration
from p2p_core.config.rfc3339 import EARLIEST_TIME, LATEST_TIME, format_time, outside_schedules, parse_time, schedulable
from p2p_core.config.schedule_expression import normalize_schedule
from p2p_core.config.validation import problem, show_value


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise problem(f"must be a duration like '15 minutes', got {show_value(value)}")
    try:
        found = parse_duration(value)
    except ValueError as exc:
        raise problem(str(exc)) from None
    if found > LATEST_TIME - EARLIEST_TIME:  # no window holding it ends by the last time AWS schedules take
        raise problem(
            f"{show_value(value)} is longer than AWS can schedule (windows end by {format_time(LATEST_TIME)})"
        )
    return found


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        value = format_time(value) if value.tzinfo else value.isoformat()
    if not isinstance(value, str):
        raise problem(f"must be an RFC 3339 time like '2026-12-01T09:00:00Z', got {show_value(value)}")
    try:
        found = parse_time(value)
    except ValueError as exc:
        raise problem(str(exc)) from None
    if not schedulable(found):
        raise problem(outside_schedules(found))
    return found


def _start(value: Any) -> datetime | Literal["now"]:
    return "now" if value == "now" else _time(value)


def _schedule(value: Any) -> str:
    if not isinstance(value, str):
        raise problem(f"must be '15 minutes', 'rate(...)' or 'cron(...)', got {show_value(value)}")
    try:
        return normalize_schedule(value)
    except ValueError as exc:
        raise problem(str(exc)) from None


def _dump_start(value: datetime | str) -> str:
    return value if isinstance(value, str) else format_time(value)


Duration = Annotated[
    timedelta,
    PlainValidator(_duration),
    PlainSerializer(format_duration),
    WithJsonSchema({"type": "string", "examples": ["15 minutes", "2 hours", "7 days"]}),
]
Timestamp = Annotated[
    datetime,
    PlainValidator(_time),
    PlainSerializer(format_time),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
StartTime = Annotated[
    datetime | Literal["now"],
    PlainValidator(_start),
    PlainSerializer(_dump_start),
    WithJsonSchema({"anyOf": [{"const": "now"}, {"type": "string", "format": "date-time"}]}),
]
Capacity = Annotated[
    CapacitySpec,
    PlainValidator(parse_capacity),
    PlainSerializer(lambda spec: spec.dump()),
    WithJsonSchema(CAPACITY_JSON_SCHEMA),
]
ScheduleExpression = Annotated[
    str,
    PlainValidator(_schedule),
    WithJsonSchema({"type": "string", "examples": ["15 minutes", "rate(1 hour)", "cron(0/15 * * * ? *)"]}),
]
