"""Bad config input: every case gives one clear line naming the field and the value, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from p2p_core.config import parse_config
from p2p_core.config.validation import ConfigError

BAD_INPUTS: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, item, field named, text the message must contain)
    ("unknown region in capacity", {"desired_capacity": {"aws": {"eu-centrl-1": 2}}},
     "desired_capacity.aws.eu-centrl-1", "unknown region 'eu-centrl-1'"),
    ("region key at top level of capacity", {"desired_capacity": {"eu-west-1": 2}},
     "desired_capacity.eu-west-1", "go under 'aws'"),
    ("negative capacity", {"desired_capacity": -1}, "desired_capacity", "-1"),
    ("capacity as word", {"desired_capacity": "three"}, "desired_capacity", "'three'"),
    ("capacity as bool", {"desired_capacity": {"all": True}}, "desired_capacity.all", "True"),
    ("unknown region in list", {"regions": ["eu-central-1", "mars-north-1"]}, "regions.1", "'mars-north-1'"),
    ("regions as other word", {"regions": "everywhere"}, "regions", "everywhere"),
    ("unknown excluded region", {"exclude_regions": ["xx-1"]}, "exclude_regions.0", "'xx-1'"),
    ("desired above max", {"desired_capacity": 50}, "desired_capacity.eu-central-1", "outside min_size..max_size"),
    ("desired below min", {"desired_capacity": {"aws": {"eu-central-1": 1}}, "min_size": 2},
     "desired_capacity.eu-central-1", "outside"),
    ("min above max", {"min_size": 5, "max_size": 2, "desired_capacity": "-"}, "min_size", "greater than max_size"),
    ("start time not RFC 3339", {"start_time": "tomorrow"}, "start_time", "'tomorrow'"),
    ("start time without offset", {"start_time": "2026-12-01T09:00:00"}, "start_time", "RFC 3339"),
    ("offset not a duration", {"start_offset": "soon"}, "start_offset", "'soon'"),
    ("run duration in fortnights", {"run_duration": "2 fortnights"}, "run_duration", "'2 fortnights'"),
    ("stop and run duration both", {"stop_time": "2030-01-01T00:00:00Z", "run_duration": "1 day"},
     "stop_time", "not both"),
    ("stop before start", {"start_time": "2030-01-02T00:00:00Z", "stop_time": "2030-01-01T00:00:00Z"},
     "stop_time", "not after start_time"),
    ("rate of zero", {"schedule_expression": "rate(0 minutes)"}, "schedule_expression", "at least 1"),
    ("cron with 5 fields", {"schedule_expression": "cron(0 * * * *)"}, "schedule_expression", "6 fields"),
    ("schedule in seconds", {"schedule_expression": "30 seconds"}, "schedule_expression", "whole number of minutes"),
    ("instance type malformed", {"instance": {"type": "large"}}, "instance.type", "'large'"),
    ("unsupported os", {"instance": {"os": "windows"}}, "instance.os", "'windows'"),
    ("volume too small", {"instance": {"volume_size": 2}}, "instance.volume_size", "2"),
    ("volume type unknown", {"instance": {"volume_type": "ssd"}}, "instance.volume_type", "'ssd'"),
    ("vpc cidr too big", {"network": {"cidr_block": "10.0.0.0/8"}}, "network.cidr_block", "'10.0.0.0/8'"),
    ("vpc cidr not a network", {"network": {"cidr_block": "10.0.0.1/24"}}, "network.cidr_block", "10.0.0.1/24"),
    ("az number zero", {"network": {"az_number": 0}}, "network.az_number", "0"),
    ("port out of range", {"network": {"open_ports": ["70000"]}}, "network.open_ports.0", "'70000'"),
    ("ssh cidr invalid", {"network": {"allow_ssh": ["1.2.3.4/40"]}}, "network.allow_ssh.0", "'1.2.3.4/40'"),
    ("public key garbage", {"network": {"public_keys": ["hello"]}}, "network.public_keys.0", "'hello'"),
    ("header value with LF", {"agent": {"main_run": "site.yml\nX-Evil: 1"}}, "agent.main_run", "LF"),
    ("header value with CR", {"agent": {"pre_run": "a\rb"}}, "agent.pre_run", "CR"),
    ("header value with NUL", {"agent": {"repository": "a\0b"}}, "agent.repository", "NUL"),
    ("extra header with LF", {"control_center": {"extra_headers": {"cc-x": "a\nb"}}},
     "control_center.extra_headers.cc-x", "LF"),
    ("extra header name not cc-", {"control_center": {"extra_headers": {"X-Thing": "v"}}},
     "control_center.extra_headers.X-Thing", "cc-[a-z0-9-]+"),
    ("extra header the control center serves", {"control_center": {"extra_headers": {"cc-a-stop": "never"}}},
     "control_center.extra_headers.cc-a-stop", "served by the control center itself (from stop_time)"),
    ("start time beyond what AWS schedules", {"start_time": "9999-12-31T23:59:59Z"}, "start_time",
     "9999-12-31T23:59:59Z is outside what AWS schedules accept"),
    ("stop time before the epoch", {"stop_time": "1960-01-01T00:00:00Z", "run_duration": None}, "stop_time",
     "1960-01-01T00:00:00Z is outside what AWS schedules accept"),
    ("run duration longer than AWS schedules", {"run_duration": "99999999 days"}, "run_duration",
     "'99999999 days' is longer than AWS can schedule"),
    ("run duration beyond timedelta", {"run_duration": "9999999999 days"}, "run_duration", "too long"),
    ("start offset beyond timedelta", {"start_offset": "99999999999 weeks"}, "start_offset", "too long"),
    ("schedule rate never firing", {"schedule_expression": "rate(99999999 days)"}, "schedule_expression",
     "longer than AWS can schedule"),
    ("capacity beyond the default /24", {"desired_capacity": 50000, "max_size": 50000}, "desired_capacity",
     "50000 is more than the network holds: network.cidr_block 10.20.30.0/24 with network.az_number 3 makes 3 /26"
     " subnet(s): 177 instance addresses"),
    ("region capacity beyond the network", {"desired_capacity": {"all": 1, "aws": {"eu-central-1": 178}},
     "max_size": 178}, "desired_capacity.eu-central-1", "178 is more than the network holds"),
    ("max_size beyond a /28", {"network": {"cidr_block": "10.0.0.0/28"}, "max_size": 12}, "max_size",
     "network.cidr_block 10.0.0.0/28 with network.az_number 3 makes 1 /28 subnet(s): 11 instance addresses"),
    ("agent delay negative", {"agent": {"delay": -5}}, "agent.delay", "-5"),
    ("agent type unknown", {"agent": {"type": "puppet"}}, "agent.type", "'puppet'"),
    ("agent cron short", {"agent": {"cron": "* * *"}}, "agent.cron", "5 fields"),
    ("log retention not allowed", {"logs": {"retention_days": 8}}, "logs.retention_days", "8"),
    ("unknown top-level field", {"desired_capacit": 3}, "desired_capacit", "unknown field"),
    ("unknown nested field", {"instance": {"size": "big"}}, "instance.size", "unknown field"),
    ("section not a map", {"network": "default"}, "network", "'default'"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "item", "field", "text"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_rejected_with_the_field_and_value(case: str, item: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(item)
    lines = [str(e) for e in caught.value.errors]
    matching = [line for line in lines if line.startswith(f"{field}: ")]
    assert matching, f"{case}: no error names {field!r}; got {lines}"
    assert any(text in line for line in matching), f"{case}: {text!r} not in {matching}"


def test_every_bad_field_is_named_in_one_message() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"regions": ["nowhere-1"], "agent": {"delay": -1}, "logs": {"retention_days": 2}})
    message = str(caught.value)
    for field in ("regions.0", "agent.delay", "logs.retention_days"):
        assert field in message
    assert message.startswith("invalid config (3 errors)")


def test_capacity_errors_list_every_bad_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"desired_capacity": {"aws": {"eu-centrl-1": 1, "us-eastt-1": 2, "all": "x"}}})
    fields = {e.field for e in caught.value.errors}
    assert fields == {"desired_capacity.aws.eu-centrl-1", "desired_capacity.aws.us-eastt-1", "desired_capacity.aws.all"}


def test_a_non_map_item_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"\(item\): must be a map of fields, got list"):
        parse_config([1, 2])  # type: ignore[arg-type]


def test_errors_have_a_json_form_for_the_workflow_cause() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"desired_capacity": {"aws": {"eu-centrl-1": 2}}})
    assert caught.value.as_dicts() == [
        {
            "field": "desired_capacity.aws.eu-centrl-1",
            "value": "2",
            "message": "unknown region 'eu-centrl-1'",
        }
    ]


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"instance": {"type": "x" * 500}})
    assert len(str(caught.value)) < 300


def test_the_network_holds_exactly_its_addresses_less_awss_five_per_subnet() -> None:
    assert parse_config({"desired_capacity": 177, "max_size": 177}).network.instance_room() == 177
    two = {"cidr_block": "10.0.0.0/20", "az_number": 2}  # two /21 of a /20: 2 * (2048 - 5)
    assert parse_config({"network": two, "desired_capacity": 4086, "max_size": 4086}).desired_capacity.all == 4086
    with pytest.raises(ConfigError, match="4087 is more than the network holds"):
        parse_config({"network": two, "desired_capacity": 4087, "max_size": 4086})
