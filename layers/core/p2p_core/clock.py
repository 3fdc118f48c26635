"""The time the control plane acts at: one function every handler reads, called as `clock.now()`.

On Lambda it is the wall clock. The emulator replaces this module's `now` with its account's clock
(p2p_emulator/clock.py), so tests move time forward instead of sleeping; a `from p2p_core.clock import
now` would keep the wall clock, which tests/unit/test_honest_seams.py forbids.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)
