"""Estimated AWS cost of the control plane itself: Step Functions, Lambda, DynamoDB, Scheduler and logs per month.

Pure: no AWS calls. Transitions are counted in real executions (benchmarks/costs.py); Lambda seconds, table calls
and item sizes are measured apart from the emulator (usage.py, benchmarks/lambda_cpu.py); list
prices as of `PRICES_AS_OF` (fleet.py) and `EXPRESS_PRICES_AS_OF`, no free tier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from p2p_core.config.validation import show_value
from p2p_core.cost.checking import TODAY, Checking, events_of_run
from p2p_core.cost.fleet import HOURS_PER_MONTH, CostError, not_negative
from p2p_core.cost.usage import (
    FINALIZE,
    IDLE_ENVIRONMENT_SECONDS,
    PLAN,
    RECONCILE_REGION,
    RECONCILE_TABLE,
    ItemSizes,
    LambdaProfile,
    TableCalls,
)

# Control-plane prices, us-east-1.
STEP_FUNCTIONS_PER_TRANSITION = 0.025 / 1_000  # Standard workflows
LAMBDA_ARM64_PER_GB_SECOND = 0.0000133334
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1_000_000  # on-demand, after the November 2024 price cut (was 1.25)
DYNAMODB_PER_READ_UNIT = 0.125 / 1_000_000  # on-demand, after the November 2024 price cut (was 0.25)
SCHEDULER_PER_INVOCATION = 1.00 / 1_000_000
EVENTS_PER_EVENT = 1.00 / 1_000_000  # EventBridge custom events (the home bus; cross-region delivery billed alike)
LOGS_PER_GB_INGESTED = 0.50
XRAY_PER_TRACE = 5.00 / 1_000_000  # traces recorded
CHECK_TRACE_RATE = 0.01  # template.yaml ScheduledCheckSampling: one scheduled check in a hundred is traced
# Step Functions Express workflows, us-east-1, first 1,000 GB-hours a month (all the check uses), no free tier:
# aws.amazon.com/step-functions/pricing, read EXPRESS_PRICES_AS_OF
EXPRESS_PRICES_AS_OF = "2026-11-26"
EXPRESS_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_PER_GB_SECOND = 0.06 / 3600  # $0.06 per GB-hour, i.e. $0.00001667 per GB-second
EXPRESS_MEMORY_CHUNK_MB = 64  # billed in 64 MB chunks: 50 MB + the definition + the payload fit the first
EXPRESS_DURATION_STEP_SECONDS = 0.1  # duration rounded up to the next 100 ms


@dataclass(frozen=True)
class CostItem:
    """One billed dimension of the control plane over a month."""

    name: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def cost(self) -> float:
        """Quantity times unit price, USD."""
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class ControlPlaneCost:
    """The control plane's monthly bill, item by item."""

    design: str
    runs_per_month: float
    regions: int
    items: tuple[CostItem, ...]

    @property
    def total(self) -> float:
        """USD per month."""
        return sum(item.cost for item in self.items)


@dataclass(frozen=True)
class Transitions:
    """State transitions of the reconcile (Standard) workflow, counted in real executions by `make bench`.

    A no-op run: Plan, NothingToDo, Finalize. A run with drift: Plan, NothingToDo, Apply, ReconcileRegions,
    UpdateControlCenter, UpdateSchedule, Finalize, and one ReconcileRegion per drifted region (its Map
    iteration). A region that fails adds RecordRegionFailure, a retry its state again; neither is modelled.
    """

    noop: int = 3
    drift_run: int = 7
    per_drifted_region: int = 1

    def of_drift_run(self, drifted_regions: float) -> float:
        """Transitions of one run that reconciles `drifted_regions` regions."""
        return self.drift_run + self.per_drifted_region * drifted_regions


@dataclass(frozen=True)
class Usage:
    """What the model bills per run, from the benchmark's measurements (usage.py).

    `check` is the Lambdas one scheduled no-op check invokes (Plan alone: it records the check itself); a run
    that finds drift also runs the reconcile workflow's `plan`, one `reconcile` per drifted region, and
    `finalize`.
    """

    check: tuple[LambdaProfile, ...] = (PLAN,)
    plan: LambdaProfile = PLAN
    finalize: LambdaProfile = FINALIZE
    reconcile: LambdaProfile = RECONCILE_REGION
    table: TableCalls = field(default_factory=TableCalls)  # a scheduled check's, its Plan recording it
    reconcile_table: TableCalls = RECONCILE_TABLE  # a reconcile run's: its Plan and its Finalize
    sizes: ItemSizes = field(default_factory=ItemSizes)
    express_overhead_seconds: float = 0.05  # the scheduled check's own states between and around its Lambdas


