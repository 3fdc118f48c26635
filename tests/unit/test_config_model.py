"""The config model: defaults, native round trip, grammars, JSON Schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from p2p_core.config.durations import format_duration, parse_duration
from p2p_core.config.model import config_json_schema, parse_config
from p2p_core.config.schedule_expression import normalize_schedule, schedule_period
from p2p_core.regions import commercial_regions, is_opt_in, opt_in_regions
from p2p_core.storage.config import from_dynamodb, to_dynamodb


def test_empty_item_is_a_valid_config_with_the_documented_defaults() -> None:
    config = parse_config({})
    assert config.regions == ["eu-central-1"]
    assert config.desired_capacity.resolve("eu-central-1") == 1
    assert (config.min_size, config.max_size) == (0, 30)
    assert config.start_time == "now" and config.start_offset == timedelta(minutes=15)
    assert config.run_duration == timedelta(days=7) and config.stop_time is None
    assert config.schedule_expression == "rate(15 minutes)"
    assert (config.instance.type, config.instance.os, config.instance.architecture) == (
        "t3.micro",
        "ubuntu-24.04",
        "x86_64",
    )
    assert (config.instance.volume_size, config.instance.volume_type) == (8, "gp3")
    assert config.network.cidr_block == "10.20.30.0/24" and config.network.az_number == 3
    assert config.network.open_ports == ["1024-65535", "1024-65535"]
    assert config.network.ipv6 and config.network.public_ipv4
    assert config.control_center.enabled and config.logs.enabled and config.logs.retention_days == 7


def test_item_round_trips_through_dynamodb_native_types() -> None:
    raw = {
        "regions": ["eu-central-1", "us-east-1"],
        "desired_capacity": {"all": 3, "aws": {"all": 2, "eu-central-1": "-"}},
        "start_time": "2026-12-01T09:00:00Z",
        "run_duration": "2 hours",
        "network": {"open_ports": [4001, None]},
        "version": 4,
    }
    config = parse_config(raw)
    stored = from_dynamodb(to_dynamodb({"pk": "config", **config.to_item()}))
    assert parse_config(stored) == config
    assert stored["desired_capacity"] == {"all": 3, "aws": {"all": 2, "eu-central-1": "-"}}
    assert stored["network"]["open_ports"] == ["4001", None]


def test_numbers_from_dynamodb_arrive_as_decimals_and_are_accepted() -> None:
    config = parse_config({"desired_capacity": {"aws": {"all": Decimal(2)}}, "max_size": Decimal(5)})
    assert config.desired_capacity.resolve("eu-central-1") == 2 and config.max_size == 5


def test_seed_spelling_of_the_os_is_accepted() -> None:
    assert parse_config({"instance": {"os": "Ubuntu 22.04"}}).instance.os == "ubuntu-22.04"


def test_regions_all_expands_to_the_34_commercial_regions() -> None:
    assert parse_config({"regions": "all"}).selected_regions() == list(commercial_regions())
    assert len(commercial_regions()) == 34


def test_opt_in_regions_are_marked() -> None:
    assert is_opt_in("af-south-1") and is_opt_in("me-central-1")
    assert not is_opt_in("eu-central-1") and not is_opt_in("us-east-1")
    assert len(opt_in_regions()) == 17


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15 minutes", "rate(15 minutes)"), ("1 minute", "rate(1 minute)"), ("60 minutes", "rate(1 hour)"),
     ("2 days", "rate(2 days)"), ("rate(5 minutes)", "rate(5 minutes)"), ("rate(1 minutes)", "rate(1 minute)"),
     ("cron(0/15 * * * ? *)", "cron(0/15 * * * ? *)")],
)  # fmt: skip
def test_schedule_expression_is_normalised_for_eventbridge_scheduler(text: str, expected: str) -> None:
    assert normalize_schedule(text) == expected


def test_durations_parse_and_format_in_the_largest_whole_unit() -> None:
    assert parse_duration("90 minutes") == timedelta(minutes=90)
    assert parse_duration("1 week") == timedelta(days=7)
    assert format_duration(timedelta(days=7)) == "7 days"
    assert format_duration(timedelta(minutes=90)) == "90 minutes"
    assert format_duration(timedelta(0)) == "0 seconds"
    assert schedule_period("rate(2 hours)") == timedelta(hours=2) and schedule_period("cron(0 * * * ? *)") is None


def test_times_are_kept_in_utc() -> None:
    config = parse_config({"start_time": "2026-12-01T10:00:00+01:00"})
    assert config.start_time == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert config.to_item()["start_time"] == "2026-12-01T09:00:00Z"


def test_content_digest_ignores_bookkeeping_fields() -> None:
    a = parse_config({"desired_capacity": 2, "version": 1, "updated_by": "a"})
    b = parse_config({"desired_capacity": 2, "version": 7, "updated_at": "2026-01-01T00:00:00Z"})
    assert a.content_digest() == b.content_digest()
    assert a.content_digest() != parse_config({"desired_capacity": 3}).content_digest()


def test_json_schema_describes_every_field_with_its_default() -> None:
    schema = config_json_schema()
    for field in ("regions", "desired_capacity", "start_time", "schedule_expression", "instance", "agent", "logs"):
        assert field in schema["properties"]
    assert schema["additionalProperties"] is False
