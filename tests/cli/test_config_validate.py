"""`p2pctl config validate|schema` as an operator runs them (in the test process: tests/cli/in_process.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.local_cli import p2pctl


def test_valid_file_exits_zero_with_a_one_line_summary(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("regions: [eu-central-1, us-east-1]\ndesired_capacity: {all: 2, aws: {us-east-1: 3}}\n")
    done = p2pctl("config", "validate", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines == [
        "valid: 2 region(s) (eu-central-1, us-east-1); instances per region: 2 to 3; runs rate(15 minutes)"
    ]


def test_invalid_file_exits_one_naming_every_bad_field_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"desired_capacity": {"aws": {"eu-centrl-1": 2}}, "min_size": -1}))
    done = p2pctl("config", "validate", str(path))
    assert done.returncode == 1
    assert "desired_capacity.aws.eu-centrl-1: unknown region 'eu-centrl-1'" in done.stderr
    assert "min_size" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_json_output_lists_errors_as_data(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"agent": {"main_run": "a\r\nb"}}))
    done = p2pctl("config", "validate", "--json", str(path))
    assert done.returncode == 1
    errors = json.loads(done.stdout)["errors"]
    assert [e["field"] for e in errors] == ["agent.main_run"]


def test_empty_file_is_the_all_defaults_config(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("")
    done = p2pctl("config", "validate", str(path))
    assert done.returncode == 0
    assert "1 region(s) (eu-central-1); instances per region: 1;" in done.stdout


def test_missing_and_malformed_files_are_one_line_errors(tmp_path: Path) -> None:
    missing = p2pctl("config", "validate", str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    malformed = p2pctl("config", "validate", str(bad))
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    not_a_map = p2pctl("config", "validate", str(listing))
    for done in (missing, malformed, not_a_map):
        assert done.returncode == 1
        assert done.stderr.startswith("error: ")
        assert "Traceback" not in done.stderr
    assert "must be a map of fields" in not_a_map.stderr


def test_schema_is_a_json_schema_of_every_top_level_field() -> None:
    done = p2pctl("config", "schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["additionalProperties"] is False
    for field in ("regions", "desired_capacity", "start_time", "run_duration", "instance", "network", "agent"):
        assert field in schema["properties"]
    # defaults are written in the item's own grammar, so they can be typed back
    assert (schema["properties"]["run_duration"]["default"], schema["properties"]["start_offset"]["default"]) == (
        "7 days",
        "15 minutes",
    )


def test_a_config_the_control_center_or_user_data_cannot_carry_is_invalid(tmp_path: Path) -> None:
    big = {f"cc-x-{i}": "v" * 900 for i in range(12)}  # over the CloudFront Function's 10 KB
    keys = ["ssh-ed25519 " + "A" * 700 + f" op{i}@example" for i in range(25)]  # over EC2's 16 KB user data
    file = tmp_path / "big.json"
    file.write_text(json.dumps({"control_center": {"extra_headers": big}, "network": {"public_keys": keys}}))
    done = p2pctl("config", "validate", str(file))
    assert done.returncode == 1
    assert "control_center.extra_headers.cc-x-" in done.stderr and "10240-byte function limit" in done.stderr
    assert "network.public_keys: user data is" in done.stderr and "16384-byte limit" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_cron_eventbridge_would_refuse_is_invalid_at_validate(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("schedule_expression: cron(0/15 * * * * *)\n")
    done = p2pctl("config", "validate", str(path))
    assert done.returncode == 1
    assert "schedule_expression: cron needs '?' in exactly one of day-of-month and day-of-week" in done.stderr
    path.write_text("schedule_expression: cron(0/15 * * * ? *)\n")
    fixed = p2pctl("config", "validate", str(path))
    assert fixed.returncode == 0, fixed.stderr
    assert "runs cron(0/15 * * * ? *)" in fixed.stdout


def test_ssh_from_anywhere_is_valid_with_a_warning_in_text_and_json(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("network: {allow_ssh: ['0.0.0.0/0', '2001:db8::/32'], open_ports: ['4001', null]}\n")
    done = p2pctl("config", "validate", str(path))
    assert done.returncode == 0, done.stderr
    warning = "network.allow_ssh: 0.0.0.0/0 opens SSH (22/tcp) to the whole internet; name your own addresses instead"
    assert done.stdout.strip().splitlines()[1:] == [f"⚠ {warning}"]
    report = json.loads(p2pctl("config", "validate", "--json", str(path)).stdout)
    assert report["warnings"] == [warning]
    assert report["config"]["network"]["open_ports"] == ["4001", None]


def test_an_old_single_range_open_ports_is_read_as_that_range_for_tcp_and_udp(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"network": {"open_ports": ["1024-65535"]}}))
    report = json.loads(p2pctl("config", "validate", "--json", str(path)).stdout)
    assert report["valid"] and report["config"]["network"]["open_ports"] == ["1024-65535", "1024-65535"]