def cold_share_at(runs_per_month: float) -> float:
    """Share of runs whose Lambdas start cold: all of them when runs are further apart than an idle environment
    is kept (`IDLE_ENVIRONMENT_SECONDS`), none when closer."""
    if runs_per_month <= 0:
        return 0.0
    return 1.0 if HOURS_PER_MONTH * 3600 / runs_per_month > IDLE_ENVIRONMENT_SECONDS else 0.0


def _check_workload(runs: float, regions: int) -> None:
    not_negative("runs_per_month", runs)
    not_negative("regions", regions)


def express_billed_gb_seconds(seconds: float) -> float:
    """GB-seconds Step Functions bills one Express execution: 100 ms steps, one 64 MB chunk."""
    steps = math.ceil(round(seconds / EXPRESS_DURATION_STEP_SECONDS, 6))
    return steps * EXPRESS_DURATION_STEP_SECONDS * EXPRESS_MEMORY_CHUNK_MB / 1024


@dataclass(frozen=True)
class _Bill:
    """One run's use: what `_workflow_cost` prices."""

    transitions: float = 0.0
    express_requests: float = 0.0
    express_gb_seconds: float = 0.0
    invocations: float = 0.0
    lambda_gb_seconds: float = 0.0
    recorded: float = 1.0  # checks planned and recorded by their Plan (`Usage.table`)
    reconciled: float = 0.0  # reconcile runs, planned and recorded by Finalize (`Usage.reconcile_table`)
    traces: float = 1.0  # X-Ray traces recorded: a reconcile run is traced (the default sampling rule)
    scheduled: float = 1.0  # EventBridge Scheduler invocations (a run an event starts has none)
    events: float = 0.0  # EventBridge events: published by runs that did something, delivered drift events


def _workflow_cost(
    design: str, runs: float, regions: int, bill: _Bill, usage: Usage, log_kb: float, *, quota: bool = True
) -> ControlPlaneCost:
    transitions = runs * bill.transitions
    reads, writes = _table_use(usage.table, usage.sizes, regions, bill.recorded)
    reconcile_reads, reconcile_writes = _table_use(usage.reconcile_table, usage.sizes, regions, bill.reconciled)
    reads, writes = reads + reconcile_reads, writes + reconcile_writes
    items = (
        CostItem("Step Functions state transitions", transitions, "transitions", STEP_FUNCTIONS_PER_TRANSITION),
        CostItem("Step Functions Express requests", runs * bill.express_requests, "requests", EXPRESS_PER_REQUEST),
        CostItem(
            "Step Functions Express duration", runs * bill.express_gb_seconds, "GB-seconds", EXPRESS_PER_GB_SECOND
        ),
        CostItem("Lambda requests", runs * bill.invocations, "requests", LAMBDA_PER_REQUEST),
        CostItem("Lambda compute (arm64)", runs * bill.lambda_gb_seconds, "GB-seconds", LAMBDA_ARM64_PER_GB_SECOND),
        CostItem("DynamoDB reads (on-demand)", runs * reads, "read request units", DYNAMODB_PER_READ_UNIT),
        CostItem(
            "DynamoDB writes (on-demand)",
            runs * writes + (_quota_writes(usage, regions, runs) if quota else 0.0),
            "write request units",
            DYNAMODB_PER_WRITE_UNIT,
        ),
        CostItem("EventBridge Scheduler", runs * bill.scheduled, "invocations", SCHEDULER_PER_INVOCATION),
        CostItem("EventBridge events", runs * bill.events, "events", EVENTS_PER_EVENT),
        CostItem("CloudWatch Logs ingestion", runs * bill.invocations * log_kb / 1024**2, "GB", LOGS_PER_GB_INGESTED),
        CostItem("X-Ray traces recorded", runs * bill.traces, "traces", XRAY_PER_TRACE),
    )
    return ControlPlaneCost(design, runs, regions, items)


