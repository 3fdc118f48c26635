"""Estimated AWS cost of the control plane itself: Step Functions, Lambda, DynamoDB, Scheduler and logs per month.

Pure: no AWS calls. Transitions and durations come from measured runs (benchmarks/run.py feeds `RunTimings`);
list prices as of `PRICES_AS_OF` (cost.py) and `EXPRESS_PRICES_AS_OF`, no free tier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from p2p_core.cost import HOURS_PER_MONTH, CostError, not_negative
from p2p_core.schedule_expression import Cron, normalize_schedule, schedule_period
from p2p_core.validation import show_value

# Control-plane prices, us-east-1.
STEP_FUNCTIONS_PER_TRANSITION = 0.025 / 1_000  # Standard workflows
LAMBDA_ARM64_PER_GB_SECOND = 0.0000133334
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1_000_000  # on-demand, after the November 2024 price cut (was 1.25)
DYNAMODB_PER_READ_UNIT = 0.125 / 1_000_000  # on-demand, after the November 2024 price cut (was 0.25)
SCHEDULER_PER_INVOCATION = 1.00 / 1_000_000
LOGS_PER_GB_INGESTED = 0.50
# Step Functions Express workflows, us-east-1, first 1,000 GB-hours a month (all the watcher uses), no free tier:
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

    @property
    def per_run(self) -> float:
        """USD per workflow run."""
        return self.total / self.runs_per_month if self.runs_per_month else 0.0


@dataclass(frozen=True)
class _LambdaUse:
    invocations_per_run: float
    seconds: float
    memory_mb: int

    @property
    def gb_seconds_per_run(self) -> float:
        return self.invocations_per_run * self.seconds * self.memory_mb / 1024


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
class RunTimings:
    """Seconds per run that the model bills (Lambda and Express duration).

    The defaults are `make bench`'s figures of 2026-11-26 (benchmarks/results/latest.json `watcher_timings`:
    34 regions, 80 ms per regional API call, in the emulator, whose own CPU work in the handlers' process
    makes them longer than on AWS); the benchmark feeds the figures it measures in the same run.
    """

    plan_seconds: float = 2.52  # the Plan Lambda of a scheduled no-op, every managed resource of 34 regions verified
    finalize_seconds: float = 2.96  # the Finalize Lambda
    reconcile_seconds: float = 0.35  # one ReconcileRegion Lambda: one region's capacity changed
    watcher_seconds: float = 5.49  # one scheduled no-op watcher execution (Express), Plan to Finalize
    region_seconds: float = 0.86  # one region verified alone: the every-region design's per-region Lambda


def _check_workload(runs: float, regions: int) -> None:
    not_negative("runs_per_month", runs)
    not_negative("regions", regions)


def express_billed_gb_seconds(seconds: float) -> float:
    """GB-seconds Step Functions bills one Express execution: 100 ms steps, one 64 MB chunk."""
    steps = math.ceil(round(seconds / EXPRESS_DURATION_STEP_SECONDS, 6))
    return steps * EXPRESS_DURATION_STEP_SECONDS * EXPRESS_MEMORY_CHUNK_MB / 1024


def _workflow_cost(
    design: str,
    runs: float,
    regions: int,
    transitions_per_run: float,
    lambdas: Sequence[_LambdaUse],
    *,
    express_gb_seconds_per_run: float = 0.0,
    plans_per_run: float = 1.0,
    log_kb_per_invocation: float,
) -> ControlPlaneCost:
    invocations = runs * sum(use.invocations_per_run for use in lambdas)
    # Per Plan: config get + previous status get (reads, strongly consistent, < 4 KB each) and the lease put;
    # per run: status put (1 WRU per started KB) + lease delete.
    reads = 2.0 * plans_per_run
    writes = plans_per_run + 1.0 + math.ceil(_status_kb(regions))
    items = (
        CostItem(
            "Step Functions state transitions", runs * transitions_per_run, "transitions", STEP_FUNCTIONS_PER_TRANSITION
        ),
        CostItem(
            "Step Functions Express requests",
            runs if express_gb_seconds_per_run else 0.0,
            "requests",
            EXPRESS_PER_REQUEST,
        ),
        CostItem(
            "Step Functions Express duration",
            runs * express_gb_seconds_per_run,
            "GB-seconds",
            EXPRESS_PER_GB_SECOND,
        ),
        CostItem("Lambda requests", invocations, "requests", LAMBDA_PER_REQUEST),
        CostItem(
            "Lambda compute (arm64)",
            runs * sum(use.gb_seconds_per_run for use in lambdas),
            "GB-seconds",
            LAMBDA_ARM64_PER_GB_SECOND,
        ),
        CostItem("DynamoDB reads (on-demand)", runs * reads, "read request units", DYNAMODB_PER_READ_UNIT),
        CostItem("DynamoDB writes (on-demand)", runs * writes, "write request units", DYNAMODB_PER_WRITE_UNIT),
        CostItem("EventBridge Scheduler", runs, "invocations", SCHEDULER_PER_INVOCATION),
        CostItem(
            "CloudWatch Logs ingestion", invocations * log_kb_per_invocation / 1024**2, "GB", LOGS_PER_GB_INGESTED
        ),
    )
    return ControlPlaneCost(design, runs, regions, items)


def _status_kb(regions: int) -> float:
    # The status item: a header plus one short result per region.
    return 0.5 + 0.1 * regions


def control_plane_cost(
    runs_per_month: float,
    regions: int,
    drifted_regions_per_run: float = 0.0,
    *,
    timings: RunTimings = RunTimings(),  # frozen: one shared default is safe
    transitions: Transitions = Transitions(),
    watcher: bool = True,
    memory_mb: int = 512,
    log_kb_per_invocation: float = 2.0,
) -> ControlPlaneCost:
    """Monthly cost of this project's control plane for `runs_per_month` scheduled runs.

    With the `watcher` (the deployed design), each run is one Express execution running Plan, which
    reads every region in parallel threads, and then Finalize for a no-op: no Standard transition. A
    run that finds drift starts the reconcile workflow instead, which plans again and reconciles only the
    drifted regions (`transitions`). Without it, every run is a reconcile (Standard) execution. A
    fractional `drifted_regions_per_run` below 1 reads as the share of runs that find one drifted region.
    """
    _check_workload(runs_per_month, regions)
    drifted = drifted_regions_per_run
    if not 0 <= drifted <= regions:
        raise CostError(
            "drifted_regions_per_run", drifted, f"must be between 0 and regions ({regions}), got {show_value(drifted)}"
        )
    drift_share = min(drifted, 1.0)  # runs that find drift
    reconciled = max(drifted, 1.0) if drifted else 0.0  # regions one such run reconciles
    standard = drift_share * transitions.of_drift_run(reconciled)
    plans = 1.0 + drift_share if watcher else 1.0  # the reconcile run plans again: the watcher's plan may be stale
    lambdas = (
        _LambdaUse(plans, timings.plan_seconds, memory_mb),
        _LambdaUse(1, timings.finalize_seconds, memory_mb),
        _LambdaUse(drifted, timings.reconcile_seconds, memory_mb),
    )
    if not watcher:
        standard += (1 - drift_share) * transitions.noop
    return _workflow_cost(
        "watcher + drift-only" if watcher else "drift-only",
        runs_per_month,
        regions,
        standard,
        lambdas,
        express_gb_seconds_per_run=express_billed_gb_seconds(timings.watcher_seconds) if watcher else 0.0,
        plans_per_run=plans,
        log_kb_per_invocation=log_kb_per_invocation,
    )


def naive_control_plane_cost(
    runs_per_month: float,
    regions: int,
    *,
    timings: RunTimings = RunTimings(),
    transitions: Transitions = Transitions(),
    memory_mb: int = 512,
    log_kb_per_invocation: float = 2.0,
) -> ControlPlaneCost:
    """Monthly cost of the seed's design for comparison: every run Maps over every region, each region a
    Lambda that verifies (and maybe reconciles) it; transitions as a reconcile run over every region."""
    _check_workload(runs_per_month, regions)
    lambdas = (_LambdaUse(regions, timings.region_seconds, memory_mb),)
    return _workflow_cost(
        "every-region",
        runs_per_month,
        regions,
        transitions.of_drift_run(regions),
        lambdas,
        log_kb_per_invocation=log_kb_per_invocation,
    )


def runs_per_month(schedule_expression: str) -> float:
    """How many runs a schedule gives in a 730-hour month (a cron's weekday/month fields counted over a year)."""
    try:
        expression = normalize_schedule(schedule_expression)
        period = schedule_period(expression)
        if period is not None:
            return HOURS_PER_MONTH * 3600 / period.total_seconds()
        cron = replace(Cron.parse(expression), years=frozenset(range(1970, 2200)))  # any year: a typical month
    except ValueError as exc:
        raise CostError("schedule_expression", schedule_expression, str(exc)) from exc
    first = datetime(2027, 1, 1, tzinfo=UTC)
    share = sum(cron.matches_day(first + timedelta(days=d)) for d in range(365)) / 365
    return len(cron.minutes) * len(cron.hours) * share * HOURS_PER_MONTH / 24
