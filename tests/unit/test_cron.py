"""EventBridge cron expressions: EventBridge's rules at validation, and fire times for the ticker and cost model."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from p2p_core.config import parse_config
from p2p_core.config.schedule_expression import Cron
from p2p_core.config.validation import ConfigError

WED_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "after", "fires"),
    [
        ("cron(0/15 * * * ? *)", WED_NOON, datetime(2026, 11, 25, 12, 15, tzinfo=UTC)),
        ("cron(0 8 * * ? *)", WED_NOON, datetime(2026, 11, 26, 8, 0, tzinfo=UTC)),
        ("cron(30 9 ? * MON-FRI *)", WED_NOON, datetime(2026, 11, 26, 9, 30, tzinfo=UTC)),
        ("cron(30 9 ? * 2-6 *)", datetime(2026, 11, 27, 10, 0, tzinfo=UTC), datetime(2026, 11, 30, 9, 30, tzinfo=UTC)),
        ("cron(0 0 1 JAN ? *)", WED_NOON, datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(0 12 29 FEB ? *)", WED_NOON, datetime(2028, 2, 29, 12, 0, tzinfo=UTC)),
        ("cron(0 12 ? * WED *)", WED_NOON, datetime(2026, 12, 2, 12, 0, tzinfo=UTC)),  # strictly after
        ("cron(5,35 */6 * * ? *)", WED_NOON, datetime(2026, 11, 25, 12, 5, tzinfo=UTC)),
        ("cron(0 0 1 1 ? 2025)", WED_NOON, None),
        # L, W and #
        ("cron(0 6 L * ? *)", WED_NOON, datetime(2026, 11, 30, 6, 0, tzinfo=UTC)),
        ("cron(0 6 L FEB ? 2028)", WED_NOON, datetime(2028, 2, 29, 6, 0, tzinfo=UTC)),
        ("cron(0 6 ? * 6L *)", WED_NOON, datetime(2026, 11, 27, 6, 0, tzinfo=UTC)),  # last Friday of November
        ("cron(0 6 ? * 6#1 *)", WED_NOON, datetime(2026, 12, 4, 6, 0, tzinfo=UTC)),  # first Friday of December
        ("cron(0 6 ? * MON#2 *)", WED_NOON, datetime(2026, 12, 14, 6, 0, tzinfo=UTC)),
        ("cron(0 6 ? * L *)", WED_NOON, datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),  # L alone: Saturday
        ("cron(0 6 15W * ? *)", WED_NOON, datetime(2026, 12, 15, 6, 0, tzinfo=UTC)),  # Dec 15 is a Tuesday
        ("cron(0 6 1W AUG ? 2026)", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 8, 3, 6, 0, tzinfo=UTC)),
        ("cron(0 6 31W MAY ? 2026)", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 5, 29, 6, 0, tzinfo=UTC)),
        ("cron(0 6 12W SEP ? 2026)", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 9, 11, 6, 0, tzinfo=UTC)),
    ],
)
def test_next_fire_time(expression: str, after: datetime, fires: datetime | None) -> None:
    assert Cron.parse(expression).next_after(after) == fires


VALID = [
    "cron(0/15 * * * ? *)",
    "cron(0/15 * ? * * *)",
    "cron(*/5 * * * ? *)",
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)",
    "cron(0 0 L * ? *)",
    "cron(0 0 3W * ? *)",
    "cron(0 0 ? * 6L *)",
    "cron(0 0 1,15 JAN,JUL ? 2026-2030)",
    "cron(0 0 1 1/3 ? *)",
    "cron(0 0 1 1 ? 2026/2)",
    "cron(59 23 31 DEC ? 2199)",
    "cron(0 12 ? * sun *)",
    "  cron(0   12 * * ? *) ",
]


@pytest.mark.parametrize("expression", VALID)
def test_eventbridge_accepts_these_and_so_do_we(expression: str) -> None:
    Cron.parse(expression)
    assert parse_config({"schedule_expression": expression}).schedule_expression == " ".join(
        expression.strip().split()
    ).replace("( ", "(")


INVALID = [
    ("cron(0/15 * * * * *)", "'?' in exactly one of day-of-month and day-of-week"),
    ("cron(0 12 ? * ? *)", "'?' in exactly one of day-of-month and day-of-week"),
    ("cron(0 12 1 * MON *)", "'?' in exactly one of day-of-month and day-of-week"),
    ("cron(0 8 * *)", "6 fields"),
    ("cron(0 8 * * ? * 2026)", "6 fields"),
    ("cron(61 * * * ? *)", "minutes '61': outside 0-59"),
    ("cron(0 24 * * ? *)", "hours '24': outside 0-23"),
    ("cron(0 0 0 * ? *)", "day-of-month '0': outside 1-31"),
    ("cron(0 0 32 * ? *)", "day-of-month '32': outside 1-31"),
    ("cron(0 0 1 13 ? *)", "month '13': outside 1-12"),
    ("cron(0 0 ? * 8 *)", "day-of-week '8': outside 1-7"),
    ("cron(0 0 ? * 0 *)", "day-of-week '0': outside 1-7"),
    ("cron(0 0 1 1 ? 1969)", "year '1969': outside 1970-2199"),
    ("cron(0 0 1 1 ? 2200)", "year '2200': outside 1970-2199"),
    ("cron(? 0 1 * ? *)", "minutes '?': '?' is only for day-of-month or day-of-week"),
    ("cron(0 8 ? * FUNDAY *)", "'FUNDAY' is not a number"),
    ("cron(0 8 ? * FRI-MON *)", "runs backwards"),
    ("cron(0 22-2 * * ? *)", "runs backwards"),
    ("cron(0/0 * * * ? *)", "step must be 1-59"),
    ("cron(0/60 * * * ? *)", "step must be 1-59"),
    ("cron(0 0 ? * */2 *)", "steps (/) are not allowed"),
    ("cron(0 0 ? * 6#3,2#1 *)", "'#' takes one expression"),
    ("cron(0 0 ? * 6#6 *)", "'#' takes one expression"),
    ("cron(0 0 L,15 * ? *)", "L and nW stand alone"),
    ("cron(0 0 32W * ? *)", "W needs a day 1-31"),
    ("cron(0 0 W * ? *)", "L and nW stand alone"),
    ("cron(0 0 ? * 2,6L *)", "L and dL stand alone"),
    ("cron(0 0 L * 2 *)", "'?' in exactly one"),
    ("cron(0 0 1-5# * ? *)", "is not '*', 'n', 'a-b', 'a/n'"),
    ("rate(5 minutes)", "not a cron(...) expression"),
]


@pytest.mark.parametrize(("expression", "message"), INVALID)
def test_eventbridge_refuses_these_and_so_do_we_naming_the_field(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=_literal(message)):
        Cron.parse(expression)


@pytest.mark.parametrize(("expression", "message"), [case for case in INVALID if case[0].startswith("cron(")])
def test_an_invalid_cron_is_an_invalid_config_naming_schedule_expression(expression: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"schedule_expression": expression})
    (error,) = caught.value.errors
    assert error.field == "schedule_expression"
    assert message in error.message


def test_the_every_15_minutes_mistake_is_caught_before_any_call() -> None:
    with pytest.raises(ConfigError, match=_literal("schedule_expression: cron needs '?' in exactly one")):
        parse_config({"schedule_expression": "cron(0/15 * * * * *)"})
    assert parse_config({"schedule_expression": "cron(0/15 * * * ? *)"}).schedule_expression == "cron(0/15 * * * ? *)"


def test_the_cost_model_counts_days_with_the_same_rules() -> None:
    last_friday = Cron.parse("cron(0 6 ? * 6L *)")
    fridays = [date(2026, 11, d) for d in (6, 13, 20, 27)]
    assert [last_friday.matches_day(d) for d in fridays] == [False, False, False, True]


def _literal(text: str) -> str:
    return "".join("\\" + c if c in "()[]?*+./^$|{}" else c for c in text)
