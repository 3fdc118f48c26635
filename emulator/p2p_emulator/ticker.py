"""EventBridge Scheduler's stand-in in `p2pctl local`: the schedule's target starts at the schedule's times.

Times are the emulated account's (shims/clock.py): `--tick` seconds apart, or the schedule's rate, or
its cron's next time, re-read whenever a run changes the expression (UpdateSchedule). With
`fast_forward` (seconds), an idle wait of at most that long is skipped: when no execution runs, the
account's clock moves to the next time instead of waiting for it (a schedule's minutes in seconds).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from p2p_core.config.schedule_expression import Cron, schedule_period
from p2p_emulator.shims import clock

CRON_FALLBACK = timedelta(seconds=900)  # for a cron(...) the ticker cannot read
NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass
class Ticker:
    """Starts the schedule's target at its times; `start(source, target)` starts one run."""

    scheduler: Any  # the Scheduler client of the stack's region
    schedule_name: str
    schedule_group: str
    start: Callable[[str, dict[str, Any]], None]
    idle: Callable[[], bool]  # no execution is running
    stop: threading.Event
    log: Callable[[str], None]
    tick: float | None = None
    fast_forward: float = 0.0

    def run(self) -> None:
        """Until `stop`: fire the schedule at each of its times."""
        expression = self._schedule()["ScheduleExpression"]
        next_at = self.next_time(expression, clock.now())
        while not self.stop.wait(1.0 if self.tick is None else min(1.0, self.tick / 4)):
            schedule = self._schedule()
            if schedule["ScheduleExpression"] != expression:  # a run changed its own cadence (UpdateSchedule)
                expression = schedule["ScheduleExpression"]
                next_at = self.next_time(expression, clock.now())
            if clock.now() < next_at:
                if not (next_at - clock.now() <= timedelta(seconds=self.fast_forward) and self.idle()):
                    continue
                clock.advance_clock_to(next_at)
            if schedule.get("State", "ENABLED") == "ENABLED":
                target = schedule["Target"]
                self.start(str(json.loads(target.get("Input") or "{}").get("source", "schedule")), target)
            next_at = self.next_time(expression, clock.now())

    def next_time(self, expression: str, now: datetime) -> datetime:
        """When the schedule fires next after `now`: --tick, the rate, or the cron's next time."""
        if self.tick is not None:
            return now + timedelta(seconds=self.tick)
        period = schedule_period(expression)
        if period is not None:
            return now + period
        try:
            fire = Cron.parse(expression).next_after(now)
        except ValueError as exc:  # not a cron the ticker reads: fire on a fixed cadence instead
            self.log(f"scheduler: {exc}; firing every {CRON_FALLBACK.total_seconds():.0f} s")
            return now + CRON_FALLBACK
        return NEVER if fire is None else fire

    def _schedule(self) -> dict[str, Any]:
        found: dict[str, Any] = self.scheduler.get_schedule(Name=self.schedule_name, GroupName=self.schedule_group)
        return found
