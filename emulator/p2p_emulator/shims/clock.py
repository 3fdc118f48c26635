"""The emulated account's clock: wall time plus an offset that tests (and `p2pctl local --clock`) move forward.

Everything that reads "now" on the AWS side of the emulator or in the handlers reads this clock, so a
test that needs time to pass moves it instead of sleeping, and a window cannot shrink under load:
- Step Functions: an execution's start time (`$$.Execution.StartTime`, which Plan plans at), its
  `startDate` and the order of ListExecutions;
- the handlers: `p2p_core.clock.now` (the lease, the scheduled-action margin at apply time, the
  status item's times);
- Auto Scaling's scaling activities (`launches`).
The clock only moves forward: an emulated account's time, like AWS's, never runs back.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.stepfunctions.parser.backend.execution import Execution

import p2p_core.clock

_offset = timedelta(0)
_lock = threading.Lock()
_original_init = Execution.__init__


def now() -> datetime:
    """The emulated account's time, in UTC."""
    return datetime.now(UTC) + _offset


def advance_clock(by: timedelta) -> None:
    """Move the account's time forward by `by` (what a test does instead of sleeping)."""
    global _offset
    if by < timedelta(0):
        raise ValueError(f"the emulated clock only moves forward: by={by}")
    with _lock:
        _offset += by


def advance_clock_to(moment: datetime) -> None:
    """Move the account's time forward to `moment` (already past it: no change)."""
    advance_clock(max(timedelta(0), moment - now()))


def reset_clock() -> None:
    """The wall clock again (a new emulated account)."""
    global _offset
    with _lock:
        _offset = timedelta(0)


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    kwargs["start_date"] = now()  # moto stamps the wall clock
    _original_init(self, *args, **kwargs)


def no_pause(seconds: float) -> None:
    """The handlers' pause before asking again about a resource not propagated yet: none. The emulator's eventual
    consistency is counted in uses, not seconds (consistency.py), so a real sleep only kept the test worker idle
    (23 of a crash-point test's 77 s)."""
    time.sleep(0)  # let the other threads run, as a pause would


def install() -> None:
    """Stamp executions and run the handlers on the emulated clock."""
    Execution.__init__ = _init  # type: ignore[method-assign]
    p2p_core.clock.now = now
    p2p_core.clock.pause = no_pause
