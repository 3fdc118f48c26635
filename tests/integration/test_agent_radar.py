"""Our runner reports to the radar after each run, with upstream's protocol, against a local radar server.

The runner runs as on an instance (a subprocess, `--dry-run`): IMDSv2 and the radar are served by a local HTTP
server whose radar answers with the real endpoint logic (`Radar.answer`, records in DynamoDB), and the token is
read from SSM, both served by the emulator (moto's server). What is checked: the report's fields as upstream's
receiver reads them, the token kept in /opt/p2p-radar.url (mode 0600) and fetched again after a rotation,
upstream-style lines reported too, `agent.radar: false`, and a radar that does not answer.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from p2p_core.bootstrap import agent_runner
from p2p_core.bootstrap.userdata import agent_defaults, render_user_data, shipped
from p2p_core.config import parse_config
from p2p_core.models.deployment import Deployment
from p2p_core.radar.endpoint import Radar
from p2p_core.radar.records import RecordTable
from p2p_core.radar.report import parse_query
from p2p_core.radar.token import TokenStore
from tests.integration.test_agent_deploy_key import CREDENTIALS, HOME, STACK, free_port, ssm_endpoint

__all__ = ["ssm_endpoint"]  # the emulator's SSM fixture, shared with the deploy-key tests
RUNNER = Path(agent_runner.__file__)
INSTANCE, REGION = "i-0123456789abcdef0", "eu-west-1"


class RadarAndImds:
    """A local server: the radar at /radar (the real endpoint logic) and IMDSv2 at /latest/... for the runner."""

    def __init__(self, endpoint: str) -> None:
        def client(service: str) -> Any:
            return boto3.client(service, region_name=HOME, endpoint_url=endpoint, **_keys())

        self.tokens = TokenStore(client("ssm"), STACK)
        db = client("dynamodb")
        name = f"radar-{free_port()}"
        db.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.table = RecordTable(db, name)
        self.radar = Radar(load_token=self.tokens.ensure, table=self.table)
        self.reports: list[tuple[str, dict[str, list[str]], int]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                outer._send(self, 200, "imds-token")

            def do_GET(self) -> None:
                path, query = urlsplit(self.path).path, urlsplit(self.path).query
                metadata = {"/latest/meta-data/instance-id": INSTANCE, "/latest/meta-data/placement/region": REGION}
                if path in metadata:
                    outer._send(self, 200, metadata[path])
                    return
                answer = outer.radar.answer(query, "127.0.0.1", datetime.now(UTC))
                outer.reports.append((path, parse_query(query), answer.status))
                outer._send(self, answer.status, json.dumps(answer.body))

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _send(self, request: BaseHTTPRequestHandler, status: int, body: str) -> None:
        request.send_response(status)
        request.send_header("content-length", str(len(body.encode())))
        request.end_headers()
        request.wfile.write(body.encode())


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def radar(ssm_endpoint: str) -> Iterator[RadarAndImds]:
    served = RadarAndImds(ssm_endpoint)
    yield served
    served.server.shutdown()
    with contextlib.suppress(served.tokens.ssm.exceptions.ParameterNotFound):
        served.tokens.ssm.delete_parameter(Name=served.tokens.name)


def run_agent(
    tmp_path: Path, served: RadarAndImds, endpoint: str, python: str = sys.executable, **agent: Any
) -> subprocess.CompletedProcess[str]:
    """One cron run under `python`: no control center answers (baked-in defaults), then the report."""
    config = parse_config({"agent": {"type": "shell", "main_run": "true", **agent}})
    deployment = Deployment(stack_name=STACK, home_region=HOME, radar_url=served.base + "/radar")
    (tmp_path / "defaults.json").write_text(json.dumps(agent_defaults(config, deployment)))
    (tmp_path / "services").write_text("ipfs\nbitcoin\n")
    args = [python, str(RUNNER), "--defaults", str(tmp_path / "defaults.json"), "--lock", str(tmp_path / "l")]
    args += ["--dry-run", "--no-delay", "--timeout", "5", "--url", f"http://127.0.0.1:{free_port()}/cc"]
    args += ["--ssm-endpoint", endpoint, "--imds-endpoint", served.base, "--radar-file", str(tmp_path / "radar.url")]
    args += ["--services-file", str(tmp_path / "services"), "--radar-tries", "2", "--radar-pause", "0"]
    env = {"PATH": "/usr/bin:/bin", **CREDENTIALS}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, env=env)


def test_the_runner_reports_after_its_run_with_upstreams_fields_and_ours(
    tmp_path: Path, radar: RadarAndImds, ssm_endpoint: str, runner_python: str
) -> None:
    """Under each OS's python3 too, where agent_radar.py is imported from beside the runner (no p2p_core)."""
    token = radar.tokens.ensure().current
    done = run_agent(tmp_path, radar, ssm_endpoint, runner_python)
    assert done.returncode == 0, done.stderr
    ((path, query, status),) = radar.reports
    assert (path, status) == ("/radar", 200)
    assert list(query)[:7] == ["cloud", "region", "autoscaler", "capacity", "services", "duration", "uptime"]
    assert (query["cloud"], query["region"], query["instance"]) == (["aws"], [REGION], [INSTANCE])
    assert query["services"] == ["bitcoin ipfs"] and query["auth"] == [token]
    assert radar.table.get(INSTANCE) is not None  # stored by the endpoint
    assert f"radar 1 (127.0.0.1:{radar.base.rsplit(':', 1)[1]}) answered 200" in done.stdout
    assert token not in done.stdout + done.stderr
    radar_file = tmp_path / "radar.url"
    assert radar_file.read_text().split() == [radar.base + "/radar", token]
    assert stat.S_IMODE(radar_file.stat().st_mode) == 0o600


