"""The radar's cost model, one line item at a time, and the issue's target: ≤ $1.50 per 1,000 agents a month."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from p2p_core.cost.control_plane import (
    DYNAMODB_PER_READ_UNIT,
    DYNAMODB_PER_WRITE_UNIT,
    LAMBDA_ARM64_PER_GB_SECOND,
    LAMBDA_PER_REQUEST,
    LOGS_PER_GB_INGESTED,
)
from p2p_core.cost.fleet import HOURS_PER_MONTH, CostError
from p2p_core.cost.radar import (
    CUSTOM_METRIC_PER_MONTH,
    DYNAMODB_PER_GB_MONTH,
    KMS_PER_REQUEST,
    RADAR_TARGET_PER_1000_AGENTS,
    RadarUsage,
    per_1000_agents,
    radar_cost,
    reports_per_month,
)
from p2p_core.cost.usage import FULL_VCPU_MB
from p2p_core.radar.records import REFRESH

USAGE = RadarUsage()
REPORTS = 1000 * HOURS_PER_MONTH * 4  # 1,000 agents, every 15 minutes
REFRESHES = HOURS_PER_MONTH * 3600 / REFRESH.total_seconds()
COLD_STARTS = USAGE.environments * HOURS_PER_MONTH / USAGE.environment_hours


def item(name: str, agents: int = 1000, regions: int = 1) -> tuple[float, float]:
    found = {i.name: i for i in radar_cost(agents, regions).items}[name]
    return found.quantity, found.cost


def test_1000_agents_every_15_minutes_cost_at_most_the_target() -> None:
    assert per_1000_agents(radar_cost(1000, 1), 1000) <= RADAR_TARGET_PER_1000_AGENTS


def test_reports_per_month_follow_the_interval() -> None:
    assert reports_per_month(1000, timedelta(minutes=15)) == REPORTS
    assert reports_per_month(10, timedelta(hours=1)) == 10 * HOURS_PER_MONTH


def test_one_lambda_request_per_report() -> None:
    assert item("Lambda requests (radar)") == (REPORTS, REPORTS * LAMBDA_PER_REQUEST)


def test_lambda_compute_bills_whole_milliseconds_per_report_the_table_calls_and_cold_starts() -> None:
    throttle = FULL_VCPU_MB / USAGE.memory_mb
    calls = 1000 * (REFRESHES + USAGE.changes_per_agent_month) + 1000 * (USAGE.environments * REFRESHES + COLD_STARTS)
    seconds = REPORTS * math.ceil(USAGE.report_cpu_seconds * throttle * 1000) / 1000
    seconds += calls * (USAGE.call_cpu_seconds * throttle + USAGE.call_wait_seconds) + COLD_STARTS * USAGE.init_seconds
    gb_seconds = seconds * USAGE.memory_mb / 1024
    assert item("Lambda compute (radar, arm64)") == pytest.approx((gb_seconds, gb_seconds * LAMBDA_ARM64_PER_GB_SECOND))


def test_a_record_is_written_per_refresh_and_per_change_not_per_report() -> None:
    writes = 1000 * (REFRESHES + USAGE.changes_per_agent_month)
    assert item("DynamoDB writes (agent records)") == pytest.approx((writes, writes * DYNAMODB_PER_WRITE_UNIT))
    assert writes < REPORTS / 5


def test_reads_are_half_units_per_environment_refresh_and_cold_start() -> None:
    units = 0.5 * 1000 * (USAGE.environments * REFRESHES + COLD_STARTS)
    assert item("DynamoDB reads (agent records)") == pytest.approx((units, units * DYNAMODB_PER_READ_UNIT))


def test_storage_is_one_small_item_per_agent() -> None:
    gb = 1000 * USAGE.item_bytes / 1024**3
    assert item("DynamoDB storage (agent records)") == pytest.approx((gb, gb * DYNAMODB_PER_GB_MONTH))


def test_emf_lines_are_one_per_environment_minute_and_region_never_more_than_reports() -> None:
    lines = USAGE.environments * HOURS_PER_MONTH * 60 * 3
    gb = lines * USAGE.metric_line_bytes / 1024**3
    assert item("CloudWatch Logs (EMF, radar)", regions=3) == pytest.approx((gb, gb * LOGS_PER_GB_INGESTED))
    few = 1 * HOURS_PER_MONTH  # one agent reporting hourly: a line per report at most
    assert radar_cost(1, 3, timedelta(hours=1)).items[5].quantity == pytest.approx(few * 320 / 1024**3)


def test_one_custom_metric_per_region() -> None:
    assert item("CloudWatch metrics (AgentReports per region)", regions=4) == (4.0, 4 * CUSTOM_METRIC_PER_MONTH)


def test_the_token_is_decrypted_per_cold_start_and_once_per_agent() -> None:
    requests = COLD_STARTS + 1000
    assert item("KMS requests (radar token)") == pytest.approx((requests, requests * KMS_PER_REQUEST))


def test_no_agents_cost_only_the_regions_metrics() -> None:
    idle = radar_cost(0, 2)
    assert idle.total == pytest.approx(2 * CUSTOM_METRIC_PER_MONTH) and per_1000_agents(idle, 0) == 0.0


def test_negative_agents_are_refused_naming_the_field() -> None:
    with pytest.raises(CostError, match="agents"):
        radar_cost(-1, 1)
