"""Durations (`"15 minutes"`) and schedule expressions (`rate(...)`, `cron(...)`)."""

from __future__ import annotations

import re
from datetime import timedelta

from p2p_core.cron import normalize_cron
from p2p_core.errors import show_value

_UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_DURATION = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day|week)s?\s*$")
_RATE = re.compile(r"^rate\((\d+) (minute|hour|day)s?\)$")
_CRON = re.compile(r"^cron\(([^()]+)\)$")


def parse_duration(text: str) -> timedelta:
    """`"15 minutes"` -> timedelta; raises ValueError naming the grammar."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"not a duration {show_value(text)}: use '<number> <seconds|minutes|hours|days|weeks>'")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(value: timedelta) -> str:
    """The largest whole unit that expresses `value`: 2 hours, 90 minutes."""
    seconds = int(value.total_seconds())
    for unit in ("day", "hour", "minute", "second"):
        size = int(_UNITS[unit].total_seconds())
        if seconds % size == 0 and (seconds or unit == "second"):
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable: seconds always divide")


def _rate(count: int, unit: str) -> str:
    return f"rate({count} {unit}{'' if count == 1 else 's'})"


def normalize_schedule(text: str) -> str:
    """Accept a duration, `rate(...)` or `cron(...)`; return the EventBridge Scheduler form."""
    text = text.strip()
    if (match := _RATE.match(text)) is not None:
        count = int(match.group(1))
        if count < 1:
            raise ValueError(f"rate must be at least 1, got {show_value(text)}")
        return _rate(count, match.group(2))
    if _CRON.match(text) is not None:
        return normalize_cron(text)  # EventBridge's cron rules live in p2p_core.cron
    if text.startswith(("rate", "cron")):
        raise ValueError(
            f"not a schedule expression {show_value(text)}: use 'rate(15 minutes)' or 'cron(0/15 * * * ? *)'"
        )
    delta = parse_duration(text)
    minutes, rest = divmod(int(delta.total_seconds()), 60)
    if rest or minutes < 1:
        raise ValueError(f"schedule must be a whole number of minutes (at least 1), got {show_value(text)}")
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes % size == 0:
            return _rate(minutes // size, unit)
    return _rate(minutes, "minute")


def schedule_period(expression: str) -> timedelta | None:
    """The period of a `rate(...)` expression; None for cron (irregular)."""
    match = _RATE.match(expression)
    if match is None:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)]
