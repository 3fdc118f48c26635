"""The drift-event path's inputs and use per month: events forwarded to the home bus, the Express checks they start,
the coalescing item, the runs that verify one region fully, and the optional trail's bucket (CreateTrail=true).

Pure: no AWS calls. How many events a month is an assumption, not a measurement: hand-made changes are rare, Auto
Scaling launch failures and Spot interruption/rebalance warnings come and go with the fleet; the default
(`DRIFT_EVENTS_PER_MONTH`) is about one a day, and `p2pctl cost --drift-events-per-month` takes the operator's own.
Every event is taken to be forwarded across regions and to start its own run unless `events_per_run` says bursts
coalesce (the upper bound), and every run to repair its region (`repair_share`).

The path as the control plane builds it (issue 26 §3): each managed region's rule forwards a matching event to the
home region's default bus (billed as a custom event); the home rule starts the Express scheduled check with it; the
check writes the coalescing item (`status#verified`: one UpdateItem per event names the region and opens or joins
the burst's window), the first of a burst waits `coalescing_wait_seconds` and runs Plan with the named region
verified fully, whose save settles it (one more write of the item per run); when Plan finds drift, a reconcile run
of that one region repairs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from p2p_core.config.validation import show_value
from p2p_core.cost.fleet import HOURS_PER_MONTH, CostError

DRIFT_EVENTS_PER_MONTH = 30.0  # about one a day: a hand-made change, a launch failure or a Spot warning now and then
COALESCING_WAIT_SECONDS = 5.0  # the scheduled check's Wait before Plan ("a few seconds"; the ASL's own figure)
# the burst's item is status#verified, every region's last verification (~5.1 KB at 34 regions): an update bills
# the larger of its sizes before and after, 1 KB a unit
COALESCING_ITEM_WRITE_UNITS = 6
WRITES_PER_REPAIR = 3  # write management events of one region's repair: StartExecution and the reconciler's calls

# CloudTrail and S3 list prices, us-east-1 (aws.amazon.com/cloudtrail/pricing, aws.amazon.com/s3/pricing), as
# known on TRAIL_PRICES_AS_OF; unchanged for years, not re-read from the pages in this build (no internet)
TRAIL_PRICES_AS_OF = "2026-12-06"
CLOUDTRAIL_FIRST_COPY_PER_EVENT = 0.0  # the first copy of management events in each region is free
CLOUDTRAIL_SECOND_COPY_PER_EVENT = 2.00 / 100_000  # every further trail's copy of management events
S3_PER_PUT = 0.005 / 1_000  # S3 Standard PUT, COPY, POST, LIST requests
S3_PER_GB_MONTH = 0.023  # S3 Standard, first 50 TB
DELIVERY_SECONDS = 5 * 60  # CloudTrail delivers a region's events about every 5 minutes when there are any
DELIVERY_WINDOWS_PER_MONTH = HOURS_PER_MONTH * 3600 / DELIVERY_SECONDS
TRAIL_FILE_KB = 2.0  # one gzipped log file of a few events
TRAIL_FILE_DAYS = 3.0  # expire after 1 day, removed at the next lifecycle pass, the noncurrent version a day later


@dataclass(frozen=True)
class DriftEvents:
    """What the model assumes of drift events and the trail that feeds them."""

    events_per_month: float = DRIFT_EVENTS_PER_MONTH
    events_per_run: float = 1.0  # events one run coalesces (a burst); 1: every event its own run, the upper bound
    repair_share: float = 1.0  # runs whose region really drifted: a one-region reconcile run repairs it
    coalescing_wait_seconds: float = COALESCING_WAIT_SECONDS
    coalescing_write_units: int = COALESCING_ITEM_WRITE_UNITS  # per write of the coalescing item (1 KB each)
    create_trail: bool = False  # CreateTrail=true: the stack's own trail and its bucket
    second_copy: bool = False  # the account already has a trail of management events: the stack's is a paid copy
    other_write_events_per_month: float = 0.0  # the account's own write management events, recorded by the trail

    def __post_init__(self) -> None:
        for name in (
            "events_per_month",
            "coalescing_wait_seconds",
            "coalescing_write_units",
            "other_write_events_per_month",
        ):
            if getattr(self, name) < 0:
                raise CostError(name, getattr(self, name), f"must be 0 or more, got {show_value(getattr(self, name))}")
        if self.events_per_run < 1:
            raise CostError("events_per_run", self.events_per_run, "must be 1 or more (a run starts with an event)")
        if not 0 <= self.repair_share <= 1:
            raise CostError("repair_share", self.repair_share, f"must be between 0 and 1, got {self.repair_share}")

    @property
    def runs(self) -> float:
        """Drift runs a month: the events, a burst coalesced into one run."""
        return self.events_per_month / self.events_per_run

    @property
    def repairs(self) -> float:
        """One-region reconcile runs a month."""
        return self.runs * self.repair_share

    def trail_write_events(self, runs_per_month: float, drift_runs_per_month: float) -> float:
        """Write management events the stack's trail records a month: each scheduled check's start, each reconcile
        run's start, each drift event's change and its repair's calls, and the account's own."""
        repairs = self.repairs * WRITES_PER_REPAIR + drift_runs_per_month
        return runs_per_month + self.events_per_month + repairs + self.other_write_events_per_month

    def trail_files(self, runs_per_month: float) -> float:
        """Log files the trail delivers a month: a file per 5-minute window with events, per region (the home
        region's checks, the regions where events happened, the account's own activity), each a PUT."""
        windows = DELIVERY_WINDOWS_PER_MONTH
        home = min(runs_per_month, windows)
        return home + min(self.events_per_month, windows) + min(self.other_write_events_per_month, windows)

    def trail_storage_gb_months(self, runs_per_month: float) -> float:
        """GB-months the trail's files occupy: each kept `TRAIL_FILE_DAYS`."""
        month_days = HOURS_PER_MONTH / 24
        return self.trail_files(runs_per_month) * TRAIL_FILE_KB / 1024**2 * TRAIL_FILE_DAYS / month_days

    def trail_lines(self, runs_per_month: float, repairs_found: float) -> tuple[tuple[str, float, str, float], ...]:
        """CreateTrail=true's line items (name, quantity, unit, unit price): the trail's copy of write management
        events (free unless the account has another trail) and its bucket's PUTs and storage; none without it."""
        if not self.create_trail:
            return ()
        copy = "second copy" if self.second_copy else "first copy: free"
        price = CLOUDTRAIL_SECOND_COPY_PER_EVENT if self.second_copy else CLOUDTRAIL_FIRST_COPY_PER_EVENT
        recorded = self.trail_write_events(runs_per_month, repairs_found)
        return (
            (f"trail: write management events ({copy})", recorded, "events", price),
            ("trail: S3 PUT requests (log files)", self.trail_files(runs_per_month), "requests", S3_PER_PUT),
            (
                "trail: S3 storage (1-day expiry)",
                self.trail_storage_gb_months(runs_per_month),
                "GB-months",
                S3_PER_GB_MONTH,
            ),
        )
