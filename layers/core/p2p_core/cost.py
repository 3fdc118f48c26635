"""Estimated AWS cost of the fleet and of the control plane itself, from a shipped, dated price table.

Pure: no AWS calls. Prices are AWS's public on-demand list prices (Linux, no free tier, no savings
plans), in USD, as of `PRICES_AS_OF`. Instance and EBS prices are the published us-east-1 price times
a per-region multiplier read off the published prices of t3.micro; real per-region prices differ by a
few percent per type, so every regional figure here is an approximation for planning, not a bill.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from p2p_core.schedule_expression import Cron, normalize_schedule, schedule_period
from p2p_core.validation import show_value

PRICES_AS_OF = "2026-11-01"
PRICES_SOURCE = (
    "AWS public on-demand prices, Linux, USD: aws.amazon.com/ec2/pricing/on-demand, aws.amazon.com/ebs/pricing, "
    "aws.amazon.com/step-functions/pricing, aws.amazon.com/lambda/pricing, aws.amazon.com/dynamodb/pricing/on-demand, "
    "aws.amazon.com/eventbridge/pricing, aws.amazon.com/cloudwatch/pricing"
)
HOURS_PER_MONTH = 730.0  # AWS's own convention for monthly estimates (and for EBS GB-month proration)

# On-demand $/hour in us-east-1.
US_EAST_1_HOURLY: Mapping[str, float] = {
    "t4g.nano": 0.0042,
    "t4g.micro": 0.0084,
    "t4g.small": 0.0168,
    "t4g.medium": 0.0336,
    "t3.nano": 0.0052,
    "t3.micro": 0.0104,
    "t3.small": 0.0208,
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3a.nano": 0.0047,
    "t3a.micro": 0.0094,
    "t3a.small": 0.0188,
    "t3a.medium": 0.0376,
    "t3a.large": 0.0752,
    "t2.nano": 0.0058,
    "t2.micro": 0.0116,
    "t2.small": 0.023,
    "t2.medium": 0.0464,
    "t2.large": 0.0928,
    "t4g.large": 0.0672,
    "c7g.medium": 0.0363,
    "m7g.medium": 0.0408,
}

# Spot $/hour in us-east-1: a typical recent price (Spot prices move with supply and demand), read off
# the Spot price history as of SPOT_PRICES_AS_OF; used when DescribeSpotPriceHistory cannot be read.
SPOT_PRICES_AS_OF = "2026-11-01"
US_EAST_1_SPOT_HOURLY: Mapping[str, float] = {
    "t4g.nano": 0.0015, "t4g.micro": 0.0029, "t4g.small": 0.0058, "t4g.medium": 0.0117, "t4g.large": 0.0233,
    "t3.nano": 0.0019, "t3.micro": 0.0037, "t3.small": 0.0073, "t3.medium": 0.0146, "t3.large": 0.0291,
    "t3a.nano": 0.0017, "t3a.micro": 0.0034, "t3a.small": 0.0068, "t3a.medium": 0.0135, "t3a.large": 0.0270,
    "t2.nano": 0.0017, "t2.micro": 0.0035, "t2.small": 0.0069, "t2.medium": 0.0139, "t2.large": 0.0278,
    "c7g.medium": 0.0145, "m7g.medium": 0.0163,
}  # fmt: skip

# Regional price / us-east-1 price, from t3.micro; applied to every instance type and to EBS.
REGION_MULTIPLIER: Mapping[str, float] = {
    "us-east-1": 1.00, "us-east-2": 1.00, "us-west-2": 1.00, "us-west-1": 1.19,
    "ca-central-1": 1.11, "ca-west-1": 1.11, "mx-central-1": 1.10, "sa-east-1": 1.62,
    "eu-west-1": 1.10, "eu-west-2": 1.13, "eu-west-3": 1.13, "eu-central-1": 1.15, "eu-central-2": 1.27,
    "eu-north-1": 1.04, "eu-south-1": 1.17, "eu-south-2": 1.10,
    "il-central-1": 1.16, "me-south-1": 1.22, "me-central-1": 1.22, "af-south-1": 1.31,
    "ap-south-1": 1.08, "ap-south-2": 1.08, "ap-east-1": 1.38, "ap-east-2": 1.30,
    "ap-northeast-1": 1.31, "ap-northeast-2": 1.25, "ap-northeast-3": 1.31,
    "ap-southeast-1": 1.27, "ap-southeast-2": 1.27, "ap-southeast-3": 1.27, "ap-southeast-4": 1.27,
    "ap-southeast-5": 1.20, "ap-southeast-6": 1.30, "ap-southeast-7": 1.20,
}  # fmt: skip

# EBS $/GB-month in us-east-1 (storage only: provisioned IOPS and throughput are not modelled).
US_EAST_1_EBS_GB_MONTH: Mapping[str, float] = {
    "gp3": 0.08,
    "gp2": 0.10,
    "io1": 0.125,
    "io2": 0.125,
    "st1": 0.045,
    "sc1": 0.015,
    "standard": 0.05,
}

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


class CostError(ValueError):
    """An input the cost model cannot price; the message names the field and the value."""

    def __init__(self, field: str, value: object, message: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class FleetLine:
    """One region's share of the fleet bill over the period."""

    region: str
    instances: int
    hourly_price: float
    instance_cost: float
    ebs_cost: float

    @property
    def total(self) -> float:
        """Instances plus volumes, USD."""
        return self.instance_cost + self.ebs_cost


