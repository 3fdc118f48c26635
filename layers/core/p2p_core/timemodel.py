"""The time model of SPEC §3: effective start S, stop E, and what holds at a given moment.

Level-triggered: the answer depends only on the config, its anchor and `now`, so re-running never
changes it. `start_time: "now"` means the moment the start fields (`start_time`, `start_offset`,
`window_version`) took their current values, as the control plane first saw them: no other edit, and no
writer's bookkeeping (`updated_at`), moves S; the stop fields (`run_duration`, `stop_time`) move only E.
The window itself (S, E, the phase at a moment) is `p2p_core.models.window`.
A boundary within `SCHEDULE_MARGIN` of now counts as reached, because AWS rejects scheduled actions
in the past and we never send one that close to it.
"""

from __future__ import annotations

from datetime import datetime

from p2p_core.config import ConfigItem
from p2p_core.config.durations import format_duration
from p2p_core.config.rfc3339 import format_time, outside_schedules, schedulable
from p2p_core.config.validation import ConfigError, FieldError
from p2p_core.models.observed import WindowAnchor
from p2p_core.models.window import Window


def window_anchor(config: ConfigItem, recorded: WindowAnchor | None, now: datetime) -> WindowAnchor:
    """What `start_time: "now"` means: the recorded moment while the start fields keep their values, else now."""
    digest = config.window_digest()
    if recorded is not None and recorded.digest == digest:
        return recorded
    if recorded is not None and recorded.digest == config.legacy_window_digest():
        # recorded before the stop fields stopped moving the start: the same window, kept under the new digest
        return WindowAnchor(digest=digest, since=recorded.since)
    return WindowAnchor(digest=digest, since=now.replace(microsecond=0))


def restarts_window(before: ConfigItem | None, after: ConfigItem) -> bool:
    """Writing `after` over `before` re-anchors `start_time: "now"` at the next run (a start field changed)."""
    return before is not None and after.start_time == "now" and before.window_digest() != after.window_digest()


def effective_window(config: ConfigItem, anchor: datetime) -> Window:
    """S = start_time + start_offset; E = stop_time, or S + run_duration, or none.

    Raises ConfigError naming the field when S or E falls beyond what AWS schedules accept.
    """
    base = anchor if config.start_time == "now" else config.start_time
    assert isinstance(base, datetime)
    start = (base + config.start_offset).replace(microsecond=0)
    after = config.stop_after()
    if config.stop_time is not None:
        stop: datetime | None = config.stop_time.replace(microsecond=0)
    else:
        stop = start + after if after is not None else None
    found: list[FieldError] = []
    if not schedulable(start):  # the fields are bounded one by one (config.py); their sum is checked here
        named = "start_offset" if config.start_time == "now" else "start_time"
        value = format_duration(config.start_offset) if named == "start_offset" else format_time(base)
        found.append(FieldError(named, value, f"start_time + start_offset: {outside_schedules(start)}"))
    if stop is not None and after is not None and not schedulable(stop):
        reason = f"start + run_duration: {outside_schedules(stop)}"
        found.append(FieldError("run_duration", format_duration(after), reason))
    if found:
        raise ConfigError(found)
    return Window(start=start, stop=stop, anchor=anchor)
