"""EventBridge cron expressions, as the local ticker and the cost model read them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from p2p_core.cron import Cron

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
    ],
)
def test_next_fire_time(expression: str, after: datetime, fires: datetime | None) -> None:
    assert Cron.parse(expression).next_after(after) == fires


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron(0 8 * *)", "6 fields"),
        ("cron(61 * * * ? *)", "minutes '61' is outside 0-59"),
        ("cron(0 8 L * ? *)", "L, W and # are not supported"),
        ("cron(0 8 ? * 6#3 *)", "L, W and # are not supported"),
        ("cron(0 8 ? * FUNDAY *)", "not a number"),
        ("rate(5 minutes)", "not a cron(...) expression"),
    ],
)
def test_bad_or_unsupported_expressions_say_why(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Cron.parse(expression)
