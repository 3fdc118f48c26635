"""The agent runner and a private repository: the deploy key read from SSM before each pull, used, never printed.

The runner runs as on an instance (a subprocess, `--dry-run` so nothing is cloned) against SSM served by the
emulator (moto's server): its own SigV4-signed GetParameter, the key written with mode 0600, and the pull
command carrying GIT_SSH_COMMAND. Credentials come from the environment here; on EC2 from IMDSv2.
"""

from __future__ import annotations

import contextlib
import json
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.server import ThreadedMotoServer

from p2p_core.bootstrap import agent_runner
from p2p_core.bootstrap.userdata import agent_defaults
from p2p_core.config import parse_config
from p2p_core.models.deployment import Deployment
from p2pctl.deploy_key_cmd import new_key_pair

RUNNER = Path(agent_runner.__file__)
STACK, HOME = "fleet", "eu-west-1"
PARAMETER = f"/p2p/{STACK}/deploy-key"
PRIVATE_REPO = "git@github.com:example/private-agent.git"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "session"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def ssm_endpoint() -> Iterator[str]:
    """The emulator's SSM over HTTP, as the runner reaches AWS."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}/"
    server.stop()


@pytest.fixture
def ssm(ssm_endpoint: str) -> Iterator[Any]:
    client = boto3.client(
        "ssm",
        region_name=HOME,
        endpoint_url=ssm_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    yield client
    with contextlib.suppress(client.exceptions.ParameterNotFound):
        client.delete_parameter(Name=PARAMETER)


def store_key(ssm: Any) -> str:
    private_key = new_key_pair("p2p-test").private_key
    ssm.put_parameter(Name=PARAMETER, Value=private_key, Type="SecureString", Overwrite=True)
    return private_key


def run_agent(
    python: str,
    tmp_path: Path,
    endpoint: str,
    repository: str = PRIVATE_REPO,
    credentials: dict[str, str] = CREDENTIALS,
) -> subprocess.CompletedProcess[str]:
    """One cron run of the runner: no control center answers, so the baked-in defaults (repository) apply."""
    baked = parse_config({"agent": {"repository": repository, "main_run": "site.yml"}})
    defaults = tmp_path / "defaults.json"
    defaults.write_text(json.dumps(agent_defaults(baked, Deployment(stack_name=STACK, home_region=HOME))))
    args = [python, str(RUNNER), "--defaults", str(defaults), "--lock", str(tmp_path / "lock")]
    args += ["--dry-run", "--no-delay", "--timeout", "5", "--url", f"http://127.0.0.1:{free_port()}/cc"]
    args += ["--deploy-key-file", str(tmp_path / "deploy-key"), "--ssm-endpoint", endpoint]
    args += ["--imds-endpoint", endpoint.rstrip("/")]  # the emulator answers IMDSv2 as an instance's would
    env = {"PATH": "/usr/bin:/bin", **credentials}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, env=env)


def pulls(out: str) -> list[str]:
    return [line.removeprefix("DRY-RUN: ") for line in out.splitlines() if "ansible-pull" in line]


def with_key(key_file: Path, repository: str = PRIVATE_REPO) -> str:
    ssh = f"ssh -i {key_file} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new"
    return f"env 'GIT_SSH_COMMAND={ssh}' ansible-pull -U {repository} site.yml --only-if-changed"


def test_an_ssh_repository_is_pulled_with_the_deploy_key_fetched_from_the_home_region(
    runner_python: str, tmp_path: Path, ssm: Any, ssm_endpoint: str
) -> None:
    private_key = store_key(ssm)
    done = run_agent(runner_python, tmp_path, ssm_endpoint)
    assert done.returncode == 0, done.stderr
    key_file = tmp_path / "deploy-key"
    assert f"deploy key fetched from SSM parameter {PARAMETER} in {HOME}, written to {key_file}" in done.stdout
    assert key_file.read_text() == private_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert pulls(done.stdout) == [with_key(key_file)]


def test_on_an_instance_the_role_credentials_come_from_imdsv2(
    runner_python: str, tmp_path: Path, ssm: Any, ssm_endpoint: str
) -> None:
    private_key = store_key(ssm)
    done = run_agent(
        runner_python, tmp_path, ssm_endpoint, credentials={}
    )  # no credentials in the environment, as under cron
    assert done.returncode == 0, done.stderr
    assert "deploy key fetched from SSM parameter" in done.stdout
    assert (tmp_path / "deploy-key").read_text() == private_key


def test_the_runner_log_never_holds_the_key(runner_python: str, tmp_path: Path, ssm: Any, ssm_endpoint: str) -> None:
    private_key = store_key(ssm)
    done = run_agent(runner_python, tmp_path, ssm_endpoint)
    assert "deploy key fetched" in done.stdout
    body = [line for line in private_key.splitlines() if not line.startswith("-----")]
    for text in (done.stdout, done.stderr):
        assert private_key not in text
        assert not [line for line in body if line in text]


def test_a_rotated_key_is_fetched_again_before_the_next_pull(
    runner_python: str, tmp_path: Path, ssm: Any, ssm_endpoint: str
) -> None:
    store_key(ssm)
    assert run_agent(runner_python, tmp_path, ssm_endpoint).returncode == 0
    rotated = store_key(ssm)
    done = run_agent(runner_python, tmp_path, ssm_endpoint)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "deploy-key").read_text() == rotated
    assert pulls(done.stdout) == [with_key(tmp_path / "deploy-key")]


def test_a_deleted_key_removes_the_file_and_the_pull_runs_without_it(
    runner_python: str, tmp_path: Path, ssm: Any, ssm_endpoint: str
) -> None:
    store_key(ssm)
    assert run_agent(runner_python, tmp_path, ssm_endpoint).returncode == 0
    ssm.delete_parameter(Name=PARAMETER)
    done = run_agent(runner_python, tmp_path, ssm_endpoint)
    assert done.returncode == 0, done.stderr
    assert f"no deploy key: SSM parameter {PARAMETER} in {HOME} does not exist" in done.stdout
    assert not (tmp_path / "deploy-key").exists()
    assert pulls(done.stdout) == [f"ansible-pull -U {PRIVATE_REPO} site.yml --only-if-changed"]


def test_when_ssm_does_not_answer_the_key_fetched_earlier_is_used(
    runner_python: str, tmp_path: Path, ssm: Any, ssm_endpoint: str
) -> None:
    private_key = store_key(ssm)
    assert run_agent(runner_python, tmp_path, ssm_endpoint).returncode == 0
    done = run_agent(runner_python, tmp_path, f"http://127.0.0.1:{free_port()}/")
    assert done.returncode == 0, done.stderr
    assert f"deploy key not read from SSM parameter {PARAMETER} in {HOME}" in done.stdout
    assert "using the deploy key fetched earlier" in done.stdout
    assert (tmp_path / "deploy-key").read_text() == private_key
    assert pulls(done.stdout) == [with_key(tmp_path / "deploy-key")]


class RefusingSsm(BaseHTTPRequestHandler):
    """SSM answering AccessDenied (the role lacks the permission), or a proxy answering an HTML page."""

    answers: ClassVar[dict[str, tuple[int, bytes]]] = {
        "/denied/": (400, b'{"__type":"com.amazonaws#AccessDeniedException","message":"not authorized"}'),
        "/proxy/": (403, b"<html>Forbidden</html>"),
    }

    def do_POST(self) -> None:
        status, body = self.answers[self.path]
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.mark.parametrize(("path", "logged"), [("/denied/", "AccessDeniedException"), ("/proxy/", "403")])
def test_a_refused_read_is_logged_with_aws_reason_and_the_pull_runs_without_a_key(
    runner_python: str, tmp_path: Path, path: str, logged: str
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingSsm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = run_agent(
            runner_python, tmp_path, f"http://127.0.0.1:{server.server_address[1]}{path}", credentials=CREDENTIALS
        )
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    assert f"deploy key not read from SSM parameter {PARAMETER} in {HOME}: {logged}" in done.stdout
    assert pulls(done.stdout) == [f"ansible-pull -U {PRIVATE_REPO} site.yml --only-if-changed"]


@pytest.mark.parametrize("repository", ["https://github.com/example/public-agent.git", "-"])
def test_a_repository_not_reached_over_ssh_needs_no_key(
    runner_python: str, tmp_path: Path, ssm: Any, ssm_endpoint: str, repository: str
) -> None:
    store_key(ssm)
    done = run_agent(runner_python, tmp_path, ssm_endpoint, repository=repository)
    assert done.returncode == 0, done.stderr
    assert "deploy key" not in done.stdout
    assert not (tmp_path / "deploy-key").exists()
    assert "GIT_SSH_COMMAND" not in done.stdout


@pytest.mark.parametrize(
    ("repository", "over_ssh"),
    [
        ("git@github.com:example/agent.git", True),
        ("ssh://git@gitlab.example.com:2222/team/agent.git", True),
        ("deploy@git.example.com:agent.git", True),
        ("https://github.com/example/agent.git", False),
        ("https://user@github.com/example/agent.git", False),
        ("/srv/agent.git", False),
    ],
)
def test_ssh_repositories_are_recognised(repository: str, over_ssh: bool) -> None:
    assert agent_runner.is_ssh_repository(repository) is over_ssh


def test_the_runner_signs_get_parameter_as_botocore_does() -> None:
    credentials = {"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "secret", "Token": "session-token"}
    amz_date = "20261126T101500Z"
    request = agent_runner.get_parameter_request(PARAMETER, HOME, credentials, None, amz_date)
    assert request.full_url == f"https://ssm.{HOME}.amazonaws.com/"
    headers = {k.lower(): v for k, v in request.header_items()}
    same = AWSRequest(
        method="POST",
        url=request.full_url,
        data=request.data,
        headers={k: v for k, v in headers.items() if k != "authorization"},
    )
    same.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials("AKIDEXAMPLE", "secret", "session-token"), "ssm", HOME)
    signature = auth.signature(auth.string_to_sign(same, auth.canonical_request(same)), same)
    assert headers["authorization"].endswith(f"Signature={signature}")
    assert f"Credential=AKIDEXAMPLE/20261126/{HOME}/ssm/aws4_request" in headers["authorization"]
    assert json.loads(request.data) == {"Name": PARAMETER, "WithDecryption": True}  # type: ignore[arg-type]