def _table_use(table: TableCalls, sizes: ItemSizes, regions: int, records: float) -> tuple[float, float]:
    """(read units, write units) of `records` runs making `table`'s calls, each planned and recorded once."""
    reads = table.config_gets * sizes.read_units("config", regions) + table.check_gets  # the checks item: < 1 KB
    reads += table.status_gets * sizes.read_units("status", regions) + table.quota_gets * sizes.read_units(
        "quota", regions
    )
    reads += table.verified_gets * sizes.read_units("verified", regions)
    writes = table.lease_writes + table.check_writes + table.status_writes * sizes.write_units("status", regions)
    return records * reads, records * writes


def _quota_writes(usage: Usage, regions: int, runs: float) -> float:
    """Write units of the quota headroom, recorded in its own item at most hourly."""
    per_month = min(runs, HOURS_PER_MONTH * usage.table.quota_writes_per_hour)
    return per_month * usage.sizes.write_units("quota", regions)


def control_plane_cost(
    runs_per_month: float,
    regions: int,
    drifted_regions_per_run: float = 0.0,
    *,
    usage: Usage = Usage(),  # frozen: one shared default is safe
    transitions: Transitions = Transitions(),
    scheduled_check: bool = True,
    cold_share: float | None = None,
    log_kb_per_invocation: float = 2.0,
    checking: Checking = TODAY,  # today's: every check verifies everything, no drift events
) -> ControlPlaneCost:
    """Monthly cost of this project's control plane for `runs_per_month` scheduled runs over `regions` regions.

    With the `scheduled_check` (the deployed design), each run is one Express execution of `usage.check`'s Lambdas and,
    when it finds drift, a reconcile (Standard) run that plans again, reconciles only the drifted regions and
    records itself. Without it, every run is a reconcile run. A fractional `drifted_regions_per_run` below 1
    reads as the share of runs that find one drifted region. `cold_share` (default: `cold_share_at` the cadence)
    is the share of Lambda invocations that are cold starts. `checking` says what a check reads (and the HTTPS
    connections it opens: checking.py) and how many drift events start one-region runs besides the schedule.
    """
    _check_workload(runs_per_month, regions)
    drifted = drifted_regions_per_run
    if not 0 <= drifted <= regions:
        raise CostError(
            "drifted_regions_per_run", drifted, f"must be between 0 and regions ({regions}), got {show_value(drifted)}"
        )
    cold = cold_share_at(runs_per_month) if cold_share is None else cold_share
    drift_share = min(drifted, 1.0)  # runs that find drift
    reconciled = max(drifted, 1.0) if drifted else 0.0  # regions one such run reconciles
    reconcile_run = (usage.plan, usage.finalize)  # the reconcile workflow's own Plan and Finalize

    def gb(profiles: tuple[LambdaProfile, ...]) -> float:
        return sum(p.gb_seconds(regions, cold) for p in profiles)

    period = HOURS_PER_MONTH * 3600 / runs_per_month if runs_per_month else math.inf
    check = tuple(checking.check_profile(p, period) for p in usage.check)  # on AWS: HTTPS, the reads it makes

    drift_transitions = drift_share * transitions.of_drift_run(reconciled)
    reconcile_gb = drifted * usage.reconcile.gb_seconds(1, cold)
    if scheduled_check:
        cold_seconds, warm_seconds = (
            sum(p.billed_seconds(regions, cold=c) for p in check) + usage.express_overhead_seconds
            for c in (True, False)
        )
        express = cold * express_billed_gb_seconds(cold_seconds) + (1 - cold) * express_billed_gb_seconds(warm_seconds)
        bill = _Bill(
            transitions=drift_transitions,
            express_requests=1.0,
            express_gb_seconds=express,
            invocations=len(check) + drift_share * len(reconcile_run) + drifted,
            # the reconcile run's Plan follows the check within seconds: its connections are still open
            lambda_gb_seconds=gb(check) + drift_share * gb(reconcile_run) + reconcile_gb,
            reconciled=drift_share,  # the reconcile run plans and records again
            traces=CHECK_TRACE_RATE + drift_share,
            events=drift_share * events_of_run(reconciled),
        )
    else:
        bill = _Bill(
            transitions=drift_transitions + (1 - drift_share) * transitions.noop,
            invocations=len(reconcile_run) + drifted,
            lambda_gb_seconds=gb((checking.check_profile(usage.plan, period), usage.finalize)) + reconcile_gb,
            recorded=0.0,
            reconciled=1.0,  # every run a reconcile run: Plan and Finalize
            events=drift_share * events_of_run(reconciled),
        )
    design = "scheduled check + drift-only" if scheduled_check else "drift-only"
    scheduled = _workflow_cost(design, runs_per_month, regions, bill, usage, log_kb_per_invocation)
    if checking.drift is None or not checking.drift.events_per_month:
        return scheduled
    repairs_found = runs_per_month * drift_share  # reconcile runs the schedule's checks start: on the trail too
    return _with_drift_events(scheduled, checking, usage, transitions, log_kb_per_invocation, repairs_found)


