"""The Scheduler's stand-in of `p2pctl local` (p2p_emulator/ticker.py) on the emulated account's clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from p2p_emulator.shims import clock
from p2p_emulator.ticker import CRON_FALLBACK, NEVER, Ticker

NOON = datetime(2027, 3, 1, 12, 0, 47, tzinfo=UTC)


class Scheduler:
    """GetSchedule's answer for one schedule whose expression a test changes."""

    def __init__(self, expression: str) -> None:
        self.expression = expression

    def get_schedule(self, **_: Any) -> dict[str, Any]:
        target = {"Arn": "arn:scheduled-check", "RoleArn": "arn:role", "Input": '{"source": "schedule"}'}
        return {"ScheduleExpression": self.expression, "State": "ENABLED", "Target": target}


def ticker(expression: str, *, tick: float | None = None, fast_forward: float = 0.0, idle: bool = True) -> Ticker:
    return Ticker(
        scheduler=Scheduler(expression),
        schedule_name="s",
        schedule_group="g",
        start=lambda source, target: None,
        idle=lambda: idle,
        stop=threading.Event(),
        log=lambda line: None,
        tick=tick,
        fast_forward=fast_forward,
    )


@pytest.fixture(autouse=True)
def wall_clock() -> Iterator[None]:
    clock.reset_clock()
    yield
    clock.reset_clock()


@pytest.mark.parametrize(
    ("expression", "tick", "expected"),
    [
        ("rate(15 minutes)", None, NOON + timedelta(minutes=15)),
        ("rate(15 minutes)", 2.0, NOON + timedelta(seconds=2)),  # --tick wins over the schedule
        ("cron(* * * * ? *)", None, datetime(2027, 3, 1, 12, 1, tzinfo=UTC)),
        ("cron(0 8 ? * MON-FRI *)", None, datetime(2027, 3, 2, 8, 0, tzinfo=UTC)),  # 1 March 2027 is a Monday
        ("cron(0 12 L * ? *)", None, datetime(2027, 3, 31, 12, 0, tzinfo=UTC)),  # the month's last day
        ("cron(what)", None, NOON + CRON_FALLBACK),  # a cron the ticker cannot read: a fixed cadence
        ("cron(0 0 29 2 ? 2027)", None, NEVER),
    ],
)
def test_the_next_time_is_the_tick_the_rate_or_the_crons_next_fire(
    expression: str, tick: float | None, expected: datetime
) -> None:
    assert ticker(expression, tick=tick).next_time(expression, NOON) == expected


def started_runs(subject: Ticker, count: int, timeout: float = 10.0) -> list[datetime]:
    """Run the ticker until it started `count` runs; the account's time at each start."""
    started: list[datetime] = []

    def start(source: str, target: dict[str, Any]) -> None:
        assert (source, target["Arn"]) == ("schedule", "arn:scheduled-check")
        started.append(clock.now())
        if len(started) == count:
            subject.stop.set()

    subject.start = start
    runner = threading.Thread(target=subject.run, daemon=True)
    runner.start()
    runner.join(timeout)
    subject.stop.set()
    return started


def test_fast_forward_skips_the_idle_wait_for_the_next_minute_on_the_accounts_clock() -> None:
    began = time.monotonic()
    fired = started_runs(ticker("cron(* * * * ? *)", fast_forward=60), count=2)
    assert [(t.second, t.microsecond < 500_000) for t in fired] == [(0, True), (0, True)]
    assert (fired[1] - fired[0]).total_seconds() == pytest.approx(60, abs=0.5)
    assert time.monotonic() - began < 5  # two minutes of schedule in a few polls


def test_a_wait_longer_than_the_fast_forward_or_while_a_run_is_under_way_is_waited_for() -> None:
    too_far = ticker("rate(15 minutes)", fast_forward=60)
    busy = ticker("cron(0 0 1 1 ? *)", fast_forward=10**9, idle=False)  # next New Year: only a jump would reach it
    for subject in (too_far, busy):
        before = clock.now()
        assert started_runs(subject, count=1, timeout=2.5) == []
        assert clock.now() - before < timedelta(seconds=10)  # the clock kept wall time
