"""The pure parts of the CLI and the local runtime: dotted config edits, the Pipe's filter, the estimate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from p2p_core.config import parse_config
from p2p_core.workflow.finalize_step import MAX_MESSAGE, shorten
from p2p_emulator.local import pipe_matches
from p2p_emulator.stack import TEMPLATE, PipeSpec
from p2p_emulator.template import load_template
from p2pctl.cost_estimate import estimate
from p2pctl.errors import CliError
from p2pctl.main import hoist_global_options
from p2pctl.values import ValueSyntaxError, parse_value, with_value

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("desired_capacity", "3", 3),
        ("regions", "[eu-west-1, us-east-1]", ["eu-west-1", "us-east-1"]),
        ("desired_capacity", "{all: 2, aws: {us-east-1: 4}}", {"all": 2, "aws": {"us-east-1": 4}}),
        ("run_duration", "null", None),
        ("desired_capacity", "-", "-"),
        ("schedule_expression", "rate(30 minutes)", "rate(30 minutes)"),
        ("stop_time", "2026-12-01T08:00:00Z", "2026-12-01T08:00:00Z"),
        ("agent.main_run", "2026-12-01", "2026-12-01"),
        ("agent.main_run", "", ""),
        ("agent.main_run", "{unclosed", "{unclosed"),  # a text field takes any text
        # YAML 1.2, and text fields keep the text typed: no `no` -> false, `010` -> 8, `0x10` -> 16
        ("agent.main_run", "no", "no"),
        ("agent.main_run", "010", "010"),
        ("agent.main_run", "0x10", "0x10"),
        ("agent.main_run", "true", "true"),
        ("agent.main_run", "'quoted: yes'", "quoted: yes"),
        ("agent.delay", "010", 10),
        ("agent.force_run", "true", True),
        ("agent", "{main_run: 0x10, delay: 30}", {"main_run": "0x10", "delay": 30}),
        ("control_center.extra_headers", "{cc-x: yes, cc-y: 1.5}", {"cc-x": "yes", "cc-y": "1.5"}),
        ("desired_capcity", "2", 2),  # no such field: YAML decides
    ],
)
def test_set_values_are_yaml_1_2_and_text_fields_keep_what_was_typed(key: str, text: str, value: Any) -> None:
    assert parse_value(key, text) == value


def test_a_value_that_is_not_yaml_for_a_field_that_is_not_text_is_a_syntax_error() -> None:
    with pytest.raises(ValueSyntaxError, match="line 1, column"):
        parse_value("desired_capacity", "{all: 2")


def test_a_dotted_key_creates_the_maps_it_needs_and_leaves_the_original_alone() -> None:
    item = {"desired_capacity": 2}
    changed = with_value({"agent": {"type": "shell"}}, "desired_capacity", {"all": 1})
    assert changed == {"agent": {"type": "shell"}, "desired_capacity": {"all": 1}}
    assert with_value(item, "control_center.extra_headers.cc-x", "v") == {
        "desired_capacity": 2,
        "control_center": {"extra_headers": {"cc-x": "v"}},
    }
    assert item == {"desired_capacity": 2}


def test_null_removes_a_field_unless_null_is_a_value_there() -> None:
    item = {"run_duration": "2 hours", "stop_time": "2027-01-01T00:00:00Z", "regions": ["eu-west-1"]}
    assert with_value(item, "stop_time", None) == {"run_duration": "2 hours", "regions": ["eu-west-1"]}
    assert with_value(item, "run_duration", None)["run_duration"] is None  # "run until changed", not the default
    assert with_value({"desired_capcity": 2}, "desired_capcity", None) == {}


@pytest.mark.parametrize(("stored", "count"), [(2, 2), ("-", "-"), (None, None)])
def test_a_region_key_under_a_bare_capacity_turns_it_into_a_map(stored: Any, count: Any) -> None:
    item = {} if stored is None else {"desired_capacity": stored}
    changed = with_value(item, "desired_capacity.aws.eu-west-1", 3)
    assert changed["desired_capacity"] == {**({"all": count} if stored is not None else {}), "aws": {"eu-west-1": 3}}
    config = parse_config(changed)
    assert config.desired_capacity.resolve("eu-west-1") == 3
    assert config.desired_capacity.resolve("us-east-1") == (1 if stored is None else None if stored == "-" else 2)


def test_setting_inside_a_value_that_is_not_a_map_names_the_path() -> None:
    with pytest.raises(CliError, match=r"agent\.main_run is 'x', not a map: cannot set agent\.main_run\.y"):
        with_value({"agent": {"main_run": "x"}}, "agent.main_run.y", 3)


def pipe() -> PipeSpec:
    props = next(r for r in load_template(TEMPLATE)["Resources"].values() if r["Type"] == "AWS::Pipes::Pipe")
    patterns = [json.loads(f["Pattern"]) for f in props["Properties"]["SourceParameters"]["FilterCriteria"]["Filters"]]
    return PipeSpec("pipe", "stream", patterns, "machine", props["Properties"]["TargetParameters"]["InputTemplate"])


def record(event: str, pk: str) -> dict[str, Any]:
    return {"eventName": event, "dynamodb": {"Keys": {"pk": {"S": pk}}, "NewImage": {"pk": {"S": pk}}}}


@pytest.mark.parametrize(
    ("event", "pk", "starts_a_run"),
    [
        ("INSERT", "config", True),
        ("MODIFY", "config", True),
        ("REMOVE", "config", False),
        ("MODIFY", "status", False),  # the workflow's own bookkeeping must not start runs
        ("INSERT", "lease", False),
        ("MODIFY", "lease", False),
    ],
)
def test_the_local_pipe_uses_the_templates_filter(event: str, pk: str, starts_a_run: bool) -> None:
    assert pipe_matches(pipe(), record(event, pk)) is starts_a_run


def test_estimate_covers_the_window_and_a_day() -> None:
    config = parse_config(
        {"regions": ["us-east-1", "sa-east-1"], "desired_capacity": {"all": 2}, "start_offset": "0 minutes"}
    )
    report = estimate(config, NOW)
    assert report.fleet.hours == 7 * 24  # run_duration defaults to 7 days
    assert report.fleet.instances == 4
    assert report.per_day.total == pytest.approx(report.fleet.total / 7)
    assert report.as_dict()["fleet"]["regions"]["sa-east-1"]["instances"] == 2
    assert 0 < report.control_plane.total < report.naive.total


def test_estimate_prices_the_fleets_reports_to_the_radar_unless_agent_radar_is_false() -> None:
    config = {"regions": ["us-east-1", "sa-east-1"], "desired_capacity": {"all": 2, "aws": {"sa-east-1": 0}}}
    report = estimate(parse_config(config), NOW)
    assert report.radar is not None and report.radar.regions == 1  # only regions with agents report
    assert report.radar.runs_per_month == pytest.approx(2 * 730 * 4)  # 2 agents, every 15 minutes
    assert report.as_dict()["radar_monthly_usd"] == pytest.approx(round(report.radar.total, 4))
    quiet = estimate(parse_config({**config, "agent": {"radar": False}}), NOW)
    assert quiet.radar is None and quiet.as_dict()["radar_monthly_usd"] == 0.0


def test_estimate_without_a_stop_is_per_month() -> None:
    report = estimate(parse_config({"run_duration": None}), NOW)
    assert report.hours_label == "per month (no stop set)"
    assert report.fleet.hours == 730


def test_estimate_for_an_unpriced_instance_type_names_the_field() -> None:
    with pytest.raises(CliError, match=r"instance\.type: no price for 'x9.huge'"):
        estimate(parse_config({"instance": {"type": "x9.huge"}}), NOW)


def test_failure_text_in_the_status_item_drops_stack_traces_and_is_capped() -> None:
    cause = json.dumps({"errorType": "KeyError", "errorMessage": "'Subnets'", "stackTrace": ["a" * 5000]})
    assert shorten(cause) == "'Subnets'"
    assert len(shorten("x" * 5000)) == MAX_MESSAGE
    assert shorten(None) == ""


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        (["status", "--endpoint-url", "U", "--json"], ["--endpoint-url", "U", "status", "--json"]),
        (["config", "show", "--stack-name=S", "--debug"], ["--stack-name=S", "--debug", "config", "show"]),
        (["config", "set", "--", "agent.main_run", "--debug"], ["config", "set", "--", "agent.main_run", "--debug"]),
        (["status", "--region"], ["status", "--region"]),  # no value: left for the usage error
        # `logs --region` names the regions to read; the home region goes before `logs`
        (["--region", "H", "logs", "--region", "R", "--json"], ["--region", "H", "logs", "--region", "R", "--json"]),
        (["logs", "--region=R", "--stack-name", "S"], ["--stack-name", "S", "logs", "--region=R"]),
        (["--stack-name", "logs", "status", "--region", "H"], ["--stack-name", "logs", "--region", "H", "status"]),
    ],
)
def test_global_options_are_taken_anywhere_but_never_after_a_double_dash(typed: list[str], parsed: list[str]) -> None:
    assert hoist_global_options(typed) == parsed