def _with_drift_events(
    scheduled: ControlPlaneCost,
    checking: Checking,
    usage: Usage,
    transitions: Transitions,
    log_kb: float,
    repairs_found: float,
) -> ControlPlaneCost:
    """`scheduled` plus the drift-event path (drift_events.py): its own line items (forwarding, the Express checks
    the events start with the coalescing wait, the coalescing item), the runs it starts billed as any run (Plan
    verifying the region named fully, recorded as a check; a one-region reconcile run for each repair), and with
    CreateTrail=true the trail's events and bucket."""
    drift = checking.drift
    assert drift is not None
    events, runs = drift.events_per_month, drift.runs
    cold = cold_share_at(runs)  # a few runs a month: each a cold start
    verify = replace(checking, quiet_reads_per_region=None).check_profile(usage.plan, 0.0)  # one region, fully
    seconds = [verify.billed_seconds(1, cold=c) + usage.express_overhead_seconds for c in (True, False)]
    started = [express_billed_gb_seconds(drift.coalescing_wait_seconds + s) for s in seconds]
    coalesced = express_billed_gb_seconds(usage.express_overhead_seconds)  # wrote the item, another run has it
    express = runs * (cold * started[0] + (1 - cold) * started[1]) + (events - runs) * coalesced
    items = (
        CostItem("drift events: forwarded to the home bus", events, "events", EVENTS_PER_EVENT),
        CostItem("drift events: Express check starts", events, "requests", EXPRESS_PER_REQUEST),
        CostItem(
            "drift events: Express duration (coalescing wait included)", express, "GB-seconds", EXPRESS_PER_GB_SECOND
        ),
        CostItem(
            "drift events: coalescing item writes",
            (events + runs) * drift.coalescing_write_units,
            "write request units",
            DYNAMODB_PER_WRITE_UNIT,
        ),
    )
    check = _Bill(invocations=1, lambda_gb_seconds=verify.gb_seconds(1, cold), traces=CHECK_TRACE_RATE, scheduled=0)
    repair = _Bill(
        transitions=transitions.of_drift_run(1),
        invocations=3,
        lambda_gb_seconds=sum(p.gb_seconds(1, cold) for p in (usage.plan, usage.finalize, usage.reconcile)),
        recorded=0.0,
        reconciled=1.0,
        scheduled=0.0,
        events=events_of_run(1),
    )
    merged = scheduled.items
    for count, bill in ((runs, check), (drift.repairs, repair)):
        added = _workflow_cost("", count, scheduled.regions, bill, usage, log_kb, quota=False).items
        merged = tuple(
            replace(mine, quantity=mine.quantity + theirs.quantity) for mine, theirs in zip(merged, added, strict=True)
        )
    return replace(
        scheduled,
        items=merged
        + items
        + tuple(CostItem(*line) for line in drift.trail_lines(scheduled.runs_per_month, repairs_found)),
    )


def naive_control_plane_cost(
    runs_per_month: float,
    regions: int,
    *,
    usage: Usage = Usage(),
    transitions: Transitions = Transitions(),
    cold_share: float | None = None,
    log_kb_per_invocation: float = 2.0,
) -> ControlPlaneCost:
    """Monthly cost of the seed's design for comparison: every run Maps over every region, each region a
    Lambda that verifies (and maybe reconciles) it as our Plan does one region; transitions as a reconcile run
    over every region."""
    _check_workload(runs_per_month, regions)
    cold = cold_share_at(runs_per_month) if cold_share is None else cold_share
    bill = _Bill(
        transitions=transitions.of_drift_run(regions),
        invocations=regions,
        lambda_gb_seconds=regions * usage.plan.gb_seconds(1, cold),
        recorded=0.0,
        reconciled=1.0,  # planned and recorded as a reconcile run
    )
    return _workflow_cost("every-region", runs_per_month, regions, bill, usage, log_kb_per_invocation)
