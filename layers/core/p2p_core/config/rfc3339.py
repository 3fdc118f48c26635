"""RFC 3339 times, always timezone-aware UTC inside the project."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from p2p_core.config.validation import show_value

# What AWS schedules: EventBridge cron expressions take the years 1970-2199, and the schedule and the groups'
# scheduled actions of one run must agree, so a config's times (and S, E computed from them) stay inside it
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_time(text: str) -> datetime:
    """Parse RFC 3339 (`2026-12-01T09:00:00Z`); the offset is required."""
    if not _RFC3339.match(text.strip()):
        raise ValueError(f"not an RFC 3339 time with offset like '2026-12-01T09:00:00Z', got {show_value(text)}")
    value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("t", "T"))
    return value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """UTC, second precision, `Z` suffix."""
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedulable(value: datetime) -> bool:
    """True when AWS schedules can name `value` (between `EARLIEST_TIME` and `LATEST_TIME`)."""
    return EARLIEST_TIME <= value <= LATEST_TIME


def outside_schedules(value: datetime) -> str:
    """Why `value` cannot be scheduled, for an error line."""
    return (
        f"{format_time(value)} is outside what AWS schedules accept "
        f"({format_time(EARLIEST_TIME)} to {format_time(LATEST_TIME)}: EventBridge cron years 1970-2199)"
    )
