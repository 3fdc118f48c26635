"""The time the control plane acts at: one function every handler reads, called as `clock.now()`, and the pause
before asking AWS again about a resource it has not propagated yet, `clock.pause(seconds)`.

On Lambda they are the wall clock and a real sleep. The emulator replaces this module's `now` with its account's
clock (p2p_emulator/shims/clock.py), so tests move time forward instead of sleeping, and its `pause` with none:
its eventual consistency is counted in uses, not seconds (shims/consistency.py). A `from p2p_core.clock import
now` would keep the wall clock, which tests/unit/test_honest_seams.py forbids.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def pause(seconds: float) -> None:
    """Wait `seconds` before asking AWS again (a resource it has not propagated yet)."""
    time.sleep(seconds)
