"""RFC 3339 times, always timezone-aware UTC inside the project."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from p2p_core.validation import show_value

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
