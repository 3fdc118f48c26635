"""A custom control-center domain, end to end in `p2pctl local --control-center-domain cc.example.com`.

The stack is deployed with ControlCenterDomainName (and a us-east-1 certificate ARN); a second local
listener stands in for the distribution under its alias. Both URLs serve the same function; agents'
user data lists the custom one first; the runner baked with that user data polls it.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from p2p_core.bootstrap import agent_runner
from tests.cli.local_cli import STACK, Local, running_local

DOMAIN = "cc.example.com"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    """An emulator of its own: the domain is a parameter of the deployed stack, which no other module wants."""
    yield from running_local(tmp_path_factory.mktemp("local") / "local.log", "--control-center-domain", DOMAIN)


def urls(local: Local) -> list[str]:
    return local.info["control_center_urls"].split(",")


def baked_defaults(local: Local) -> dict[str, object]:
    """The runner's defaults from the launch template's user data."""
    ec2 = local.client("ec2")
    (template,) = ec2.describe_launch_templates(Filters=[{"Name": "tag:p2p:stack", "Values": [STACK]}])[
        "LaunchTemplates"
    ]
    version = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"])
    user_data = base64.b64decode(version["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    blobs = re.findall(r"echo '([A-Za-z0-9+/=]+)' \| base64 -d", user_data)
    found: dict[str, object] = json.loads(base64.b64decode(blobs[1]))
    return found


def test_the_stack_outputs_both_urls_and_the_custom_one_comes_first(local: Local) -> None:
    custom, default = urls(local)
    assert custom != default
    assert local.output("ControlCenterCustomUrl") == custom
    assert local.output("ControlCenterUrl") == default == local.info["control_center_url"]
    assert f"control center on {DOMAIN} (ControlCenterDomainName) served at {custom}" in local.log.read_text()


def test_both_urls_serve_the_same_headers(local: Local) -> None:
    local.reset(regions=["eu-central-1"], desired_capacity=1, agent={"main_run": "custom-domain.yml"})
    custom, default = urls(local)
    served = local.json("headers", "--url", custom)
    assert served["cc-a-main-run"] == "custom-domain.yml"
    assert local.json("headers", "--url", default) == served
    assert local.json("headers") == served  # ControlCenterUrl: the distribution's own domain


def test_agents_user_data_lists_the_custom_domain_first_and_the_runner_polls_it(local: Local, tmp_path: Path) -> None:
    local.reset(regions=["eu-central-1"], desired_capacity=1, agent={"main_run": "custom-domain.yml"})
    defaults = baked_defaults(local)
    assert defaults["urls"] == urls(local)
    (tmp_path / "defaults.json").write_text(json.dumps(defaults))
    runner = [sys.executable, str(Path(agent_runner.__file__)), "--defaults", str(tmp_path / "defaults.json")]
    runner += ["--lock", str(tmp_path / "lock"), "--dry-run", "--no-delay"]
    done = subprocess.run(runner, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    custom = urlsplit(urls(local)[0])
    assert f"control center 1 ({custom.netloc}) answered\n" in done.stdout  # the custom one, polled first
    assert custom.path not in done.stdout  # the secret path is never logged
    assert '"main-run": "custom-domain.yml"' in done.stdout  # the served value, not the default main.yml
