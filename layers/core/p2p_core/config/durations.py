"""Durations (`"15 minutes"`, `"7 days"`): start_offset, run_duration and the `--since` of p2pctl logs."""

from __future__ import annotations

import re
from datetime import timedelta

from p2p_core.config.validation import show_value

UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_DURATION = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day|week)s?\s*$")


def parse_duration(text: str) -> timedelta:
    """`"15 minutes"` -> timedelta; raises ValueError naming the grammar."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"not a duration {show_value(text)}: use '<number> <seconds|minutes|hours|days|weeks>'")
    try:
        return int(match.group(1)) * UNITS[match.group(2)]
    except OverflowError:  # more than timedelta holds (999999999 days)
        raise ValueError(f"duration {show_value(text)} is too long") from None


def format_duration(value: timedelta) -> str:
    """The largest whole unit that expresses `value`: 2 hours, 90 minutes."""
    seconds = int(value.total_seconds())
    for unit in ("day", "hour", "minute", "second"):
        size = int(UNITS[unit].total_seconds())
        if seconds % size == 0 and (seconds or unit == "second"):
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable: seconds always divide")
