"""The agent runner against the control center served by the node-run CloudFront Function, over HTTP."""

from __future__ import annotations

import base64
import fcntl
import gzip
import json
import re
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest

from p2p_core.bootstrap import agent_runner
from p2p_core.bootstrap.userdata import MAX_USER_DATA_BYTES, agent_defaults, render_user_data, shipped
from p2p_core.config import parse_config
from p2p_core.config.instance import OS_PYTHON, InstanceSettings
from p2p_core.control_center.headers import control_center_headers
from p2p_core.control_center.render import render_function
from p2p_core.models.deployment import Deployment
from p2p_core.models.window import Window
from p2p_emulator.cloudfront import ControlCenterServer, NodeFunctionRunner

SECRET = "/cc-agent-test"
RUNNER = Path(agent_runner.__file__)
SERVED = {
    "agent": {
        "repository": "https://github.com/example/ipfs-agent.git",
        "main_run": "ipfs.yml",
        "pre_run": "echo 'pre ☃'",
        "post_run": "-",
        "delay": 5,
    }
}
BAKED = {"agent": {"repository": "https://github.com/example/baked.git", "main_run": "baked.yml"}}


@pytest.fixture(scope="module")
def node() -> Iterator[NodeFunctionRunner]:
    with NodeFunctionRunner() as runner:
        yield runner


def code_for(raw: dict[str, object]) -> str:
    config = parse_config(raw)
    return render_function(control_center_headers(config, Window(start=datetime(2026, 11, 25, tzinfo=UTC))), SECRET)


@pytest.fixture
def server(node: NodeFunctionRunner) -> Iterator[ControlCenterServer]:
    with ControlCenterServer(lambda: code_for(SERVED), runner=node) as running:
        yield running