@dataclass(frozen=True)
class FleetCost:
    """The fleet's bill over `hours`, per region and in total."""

    instance_type: str
    hours: float
    volume_gb: int
    volume_type: str
    lines: tuple[FleetLine, ...]

    @property
    def instances(self) -> int:
        """Instances across all regions."""
        return sum(line.instances for line in self.lines)

    @property
    def instance_cost(self) -> float:
        """Compute, USD."""
        return sum(line.instance_cost for line in self.lines)

    @property
    def ebs_cost(self) -> float:
        """Volumes, USD."""
        return sum(line.ebs_cost for line in self.lines)

    @property
    def total(self) -> float:
        """Compute plus volumes, USD."""
        return self.instance_cost + self.ebs_cost


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


def _priced(field: str, name: str, table: Mapping[str, float]) -> float:
    """`table[name]`, or a CostError naming the field, the value and the names that have a price."""
    if name not in table:
        raise CostError(field, name, f"no price for {show_value(name)} (known: {', '.join(sorted(table))})")
    return table[name]


def _not_negative(field: str, value: float) -> None:
    if value < 0:
        raise CostError(field, value, f"must be at least 0, got {show_value(value)}")


def hourly_price(instance_type: str, region: str) -> float:
    """On-demand $/hour of one instance, rounded to AWS's four published decimals."""
    base = _priced("instance.type", instance_type, US_EAST_1_HOURLY)
    return round(base * _priced("regions", region, REGION_MULTIPLIER), 4)


def ebs_gb_month_price(volume_type: str, region: str) -> float:
    """EBS $/GB-month of one volume type in one region."""
    base = _priced("instance.volume_type", volume_type, US_EAST_1_EBS_GB_MONTH)
    return round(base * _priced("regions", region, REGION_MULTIPLIER), 4)


def fleet_cost(
    instance_type: str, capacity_by_region: Mapping[str, int], hours: float, volume_gb: int, volume_type: str
) -> FleetCost:
    """What `capacity_by_region` instances, each with one `volume_gb` volume, cost over `hours`."""
    _not_negative("hours", hours)
    _not_negative("instance.volume_size", volume_gb)
    lines = []
    for region, instances in sorted(capacity_by_region.items()):
        _not_negative(f"desired_capacity.{region}", instances)
        price = hourly_price(instance_type, region)
        gb_month = ebs_gb_month_price(volume_type, region)
        lines.append(
            FleetLine(
                region=region,
                instances=instances,
                hourly_price=price,
                instance_cost=instances * price * hours,
                ebs_cost=instances * volume_gb * gb_month * hours / HOURS_PER_MONTH,
            )
        )
    return FleetCost(instance_type, hours, volume_gb, volume_type, tuple(lines))


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
    _not_negative("runs_per_month", runs)
    _not_negative("regions", regions)


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
