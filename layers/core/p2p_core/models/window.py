"""The fleet's window [S, E): when agents run, as planned and passed between the workflow's states."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

SCHEDULE_MARGIN = timedelta(seconds=60)  # AWS rejects scheduled actions in the past: never one this close to now


class Phase(StrEnum):
    """Where `now` falls relative to the window [S, E)."""

    BEFORE_START = "before_start"
    RUNNING = "running"
    STOPPED = "stopped"


class Window(BaseModel):
    """Effective start S and optional stop E, with what `start_time: "now"` was anchored to."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    start: datetime
    stop: datetime | None = None
    anchor: datetime | None = Field(None, description="what start_time 'now' means: when the window took its values")
    restarted: bool = Field(False, description="a start field changed since the last run: anchored at this run")

    def phase(self, now: datetime) -> Phase:
        """The phase at `now`, treating boundaries within the margin as already reached."""
        horizon = now + SCHEDULE_MARGIN
        if self.stop is not None and (self.stop <= horizon or self.stop <= self.start):
            return Phase.STOPPED
        if self.start <= horizon:
            return Phase.RUNNING
        return Phase.BEFORE_START
