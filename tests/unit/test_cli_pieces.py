"""The pure parts of the CLI and the local runtime: dotted config edits, the Pipe's filter, the estimate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from p2p_core.config import parse_config
from p2p_core.workflow.finalize_step import MAX_MESSAGE, shorten
from p2pctl.config_cmd import parse_value, with_value
from p2pctl.emulator.local import pipe_matches
from p2pctl.emulator.stack import TEMPLATE, PipeSpec
from p2pctl.emulator.template import load_template
from p2pctl.errors import CliError
from p2pctl.estimate import estimate

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("[eu-west-1, us-east-1]", ["eu-west-1", "us-east-1"]),
        ("{all: 2, aws: {us-east-1: 4}}", {"all": 2, "aws": {"us-east-1": 4}}),
        ("null", None),
        ("-", "-"),
        ("rate(30 minutes)", "rate(30 minutes)"),
        ("2026-12-01T08:00:00Z", "2026-12-01T08:00:00Z"),
        ("2026-12-01", "2026-12-01"),
        ("", ""),
        ("{unclosed", "{unclosed"),
    ],
)
def test_set_values_are_read_as_yaml_and_timestamps_stay_text(text: str, value: Any) -> None:
    assert parse_value(text) == value


def test_a_dotted_key_creates_the_maps_it_needs_and_leaves_the_original_alone() -> None:
    item = {"desired_capacity": 2}
    changed = with_value({"agent": {"type": "shell"}}, "desired_capacity", {"all": 1})
    assert changed == {"agent": {"type": "shell"}, "desired_capacity": {"all": 1}}
    assert with_value(item, "control_center.extra_headers.cc-x", "v") == {
        "desired_capacity": 2,
        "control_center": {"extra_headers": {"cc-x": "v"}},
    }
    assert item == {"desired_capacity": 2}


def test_null_removes_the_field_so_its_default_applies_again() -> None:
    assert with_value({"run_duration": "2 hours", "regions": ["eu-west-1"]}, "run_duration", None) == {
        "regions": ["eu-west-1"]
    }


def test_setting_inside_a_value_that_is_not_a_map_names_the_path() -> None:
    with pytest.raises(CliError, match=r"desired_capacity is 2, not a map: cannot set desired_capacity\.aws"):
        with_value({"desired_capacity": 2}, "desired_capacity.aws.eu-west-1", 3)


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