def test_a_rotated_token_is_fetched_again_when_the_radar_refuses_the_old_one(
    tmp_path: Path, radar: RadarAndImds, ssm_endpoint: str, runner_python: str
) -> None:
    radar.tokens.ensure()
    assert run_agent(tmp_path, radar, ssm_endpoint, runner_python).returncode == 0
    rotated = radar.tokens.rotate(datetime.now(UTC), grace=timedelta(0))  # the old token stops working at once
    radar.radar.token(datetime.now(UTC), older_than=timedelta(0))  # the endpoint reads it (as after TOKEN_CACHE)
    done = run_agent(tmp_path, radar, ssm_endpoint, runner_python)
    assert done.returncode == 0, done.stderr
    assert [status for _, _, status in radar.reports] == [200, 401, 200]
    assert (tmp_path / "radar.url").read_text().split()[1] == rotated.current


def test_lines_written_by_hand_as_upstreams_agents_have_them_are_reported_too(
    tmp_path: Path, radar: RadarAndImds, ssm_endpoint: str
) -> None:
    token = radar.tokens.ensure().current
    (tmp_path / "radar.url").write_text(f"{radar.base}/upstream {token}\n")
    assert run_agent(tmp_path, radar, ssm_endpoint).returncode == 0
    assert [(path, status) for path, _, status in radar.reports] == [("/upstream", 200), ("/radar", 200)]


def test_agent_radar_false_sends_nothing(tmp_path: Path, radar: RadarAndImds, ssm_endpoint: str) -> None:
    done = run_agent(tmp_path, radar, ssm_endpoint, radar=False)
    assert done.returncode == 0, done.stderr
    assert radar.reports == [] and "radar" not in done.stdout


def test_a_radar_that_does_not_answer_is_tried_again_and_the_run_still_succeeds(
    tmp_path: Path, radar: RadarAndImds, ssm_endpoint: str
) -> None:
    token = radar.tokens.ensure().current
    dead = f"http://127.0.0.1:{free_port()}/radar"
    (tmp_path / "radar.url").write_text(f"{dead} {token}\n")
    done = run_agent(tmp_path, radar, ssm_endpoint)
    assert done.returncode == 0, done.stderr
    assert "radar 1 (" in done.stdout and "answered nothing" in done.stdout
    assert [path for path, _, _ in radar.reports] == ["/radar"]


def test_user_data_installs_the_radar_module_and_names_the_token_never_holding_it() -> None:
    deployment = Deployment(stack_name=STACK, home_region=HOME, radar_url="https://radar.example/")
    on = render_user_data(parse_config({}), deployment)
    blobs = [base64.b64decode(b) for b in re.findall(r"echo '([A-Za-z0-9+/=]+)' \| base64 -d", on)]
    defaults = json.loads(blobs[1])
    assert defaults["radar"] == {
        "url": "https://radar.example/",
        "parameter": f"/p2p/{STACK}/radar-token",
        "region": HOME,
    }
    assert gzip.decompress(blobs[2]) == shipped(RUNNER.parent / "agent_radar.py")
    assert "/usr/local/lib/p2p-agent/agent_radar.py" in on
    off = render_user_data(parse_config({"agent": {"radar": False}}), deployment)
    assert (
        "agent_radar" not in off and '"radar"' not in base64.b64decode(re.findall(r"echo '([^']+)'", off)[1]).decode()
    )
