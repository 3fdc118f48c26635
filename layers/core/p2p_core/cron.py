"""EventBridge `cron(minutes hours day-of-month month day-of-week year)`: parse, match, next fire time.

Supported: `*`, `?`, numbers, `a-b`, `*/n`, `a/n`, `a-b/n`, lists, month and weekday names
(`JAN`, `MON-FRI`; weekday 1 = SUN as in AWS). Not supported: `L`, `W` and `#` (a ValueError says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from p2p_core.errors import show_value

_MONTHS = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_PART = re.compile(r"^(\*|[0-9A-Z]+(?:-[0-9A-Z]+)?)(?:/(\d+))?$")
_SPECIAL = re.compile(r"^(L|LW|\d+[LW])$")  # last day, weekday nearest, nth-last: not modelled
_SEARCH_DAYS = 366 * 5  # leap days and year fields can push the next fire a few years out


def field_values(field: str, text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """The values one cron field allows; ValueError naming the field otherwise."""
    if text in ("*", "?"):
        return set(range(low, high + 1))
    if "#" in text or any(_SPECIAL.match(token) for token in re.split(r"[,/-]", text.upper())):
        raise ValueError(f"cron {field} {show_value(text)}: L, W and # are not supported here")
    values: set[int] = set()
    for part in text.upper().split(","):
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"cron {field} {show_value(text)} is not '*', 'n', 'a-b', 'a/n' or a list of them")
        base, step = match.group(1), int(match.group(2) or 1)
        if base == "*":
            first, last = low, high
        else:
            start, _, end = base.partition("-")
            first = _number(field, start, names)
            last = _number(field, end, names) if end else (high if match.group(2) else first)
        if not low <= first <= last <= high or step < 1:
            raise ValueError(f"cron {field} {show_value(text)} is outside {low}-{high} or has a zero step")
        values.update(range(first, last + 1, step))
    return values


def _number(field: str, token: str, names: dict[str, int] | None) -> int:
    if names and token in names:
        return names[token]
    if not token.isdigit():
        raise ValueError(f"cron {field}: {show_value(token)} is not a number")
    return int(token)


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression (times are UTC, as EventBridge Scheduler's default)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: '?' (the weekday field decides)
    months: frozenset[int]
    weekdays: frozenset[int] | None  # None: '?' (the day-of-month field decides)
    years: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """`cron(...)` with its six fields."""
        inner = expression.strip()
        if not (inner.startswith("cron(") and inner.endswith(")")):
            raise ValueError(f"not a cron(...) expression: {show_value(expression)}")
        fields = inner[5:-1].split()
        if len(fields) != 6:
            raise ValueError(f"cron needs 6 fields, got {len(fields)} in {show_value(expression)}")
        minutes, hours, days, months, weekdays, years = fields
        return cls(
            minutes=frozenset(field_values("minutes", minutes, 0, 59)),
            hours=frozenset(field_values("hours", hours, 0, 23)),
            days=None if days == "?" else frozenset(field_values("day-of-month", days, 1, 31)),
            months=frozenset(field_values("month", months, 1, 12, _MONTHS)),
            weekdays=None if weekdays == "?" else frozenset(field_values("day-of-week", weekdays, 1, 7, _DAYS)),
            years=frozenset(field_values("year", years, 1970, 2199)),
        )

    def matches_day(self, moment: datetime) -> bool:
        """True when the schedule fires at some time of this (UTC) day."""
        weekday = (moment.weekday() + 1) % 7 + 1  # Monday is 2, Sunday 1
        day_ok = (self.days is None or moment.day in self.days) and (self.weekdays is None or weekday in self.weekdays)
        return day_ok and moment.month in self.months and moment.year in self.years

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after `moment` (None if there is none within five years)."""
        moment = moment.astimezone(UTC)
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(_SEARCH_DAYS):
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        fire = day.replace(hour=hour, minute=minute)
                        if fire > moment:
                            return fire
            day += timedelta(days=1)
        return None
