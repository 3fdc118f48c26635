"""Estimated monthly cost of the radar: agents reporting through the function URL, records, metrics, logs.

Pure: no AWS calls. The CPU per report is measured by `benchmarks/radar.py` (the handler in process over many
reports); what a report writes follows records.py: a record is written when new, changed, or `REFRESH` old, and
read first by an environment that does not know it or finds it due. List prices, us-east-1, no free tier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from p2p_core.cost.control_plane import (
    DYNAMODB_PER_READ_UNIT,
    DYNAMODB_PER_WRITE_UNIT,
    LAMBDA_ARM64_PER_GB_SECOND,
    LAMBDA_PER_REQUEST,
    LOGS_PER_GB_INGESTED,
    ControlPlaneCost,
    CostItem,
)
from p2p_core.cost.fleet import HOURS_PER_MONTH, not_negative
from p2p_core.cost.usage import FULL_VCPU_MB
from p2p_core.radar.records import REFRESH

MEASURED_AT = "2026-12-06"
CUSTOM_METRIC_PER_MONTH = 0.30  # CloudWatch, first 10,000 metrics
DYNAMODB_PER_GB_MONTH = 0.25  # Standard table class
KMS_PER_REQUEST = 0.03 / 10_000  # the aws/ssm key decrypting the token's SecureString
EVENTUAL_READ_UNITS = 0.5  # an eventually consistent GetItem of an item under 4 KB
RADAR_TARGET_PER_1000_AGENTS = 1.50  # issue 25: per month, 1,000 agents reporting every 15 minutes


@dataclass(frozen=True)
class RadarUsage:
    """What one report uses, from `make bench`'s radar rows (benchmarks/radar.py), and the environments it runs in.

    CPU figures are seconds on one full vCPU; at `memory_mb` Lambda gives the function `memory_mb / 1769` of one,
    so they last that much longer. `environments` is how many function environments share the reports at once
    and `environment_hours` how long one lives (each new one starts cold and reads the token and every agent's
    record once).
    """

    memory_mb: int = 128
    # benchmarks/results/latest.json "radar_cpu_measured" of MEASURED_AT (2,000 reports, median of 3 processes)
    report_cpu_seconds: float = 0.000141  # a report answered from memory: event parsed, token checked, answer
    call_cpu_seconds: float = 0.000978  # one DynamoDB call made (serialised, signed, parsed)
    call_wait_seconds: float = 0.006  # in-region DynamoDB latency, billed while waiting
    init_seconds: float = 0.5  # INIT: the handler imported (Powertools, pydantic, boto3), at full CPU
    environments: int = 2
    environment_hours: float = 2.0
    changes_per_agent_month: float = 4.0  # reports that say something new (services, capacity, versions)
    item_bytes: int = 400
    metric_line_bytes: int = 320  # one EMF line: the reports of a minute in one region


def reports_per_month(agents: int, interval: timedelta) -> float:
    """Reports of `agents` reporting every `interval` in a 730-hour month."""
    return agents * HOURS_PER_MONTH * 3600 / interval.total_seconds()


def radar_cost(
    agents: int,
    regions: int,
    interval: timedelta = timedelta(minutes=15),
    *,
    usage: RadarUsage = RadarUsage(),  # frozen: one shared default is safe
    refresh: timedelta = REFRESH,
) -> ControlPlaneCost:
    """The radar's monthly bill for `agents` reporting every `interval` from `regions` regions (each a metric)."""
    not_negative("agents", agents)
    not_negative("regions", regions)
    reports = reports_per_month(agents, interval)
    refreshes = HOURS_PER_MONTH * 3600 / refresh.total_seconds()
    cold_starts = usage.environments * HOURS_PER_MONTH / usage.environment_hours if agents else 0.0
    writes = min(reports, agents * (refreshes + usage.changes_per_agent_month))
    reads = min(reports, agents * (usage.environments * refreshes + cold_starts))
    throttle = max(1.0, FULL_VCPU_MB / usage.memory_mb)
    billed_ms = math.ceil(usage.report_cpu_seconds * throttle * 1000)  # Lambda bills whole milliseconds
    call_seconds = usage.call_cpu_seconds * throttle + usage.call_wait_seconds
    seconds = reports * billed_ms / 1000 + (reads + writes) * call_seconds + cold_starts * usage.init_seconds
    metric_lines = min(reports, usage.environments * HOURS_PER_MONTH * 60 * max(regions, 1)) if agents else 0.0
    items = (
        CostItem("Lambda requests (radar)", reports, "requests", LAMBDA_PER_REQUEST),
        CostItem(
            "Lambda compute (radar, arm64)", seconds * usage.memory_mb / 1024, "GB-seconds", LAMBDA_ARM64_PER_GB_SECOND
        ),
        CostItem("DynamoDB writes (agent records)", writes, "write request units", DYNAMODB_PER_WRITE_UNIT),
        CostItem(
            "DynamoDB reads (agent records)", reads * EVENTUAL_READ_UNITS, "read request units", DYNAMODB_PER_READ_UNIT
        ),
        CostItem(
            "DynamoDB storage (agent records)", agents * usage.item_bytes / 1024**3, "GB-months", DYNAMODB_PER_GB_MONTH
        ),
        CostItem(
            "CloudWatch Logs (EMF, radar)", metric_lines * usage.metric_line_bytes / 1024**3, "GB", LOGS_PER_GB_INGESTED
        ),
        CostItem("CloudWatch metrics (AgentReports per region)", float(regions), "metrics", CUSTOM_METRIC_PER_MONTH),
        CostItem("KMS requests (radar token)", cold_starts + agents, "requests", KMS_PER_REQUEST),
    )
    return ControlPlaneCost("radar", reports, regions, items)


def per_1000_agents(cost: ControlPlaneCost, agents: int) -> float:
    """USD per month per 1,000 agents."""
    return cost.total * 1000 / agents if agents else 0.0
