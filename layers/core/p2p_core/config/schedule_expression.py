"""Schedule expressions: a duration (`"15 minutes"`), `rate(...)` or EventBridge `cron(...)`.

`normalize_schedule` turns what a person typed into EventBridge Scheduler's form; `schedule_period` gives a
rate's period. For `cron(minutes hours day-of-month month day-of-week year)`: validate, match, next fire time.
The one home of cron rules: `config validate`/`set`, Plan (both through the config model), the local
ticker and the cost model all parse here, with EventBridge Scheduler's rules:

| field        | values            | wildcards         |
|--------------|-------------------|-------------------|
| minutes      | 0-59              | , - * /           |
| hours        | 0-23              | , - * /           |
| day-of-month | 1-31              | , - * ? / L W     |
| month        | 1-12 or JAN-DEC   | , - * /           |
| day-of-week  | 1-7 or SUN-SAT    | , - * ? L #       |
| year         | 1970-2199         | , - * /           |

`?` goes in exactly one of day-of-month and day-of-week. `L` (last day of the month; in day-of-week
alone, Saturday), `nW` (the weekday nearest day n), `dL` (the last weekday d of the month) and `d#k`
(the k-th weekday d of the month) stand alone in their field. Ranges do not wrap (`FRI-MON` is refused),
and a step is at most the field's largest value.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from p2p_core.config.durations import UNITS, parse_duration
from p2p_core.config.rfc3339 import EARLIEST_TIME, LATEST_TIME
from p2p_core.config.validation import show_value

_LONGEST = {unit: (LATEST_TIME - EARLIEST_TIME) // UNITS[unit] for unit in ("minute", "hour", "day")}
_RATE = re.compile(r"^rate\((\d+) (minute|hour|day)s?\)$")
_CRON = re.compile(r"^cron\(([^()]+)\)$")
_MONTHS = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_PART = re.compile(r"^(\*|[0-9A-Z]+(?:-[0-9A-Z]+)?)(?:/(\d+))?$")
_WEEKDAY = r"([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)"
_NEAREST_WEEKDAY = re.compile(r"^(\d{1,2})W$")
_LAST_OF = re.compile(rf"^{_WEEKDAY}L$")
_NTH = re.compile(rf"^{_WEEKDAY}#([1-5])$")
_SEARCH_DAYS = 366 * 5  # leap days and year fields can push the next fire a few years out
SATURDAY = 7


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    steps: bool = True
    names: dict[str, int] = field(default_factory=dict)

    def error(self, text: str, why: str) -> ValueError:
        return ValueError(f"cron {self.name} {show_value(text)}: {why}")


MINUTES = _Field("minutes", 0, 59)
HOURS = _Field("hours", 0, 23)
DAY_OF_MONTH = _Field("day-of-month", 1, 31)
MONTH = _Field("month", 1, 12, names=_MONTHS)
DAY_OF_WEEK = _Field("day-of-week", 1, 7, steps=False, names=_DAYS)
YEAR = _Field("year", 1970, 2199)


def field_values(spec: _Field, text: str) -> frozenset[int]:
    """The values a list field (`*`, `n`, `a-b`, steps, names) allows; ValueError naming the field otherwise."""
    values: set[int] = set()
    for part in text.upper().split(","):
        match = _PART.match(part)
        if match is None:
            allowed = "'*', 'n', 'a-b', 'a/n'" if spec.steps else "'*', 'n', 'a-b'"
            raise spec.error(text, f"{show_value(part)} is not {allowed} or a list of them")
        base, step_text = match.group(1), match.group(2)
        if step_text is not None and not spec.steps:
            raise spec.error(text, "steps (/) are not allowed in this field")
        step = int(step_text or 1)
        if base == "*":
            first, last = spec.low, spec.high
        else:
            start, _, end = base.partition("-")
            first = _number(spec, text, start)
            last = _number(spec, text, end) if end else (spec.high if step_text else first)
        if not spec.low <= first <= spec.high or not spec.low <= last <= spec.high:
            raise spec.error(text, f"outside {spec.low}-{spec.high}")
        if first > last:
            raise spec.error(text, f"range {show_value(part)} runs backwards (ranges do not wrap; use a list)")
        if not 1 <= step <= _largest_step(spec):
            raise spec.error(text, f"step must be 1-{_largest_step(spec)}, got {step}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _largest_step(spec: _Field) -> int:
    return spec.high if spec.low <= 1 else spec.high - spec.low


def _number(spec: _Field, text: str, token: str) -> int:
    if token in spec.names:
        return spec.names[token]
    if not token.isdigit():
        raise spec.error(text, f"{show_value(token)} is not a number")
    return int(token)


@dataclass(frozen=True)
class DayRule:
    """A day-of-month or day-of-week field: which days of a month it selects."""

    values: frozenset[int] = frozenset()  # days of the month, or weekdays (1 = SUN)
    weekly: bool = False  # True: `values` are weekdays
    last_day: bool = False  # day-of-month L
    nearest_weekday: int | None = None  # day-of-month nW
    last_of_month: int | None = None  # day-of-week dL: the weekday's last occurrence
    nth: tuple[int, int] | None = None  # day-of-week d#k: (weekday, occurrence)

    def matches(self, day: date) -> bool:
        """True when this field selects `day`."""
        weekday = day.isoweekday() % 7 + 1  # SUN = 1 ... SAT = 7
        month_days = calendar.monthrange(day.year, day.month)[1]
        if self.last_day:
            return day.day == month_days
        if self.nearest_weekday is not None:
            return _nearest_weekday(day.year, day.month, self.nearest_weekday) == day.day
        if self.last_of_month is not None:
            return weekday == self.last_of_month and day.day + 7 > month_days
        if self.nth is not None:
            return weekday == self.nth[0] and (day.day - 1) // 7 + 1 == self.nth[1]
        return (weekday if self.weekly else day.day) in self.values


def _nearest_weekday(year: int, month: int, wanted: int) -> int | None:
    """The Monday-Friday day of the month nearest day `wanted`, never leaving the month (Quartz's `W`)."""
    month_days = calendar.monthrange(year, month)[1]
    if wanted > month_days:
        return None
    weekday = date(year, month, wanted).weekday()  # Monday 0 ... Sunday 6
    if weekday == 5:  # Saturday: the Friday before, or Monday when that leaves the month
        return wanted - 1 if wanted > 1 else wanted + 2
    if weekday == 6:  # Sunday: the Monday after, or Friday when that leaves the month
        return wanted + 1 if wanted < month_days else wanted - 2
    return wanted


def _day_of_month(text: str) -> DayRule:
    if text == "L":
        return DayRule(last_day=True)
    if (match := _NEAREST_WEEKDAY.match(text)) is not None:
        day = int(match.group(1))
        if not 1 <= day <= 31:
            raise DAY_OF_MONTH.error(text, "W needs a day 1-31 before it")
        return DayRule(nearest_weekday=day)
    if "L" in text or "W" in text:
        raise DAY_OF_MONTH.error(text, "L and nW stand alone in the field")
    return DayRule(values=field_values(DAY_OF_MONTH, text))


def _day_of_week(text: str) -> DayRule:
    if text == "L":
        return DayRule(values=frozenset({SATURDAY}), weekly=True)
    if (match := _LAST_OF.match(text)) is not None:
        return DayRule(last_of_month=_number(DAY_OF_WEEK, text, match.group(1)))
    if (match := _NTH.match(text)) is not None:
        return DayRule(nth=(_number(DAY_OF_WEEK, text, match.group(1)), int(match.group(2))))
    if "#" in text:
        raise DAY_OF_WEEK.error(text, "'#' takes one expression like '6#3' (weekday#1-5), alone in the field")
    if "L" in text:
        raise DAY_OF_WEEK.error(text, "L and dL stand alone in the field")
    return DayRule(values=field_values(DAY_OF_WEEK, text), weekly=True)


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression (times are UTC, as EventBridge Scheduler's default)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: DayRule | None  # None: '?' (the weekday field decides)
    months: frozenset[int]
    weekdays: DayRule | None  # None: '?' (the day-of-month field decides)
    years: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """`cron(...)` with its six fields, checked with EventBridge's rules; ValueError naming the field."""
        inner = expression.strip()
        if not (inner.startswith("cron(") and inner.endswith(")")):
            raise ValueError(f"not a cron(...) expression: {show_value(expression)}")
        fields = inner[5:-1].upper().split()
        if len(fields) != 6:
            raise ValueError(
                f"cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
                f"got {len(fields)} in {show_value(expression)}"
            )
        minutes, hours, days, months, weekdays, years = fields
        if (days == "?") == (weekdays == "?"):
            raise ValueError(
                f"cron needs '?' in exactly one of day-of-month and day-of-week, got {show_value(expression)}"
                " (e.g. 'cron(0/15 * * * ? *)')"
            )
        for spec, text in ((MINUTES, minutes), (HOURS, hours), (MONTH, months), (YEAR, years)):
            if "?" in text:
                raise spec.error(text, "'?' is only for day-of-month or day-of-week")
        return cls(
            minutes=field_values(MINUTES, minutes),
            hours=field_values(HOURS, hours),
            days=None if days == "?" else _day_of_month(days),
            months=field_values(MONTH, months),
            weekdays=None if weekdays == "?" else _day_of_week(weekdays),
            years=field_values(YEAR, years),
        )

    def matches_day(self, moment: datetime | date) -> bool:
        """True when the schedule fires at some time of this (UTC) day."""
        day = moment.date() if isinstance(moment, datetime) else moment
        rule = self.days or self.weekdays
        assert rule is not None  # parse allows exactly one '?'
        return rule.matches(day) and day.month in self.months and day.year in self.years

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


def normalize_cron(expression: str) -> str:
    """A valid `cron(...)` with single spaces between its fields; ValueError naming the bad field."""
    Cron.parse(expression)
    return f"cron({' '.join(expression.strip()[5:-1].split())})"


def _rate(count: int, unit: str) -> str:
    return f"rate({count} {unit}{'' if count == 1 else 's'})"


def normalize_schedule(text: str) -> str:
    """Accept a duration, `rate(...)` or `cron(...)`; return the EventBridge Scheduler form."""
    text = text.strip()
    if (match := _RATE.match(text)) is not None:
        count = int(match.group(1))
        if count < 1:
            raise ValueError(f"rate must be at least 1, got {show_value(text)}")
        if count > _LONGEST[match.group(2)]:  # it would never fire: nothing is scheduled beyond LATEST_TIME
            raise ValueError(f"rate {show_value(text)} is longer than AWS can schedule (until {LATEST_TIME.year})")
        return _rate(count, match.group(2))
    if _CRON.match(text) is not None:
        return normalize_cron(text)  # EventBridge's cron rules live in p2p_core.config.schedule_expression
    if text.startswith(("rate", "cron")):
        raise ValueError(
            f"not a schedule expression {show_value(text)}: use 'rate(15 minutes)' or 'cron(0/15 * * * ? *)'"
        )
    delta = parse_duration(text)
    if delta > LATEST_TIME - EARLIEST_TIME:
        raise ValueError(f"schedule {show_value(text)} is longer than AWS can schedule (until {LATEST_TIME.year})")
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
    return int(match.group(1)) * UNITS[match.group(2)]
