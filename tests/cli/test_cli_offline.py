"""p2pctl without a stack: files, help, usage, and the errors of a machine that is not set up yet."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from p2pctl.context import CliContext
from tests.cli.local_cli import fix_commands, p2pctl

NOT_A_MAP = "- 1\n- 2\n"


def test_yaml_and_json_syntax_errors_give_line_and_column(tmp_path: Path) -> None:
    yaml_file, json_file = tmp_path / "config.yaml", tmp_path / "config.json"
    yaml_file.write_text("regions: [eu-west-1]\ndesired_capacity: {all: 2\n")
    json_file.write_text('{\n  "regions": ["eu-west-1"],\n  "desired_capacity": 2,,\n}')
    for path, where in ((yaml_file, "line 3, column 1"), (json_file, "line 3, column 25")):
        done = p2pctl("config", "validate", str(path))
        assert done.returncode == 1
        assert f"{path}: {where}: " in done.stderr, done.stderr
        assert f"fix: fix the syntax at {where}" in done.stderr


@pytest.mark.parametrize("content", [None, "regions: [eu-west-1\n", NOT_A_MAP], ids=["missing", "syntax", "not-a-map"])
def test_validate_json_always_prints_json(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "config.yaml"
    if content is not None:
        path.write_text(content)
    done = p2pctl("config", "validate", "--json", str(path))
    assert done.returncode == 1
    found = json.loads(done.stdout)
    assert found["valid"] is False and found["errors"][0]["field"] == "(file)"


def test_a_file_is_read_as_yaml_1_2_keeping_text_as_typed(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("agent: {main_run: no, pre_run: 0x10, post_run: 010, delay: 010}\n")
    done = p2pctl("config", "validate", "--json", str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["config"]["agent"] == {
        "main_run": "no",
        "pre_run": "0x10",
        "post_run": "010",
        "delay": 10,
    }


@pytest.mark.parametrize(
    ("command", "content"),
    [
        (["config", "validate"], '{"regions": ["mars-north-1"]}'),
        (["config", "validate"], "[1, 2]"),
        (["cost", "--file"], '{"min_size": -1}'),
    ],
)
def test_fix_lines_of_file_errors_name_commands_that_work(tmp_path: Path, command: list[str], content: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    done = p2pctl(*command, str(path))
    assert done.returncode == 1
    commands = fix_commands(done.stderr)
    assert commands, done.stderr
    for fix in commands:
        assert p2pctl(*fix).returncode == 0, fix


def test_oversized_user_data_names_the_field_that_made_it_big(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"agent": {"main_run": "x" * 50_000}}))
    done = p2pctl("config", "validate", str(path))
    assert done.returncode == 1
    assert "agent.main_run: user data is" in done.stderr
    assert "network.public_keys" not in done.stderr


def test_help_shows_flags_without_placeholders_and_the_exit_codes() -> None:
    run_help = p2pctl("run", "--help", env={**os.environ, "COLUMNS": "80"})
    assert run_help.returncode == 0
    assert "--wait" in run_help.stdout and "<bool>" not in run_help.stdout
    assert "[eu-west-1, us-east-1]" in p2pctl("config", "set", "--help").stdout  # YAML examples are not markup
    assert "0 ok, 1 error, 2 usage, 3 conflict" in " ".join(p2pctl("--help").stdout.split())


def test_local_without_the_local_extra_says_how_to_install_it() -> None:
    missing = "import sys; sys.modules.update({'moto': None, 'moto.server': None, 'requests': None}); "
    run = "from p2pctl.main import app; sys.argv = ['p2pctl', 'local']; app()"
    done = subprocess.run([sys.executable, "-c", missing + run], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: the local emulator needs the 'local' extra (")
    assert line.endswith("is missing): pip install 'p2p-control-plane[local]'")


def no_aws_env() -> dict[str, str]:
    """A shell with no AWS settings at all (and no instance metadata to fall back on)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **env,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_missing_credentials_say_how_to_provide_them() -> None:
    done = p2pctl("--stack-name", "p2p-nowhere", "status", env=no_aws_env())
    assert done.returncode == 1
    assert "error: no AWS credentials" in done.stderr
    assert "AWS_PROFILE" in done.stderr and "AWS_ACCESS_KEY_ID" in done.stderr and "--endpoint-url" in done.stderr
    assert "Traceback" not in done.stderr and "report" not in done.stderr


def test_nothing_listening_fails_with_one_line_and_the_cli_retries_little() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    done = p2pctl("--endpoint-url", f"http://127.0.0.1:{port}", "--stack-name", "p2p-nowhere", "status")
    assert done.returncode == 1
    assert "Could not connect to the endpoint URL" in done.stderr and "Traceback" not in done.stderr


def test_the_cli_fails_fast_while_the_handlers_keep_their_retry_policy() -> None:
    from p2p_core.aws.clients import ClientFactory

    cli = CliContext(endpoint_url="http://127.0.0.1:9", region="eu-central-1").client("dynamodb").meta.config
    handler = ClientFactory().client("dynamodb", "eu-central-1").meta.config
    assert (cli.retries["total_max_attempts"], cli.connect_timeout) == (2, 2)  # one retry
    assert (handler.retries["total_max_attempts"], handler.connect_timeout) == (11, 5)  # ten retries, as before
