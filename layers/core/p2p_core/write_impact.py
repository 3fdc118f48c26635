"""What writing a config item does to a running fleet at the next run, in the operator's words (SPEC §3).

Pure: `write_impact(before, after, running, now)` -> which running agents the next run stops (and why),
which regions it decommissions, whether the window restarts, and which instances an instance refresh
rolls onto a new launch template version. p2pctl prints it before every write and asks when the write
stops or removes anything. The answers come from the same functions the planner uses (`wanted_state`,
the effective window, the launch template's digest), so what is announced is what the run does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from p2p_core.config import ConfigItem
from p2p_core.config.rfc3339 import format_time
from p2p_core.models.observed import WindowAnchor
from p2p_core.models.window import Phase, Window
from p2p_core.planner import wanted_state
from p2p_core.resources.template_content import template_digest, template_settings
from p2p_core.timemodel import effective_window, restarts_window, window_anchor
from p2p_core.wanted import BuildInputs

_ANY_REGION = "eu-central-1"  # the region and group only appear in tags: the same on both sides of a comparison
_ANY_GROUP = "sg-0"


class WriteImpact(BaseModel):
    """What the next run does to the fleet because of a write."""

    model_config = ConfigDict(frozen=True)

    stops: dict[str, int] = Field(default_factory=dict, description="region -> running instances the run stops")
    decommissions: list[str] = Field(default_factory=list, description="regions whose resources are all deleted")
    why: list[str] = Field(default_factory=list, description="why agents stop, in the operator's words")
    restarts: bool = Field(False, description="a start field changed: 'now' is re-anchored at the next run")
    new_template: bool = Field(False, description="the write makes a new launch template version")
    rolls: dict[str, int] = Field(default_factory=dict, description="region -> running instances on the old version")
    min_healthy: int | None = Field(None, description="the refresh's min healthy %; None: instance refresh is off")
    estimated: bool = Field(False, description="running counts unreadable: taken from the config before the write")

    @property
    def destructive(self) -> bool:
        """The write stops running agents or removes regions: p2pctl asks before writing it."""
        return bool(self.decommissions) or any(self.stops.values())

    def lines(self) -> list[str]:
        """What the write will do, one line each (empty when it leaves running agents as they are)."""
        found: list[str] = []
        if self.decommissions:
            found.append(f"decommissions {', '.join(self.decommissions)}: every resource there is deleted")
        stopped = {region: count for region, count in self.stops.items() if count}
        if stopped:
            reasons = f" ({'; '.join(self.why)})" if self.why else ""
            found.append(f"stops {_instances(stopped)}{reasons}")
        rolled = {region: count for region, count in self.rolls.items() if count}
        if rolled and self.min_healthy is not None:
            found.append(f"rolls {_instances(rolled)} (instance refresh, min healthy {self.min_healthy} %)")
        elif rolled:
            found.append(
                f"makes a new launch template version: new instances get it, the {_instances(rolled)} keep "
                "theirs (instance.refresh.enabled is false)"
            )
        if self.estimated and found:
            found.append("(running instances could not be read: counted from the config before the write)")
        return found


def _instances(per_region: Mapping[str, int]) -> str:
    total = sum(per_region.values())
    regions = sorted(per_region)
    where = ", ".join(regions) if len(regions) <= 3 else f"{len(regions)} regions"
    return f"{total} running instance{'s' if total != 1 else ''} in {where}"


def makes_new_template_version(
    before: ConfigItem, before_build: BuildInputs, after: ConfigItem, after_build: BuildInputs
) -> bool:
    """The launch template version `after` wants differs from the one `before` wants (user data, type, AMI, ...)."""
    old = template_digest(template_settings(before, before_build, _ANY_REGION, _ANY_GROUP), before.instance)
    new = template_digest(template_settings(after, after_build, _ANY_REGION, _ANY_GROUP), after.instance)
    return old != new


def write_impact(
    before: ConfigItem | None,
    after: ConfigItem,
    running: Mapping[str, int] | None,
    now: datetime,
    *,
    recorded: WindowAnchor | None = None,
    managed: Iterable[str] = (),
    new_template: bool = False,
) -> WriteImpact:
    """What the next run (about `now`) does to the fleet when `after` replaces `before`.

    `running`: instances in each region's managed group (regions without a group left out); None when they
    could not be read, then each region is taken to run what `before` asks for. `recorded`: the window anchor
    in the status item; `managed`: the regions it records as holding resources (decommissioned when they
    leave the selection, as the planner does; with `running` unknown, `before`'s selection counts too).
    A region counts only when the write lowers it: agents `before` stops anyway are not blamed on the write.
    """
    before_window = _window(before, recorded, now) if before is not None else None
    after_window = _window(after, recorded, now)
    was = set(before.selected_regions()) if before is not None else set()
    chosen = set(after.selected_regions())
    seen = was | chosen | set(running or {}) | set(managed)
    have = {r: _running(r, running, before, before_window, now) for r in sorted(seen)}
    stops: dict[str, int] = {}
    rolls: dict[str, int] = {}
    lowered = False
    for region, count in have.items():
        if region not in chosen:  # decommissioned: its agents stop (one that left before is not the write's doing)
            if before is None or region in was:
                stops[region] = count
            continue
        want = _wanted(after, region, after_window, now)
        if want is None:  # "-": this region's capacity is left alone
            continue
        kept = count
        if before is not None and before_window is not None and region in was:
            kept = min(count, _kept(before, region, before_window, now, count))
        if kept > want:  # the write lowers it: every instance above the new count stops
            stops[region] = count - want
            lowered = True
        if new_template and want and min(count, want):
            rolls[region] = min(count, want)
    holding = set(managed) | (set(running) if running is not None else was)
    decommissions = sorted((holding & was if before is not None else holding) - chosen)
    why = _why(before_window, after_window, restarts_window(before, after), now, lowered) if any(stops.values()) else []
    refresh = after.instance.refresh
    return WriteImpact(
        stops={r: c for r, c in stops.items() if c},
        decommissions=decommissions,
        why=why,
        restarts=restarts_window(before, after),
        new_template=new_template,
        rolls=rolls,
        min_healthy=refresh.min_healthy_percentage if refresh.enabled else None,
        estimated=running is None,
    )


def _window(config: ConfigItem, recorded: WindowAnchor | None, now: datetime) -> Window:
    return effective_window(config, window_anchor(config, recorded, now).since)


def _wanted(config: ConfigItem, region: str, window: Window, now: datetime) -> int | None:
    """Instances the run holds in `region` at `now`; None for "-" (left as it is)."""
    count = config.desired_capacity.resolve(region)
    if count is None:
        return None
    capacity, _ = wanted_state(config, count, window, now)
    return capacity.desired_capacity


def _kept(config: ConfigItem, region: str, window: Window, now: datetime, running: int) -> int:
    """What `config` itself would keep running in `region` (the running count where it leaves the region alone)."""
    want = _wanted(config, region, window, now)
    return running if want is None else want


def _running(
    region: str, running: Mapping[str, int] | None, before: ConfigItem | None, window: Window | None, now: datetime
) -> int:
    if running is not None:
        return running.get(region, 0)
    if before is None or window is None or region not in before.selected_regions():
        return 0
    return _wanted(before, region, window, now) or 0


def _why(before: Window | None, after: Window, restarts: bool, now: datetime, lowered: bool) -> list[str]:
    """Why the run stops agents: the window (over, restarted, not started) or a lower count."""
    phase = after.phase(now)
    if phase is Phase.STOPPED and (before is None or before.phase(now) is not Phase.STOPPED):
        return [f"the run window is over: it stops at {format_time(after.stop or after.start)}"]
    if phase is Phase.BEFORE_START and restarts:
        return [f"the run window restarts: agents start again at {format_time(after.start)}"]
    if phase is Phase.BEFORE_START:
        return [f"agents wait for the start at {format_time(after.start)}"]
    return ["desired capacity lowered"] if lowered else []