@pytest.fixture
def dead_url() -> str:
    """A URL on a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{SECRET}"


def run_agent(python: str, tmp_path: Path, urls: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    defaults = tmp_path / "defaults.json"
    defaults.write_text(json.dumps(agent_defaults(parse_config(BAKED), Deployment())))
    args = [python, str(RUNNER), "--defaults", str(defaults), "--lock", str(tmp_path / "lock")]
    args += ["--dry-run", "--no-delay", "--timeout", "2", *extra]
    for url in urls:
        args += ["--url", url]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def host(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0]


def test_the_log_names_control_centers_by_number_and_host_never_by_their_secret_path() -> None:
    assert agent_runner.shown("https://d111.cloudfront.net/cc-secret", 2) == "2 (d111.cloudfront.net)"
    assert agent_runner.shown("d111.cloudfront.net/cc-secret", 1) == "1 (not a URL)"


def dry_run_commands(out: str) -> list[str]:
    return [line.removeprefix("DRY-RUN: ") for line in out.splitlines() if line.startswith("DRY-RUN: ")]


def test_runner_executes_what_the_control_center_serves(
    runner_python: str, tmp_path: Path, server: ControlCenterServer
) -> None:
    done = run_agent(runner_python, tmp_path, [server.url + SECRET])
    assert done.returncode == 0, done.stderr
    assert dry_run_commands(done.stdout) == [
        "bash -c 'echo '\"'\"'pre ☃'\"'\"''",
        "ansible-pull -U https://github.com/example/ipfs-agent.git ipfs.yml --only-if-changed",
    ]
    assert f"control center 1 ({host(server.url)}) answered" in done.stdout
    assert SECRET not in done.stdout  # the log is shipped to CloudWatch: never the secret path
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ settings: ", done.stdout, re.M)  # timestamped log


def test_first_url_down_falls_back_to_the_second(
    runner_python: str, tmp_path: Path, server: ControlCenterServer, dead_url: str
) -> None:
    done = run_agent(runner_python, tmp_path, [dead_url, server.url + SECRET])
    assert done.returncode == 0, done.stderr
    assert f"control center 1 ({host(dead_url)}) did not answer" in done.stdout
    assert f"control center 2 ({host(server.url)}) answered\n" in done.stdout
    assert "ansible-pull -U https://github.com/example/ipfs-agent.git ipfs.yml --only-if-changed" in dry_run_commands(
        done.stdout
    )


def test_wrong_path_answers_404_and_the_next_url_is_tried(
    runner_python: str, tmp_path: Path, server: ControlCenterServer
) -> None:
    done = run_agent(runner_python, tmp_path, [server.url + "/guess", server.url + SECRET])
    assert done.returncode == 0, done.stderr
    assert f"control center 1 ({host(server.url)}) answered 404" in done.stdout
    assert f"control center 2 ({host(server.url)}) answered\n" in done.stdout
    # ipfs.yml is only served (baked-in is baked.yml): the second URL's headers were used
    assert (
        dry_run_commands(done.stdout)[-1]
        == "ansible-pull -U https://github.com/example/ipfs-agent.git ipfs.yml --only-if-changed"
    )


def test_all_urls_down_uses_baked_in_defaults(runner_python: str, tmp_path: Path, dead_url: str) -> None:
    done = run_agent(runner_python, tmp_path, [dead_url, dead_url.replace(SECRET, "/other")])
    assert done.returncode == 0, done.stderr
    assert "no control center answered: using baked-in defaults" in done.stdout
    assert dry_run_commands(done.stdout) == [
        "ansible-pull -U https://github.com/example/baked.git baked.yml --only-if-changed"
    ]


def test_dash_and_empty_values_fall_back_to_defaults_and_force_run_drops_only_if_changed(
    runner_python: str, tmp_path: Path, node: NodeFunctionRunner
) -> None:
    served = {"agent": {"repository": "-", "main_run": "fleet.yml", "force_run": True}}
    with ControlCenterServer(lambda: code_for(served), runner=node) as running:
        done = run_agent(runner_python, tmp_path, [running.url + SECRET])
    assert done.returncode == 0, done.stderr
    assert f"control center 1 ({host(running.url)}) answered\n" in done.stdout
    assert dry_run_commands(done.stdout) == ["ansible-pull -U https://github.com/example/baked.git fleet.yml"]


def test_shell_type_runs_main_run_with_bash(runner_python: str, tmp_path: Path, node: NodeFunctionRunner) -> None:
    served = {"agent": {"type": "shell", "main_run": "systemctl restart ipfs", "post_run": "echo done"}}
    with ControlCenterServer(lambda: code_for(served), runner=node) as running:
        done = run_agent(runner_python, tmp_path, [running.url + SECRET])
    assert done.returncode == 0, done.stderr
    assert f"control center 1 ({host(running.url)}) answered\n" in done.stdout
    assert dry_run_commands(done.stdout) == ["bash -c 'systemctl restart ipfs'", "bash -c 'echo done'"]


def test_a_second_copy_exits_while_the_first_holds_the_lock(
    runner_python: str, tmp_path: Path, server: ControlCenterServer
) -> None:
    with open(tmp_path / "lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = run_agent(runner_python, tmp_path, [server.url + SECRET])
    assert done.returncode == 0
    assert "another run is in progress: exiting" in done.stdout
    assert dry_run_commands(done.stdout) == []


def test_a_failing_step_stops_the_run_with_its_exit_code(
    runner_python: str, tmp_path: Path, node: NodeFunctionRunner
) -> None:
    served = {"agent": {"type": "shell", "pre_run": "exit 3", "main_run": "echo never"}}
    with ControlCenterServer(lambda: code_for(served), runner=node) as running:
        defaults = tmp_path / "defaults.json"
        defaults.write_text(
            json.dumps(agent_defaults(parse_config({}), Deployment(control_center_urls=[running.url + SECRET])))
        )
        args = [runner_python, str(RUNNER), "--defaults", str(defaults), "--lock", str(tmp_path / "lock")]
        done = subprocess.run([*args, "--no-delay"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3
    assert "finished with exit code 3: bash -c 'exit 3'" in done.stdout
    assert "running: bash -c 'echo never'" not in done.stdout


def unpack(user_data: str) -> tuple[bytes, dict[str, object], str]:
    blobs = re.findall(r"echo '([A-Za-z0-9+/=]+)' \| base64 -d", user_data)
    runner = gzip.decompress(base64.b64decode(blobs[0]))
    defaults = json.loads(base64.b64decode(blobs[1]))
    cron = re.search(r"^(.*) root /usr/bin/python3 /usr/local/bin/p2p-agent-runner", user_data, re.M)
    assert cron is not None
    return runner, defaults, cron.group(1)


def test_user_data_installs_this_runner_its_defaults_and_cron(tmp_path: Path) -> None:
    urls = ["https://d111.cloudfront.net/cc-x", "https://backup.example/cc-x"]
    config = parse_config({**BAKED, "agent": {**BAKED["agent"], "cron": "*/5 * * * *"}})
    deployment = Deployment(stack_name="fleet", home_region="eu-west-1", control_center_urls=urls)
    user_data = render_user_data(config, deployment)
    runner, defaults, cron = unpack(user_data)
    assert runner == shipped(RUNNER)
    assert defaults == agent_defaults(config, deployment)
    assert defaults["urls"] == urls
    # where the deploy key is, never the key: the runner fetches it with the instance role
    assert defaults["deploy_key"] == {"parameter": "/p2p/fleet/deploy-key", "region": "eu-west-1"}
    assert cron == "*/5 * * * *"
    assert "ansible-core" in user_data
    assert len(user_data.encode()) < MAX_USER_DATA_BYTES
    script = tmp_path / "user-data.sh"
    script.write_text(user_data)
    subprocess.run(["bash", "-n", str(script)], check=True)  # valid bash


def test_the_user_data_starts_the_runner_with_the_os_python3_never_one_found_on_path() -> None:
    user_data = render_user_data(parse_config({}), Deployment())
    started = [line for line in user_data.splitlines() if "/usr/local/bin/p2p-agent-runner " in line]
    assert len(started) == 2  # cron's line and the first run at boot
    assert all("/usr/bin/python3 /usr/local/bin/p2p-agent-runner --state " in line for line in started)


def test_the_runner_compiles_and_starts_under_each_os_python(runner_python: str, tmp_path: Path) -> None:
    compiled = [
        runner_python,
        "-c",
        "import py_compile, sys; py_compile.compile(sys.argv[1], sys.argv[2], doraise=True)",
    ]
    done = subprocess.run([*compiled, str(RUNNER), str(tmp_path / "runner.pyc")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([runner_python, str(RUNNER), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # every import resolved (datetime.UTC is 3.11+, for one)
    assert "--install-failures" in done.stdout


def test_the_runner_and_radar_module_as_shipped_compile_and_start_under_each_os_python(
    runner_python: str, tmp_path: Path
) -> None:
    """The user data carries them without comments and inner docstrings (`shipped`): the same code, still valid
    for each OS's python3."""
    runner, radar = tmp_path / "p2p-agent-runner", tmp_path / "agent_radar.py"
    runner.write_bytes(shipped(RUNNER))
    radar.write_bytes(shipped(RUNNER.parent / "agent_radar.py"))
    for module in (runner, radar):
        compiled = "import py_compile, sys; py_compile.compile(sys.argv[1], sys.argv[1] + 'c', doraise=True)"
        done = subprocess.run([runner_python, "-c", compiled, str(module)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    done = subprocess.run([runner_python, str(runner), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--install-failures" in done.stdout and "p2p agent runner" in done.stdout


def test_a_stack_with_a_radar_leaves_user_data_room_under_ec2s_limit() -> None:
    keys = [f"ssh-ed25519 {'A' * 68} operator{i}@example" for i in range(2)]
    config = parse_config({"logs": {"metrics": True}, "network": {"public_keys": keys}})
    deployment = Deployment(radar_url="https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws/")
    assert len(render_user_data(config, deployment).encode()) < MAX_USER_DATA_BYTES - 1024


def test_every_accepted_os_names_the_python3_it_ships() -> None:
    accepted = get_args(InstanceSettings.model_fields["os"].annotation)
    assert set(OS_PYTHON) == set(accepted)  # a new OS needs its python3 named, so the runner is tested under it


def test_shell_agents_do_not_install_ansible() -> None:
    assert "ansible-core" not in render_user_data(parse_config({"agent": {"type": "shell"}}), Deployment())


def test_user_data_over_16_kb_is_refused() -> None:
    key = "ssh-rsa " + "A" * 700 + " operator@example"
    config = parse_config({"network": {"public_keys": [key] * 25}})
    with pytest.raises(ValueError, match=rf"over EC2's {MAX_USER_DATA_BYTES}-byte limit"):
        render_user_data(config, Deployment())
