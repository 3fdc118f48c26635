"""Installs at boot (apt-get, the CloudWatch agent) wait for the dpkg lock, retry, and never fail silently.

The user data's helpers (p2p_core/bootstrap/install.sh, as the rendered user data carries them) run in
bash with fake `apt-get` and `curl` first on PATH: the fakes record their arguments and fail a set
number of times, as apt-get does while cloud-init or unattended-upgrades holds the lock at first boot.
The pause between attempts is 0 here (P2P_PAUSE), so nothing waits.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from p2p_core.bootstrap import agent_runner
from p2p_core.bootstrap.userdata import agent_defaults, install_helpers, render_user_data
from p2p_core.config import parse_config
from p2p_core.models.deployment import Deployment

RUNNER = Path(agent_runner.__file__)
FAKE_APT_GET = """#!/bin/bash
echo "$*" >> "$FAKES/apt-get.calls"
if [[ " $* " == *" install "* ]]; then
  failed=$(cat "$FAKES/apt-get.failed" 2>/dev/null || echo 0)
  if [ "$failed" -lt "$APT_FAILURES" ]; then
    echo $((failed + 1)) > "$FAKES/apt-get.failed"
    echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2
    exit 100
  fi
fi
"""
# IMDSv2 (a token, then the region) and downloads (-o FILE URL), as curl would get them on an instance
FAKE_CURL = """#!/bin/bash
echo "$*" >> "$FAKES/curl.calls"
case "$*" in
  *latest/api/token*) echo -n token ;;
  *meta-data/placement/region*) [ -n "$REGION" ] || exit 22; echo -n "$REGION" ;;
  *) out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done; echo deb > "$out" ;;
esac
"""


def user_data(raw: dict[str, object]) -> str:
    return render_user_data(parse_config(raw), Deployment())


def run_bash(
    tmp_path: Path, script: str, apt_failures: int = 0, region: str = "eu-west-1"
) -> subprocess.CompletedProcess[str]:
    """`script` after the user data's helpers, with the fake apt-get and curl first on PATH."""
    fakes = tmp_path / "fakes"
    fakes.mkdir(exist_ok=True)
    for name, body in (("apt-get", FAKE_APT_GET), ("curl", FAKE_CURL)):
        (fakes / name).write_text(body)
        (fakes / name).chmod(0o755)
    env = {
        "PATH": f"{fakes}:{os.environ['PATH']}",
        "FAKES": str(fakes),
        "APT_FAILURES": str(apt_failures),
        "REGION": region,
        "P2P_PAUSE": "0",
        "P2P_INSTALL_FAILED": str(tmp_path / "install-failed"),
    }
    body = f"set -euo pipefail\n{install_helpers()}{script}\n"
    return subprocess.run(["bash", "-c", body], capture_output=True, text=True, env=env, timeout=60, check=False)


def calls(tmp_path: Path, program: str) -> list[str]:
    path = tmp_path / "fakes" / f"{program}.calls"
    return path.read_text().splitlines() if path.exists() else []


def test_the_user_data_carries_the_install_helpers_and_installs_ansible_through_them() -> None:
    script = user_data({})
    assert install_helpers() in script
    assert "p2p_install ansible-core git || true" in script  # a failure is recorded; boot goes on to the runner
    assert re.findall(r"^\s*(?:apt-get|dpkg) ", script, re.M) == []  # no install around the helpers
    # where the helpers record a failure is where every run of the runner looks for it
    assert f"P2P_INSTALL_FAILED=${{P2P_INSTALL_FAILED:-{agent_runner.INSTALL_FAILURES}}}" in script


def test_an_install_waits_for_the_dpkg_lock_and_is_retried_until_it_succeeds(tmp_path: Path) -> None:
    done = run_bash(tmp_path, "p2p_install ansible-core git && echo installed", apt_failures=2)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "installed"
    installs = [call for call in calls(tmp_path, "apt-get") if " install " in f" {call} "]
    assert installs == ["-q -o DPkg::Lock::Timeout=600 install -y ansible-core git"] * 3
    assert all("DPkg::Lock::Timeout=600" in call for call in calls(tmp_path, "apt-get"))  # update waits too
    assert "p2p: apt-get install ansible-core git failed (attempt 2 of 5)" in done.stderr
    assert not (tmp_path / "install-failed").exists()


def test_an_install_that_keeps_failing_is_recorded_and_boot_goes_on(tmp_path: Path) -> None:
    done = run_bash(tmp_path, "p2p_install ansible-core git || true\necho 'runner installed'", apt_failures=99)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "runner installed"
    assert len([call for call in calls(tmp_path, "apt-get") if " install " in f" {call} "]) == 5  # bounded
    assert (tmp_path / "install-failed").read_text() == "apt-get install ansible-core git failed 5 times\n"
    assert "p2p: apt-get install ansible-core git failed 5 times" in done.stderr  # in cloud-init-output.log too


def run_runner(
    python: str, tmp_path: Path, raw: dict[str, object], *extra: str, path: str = "/usr/bin:/bin"
) -> subprocess.CompletedProcess[str]:
    """One run of the runner with baked-in defaults only (no control center answers)."""
    defaults = tmp_path / "defaults.json"
    defaults.write_text(json.dumps(agent_defaults(parse_config(raw), Deployment())))
    args = [python, str(RUNNER), "--defaults", str(defaults), "--lock", str(tmp_path / "lock"), "--no-delay"]
    args += ["--url", "http://127.0.0.1:9/cc", "--timeout", "1", "--install-failures", str(tmp_path / "install-failed")]
    return subprocess.run([*args, *extra], capture_output=True, text=True, timeout=60, check=False, env={"PATH": path})


def test_the_runner_reports_a_failed_install_on_every_run_and_exits_4(runner_python: str, tmp_path: Path) -> None:
    assert run_bash(tmp_path, "p2p_install ansible-core git || true", apt_failures=99).returncode == 0
    shell = {"agent": {"type": "shell", "main_run": "true"}}
    for _ in range(2):
        done = run_runner(runner_python, tmp_path, shell)
        assert done.returncode == agent_runner.INSTALL_FAILED == 4, done.stderr
        assert "ERROR: install at boot failed: apt-get install ansible-core git failed 5 times" in done.stdout
        assert "finished with exit code 0: bash -c true" in done.stdout  # the steps still ran
        assert "exit code 4: the steps ran, but 1 install(s) at boot failed" in done.stdout


def test_without_a_failed_install_the_runner_exits_0(runner_python: str, tmp_path: Path) -> None:
    done = run_runner(runner_python, tmp_path, {"agent": {"type": "shell", "main_run": "true"}})
    assert done.returncode == 0, done.stdout
    assert "install at boot failed" not in done.stdout


def test_a_program_that_is_not_installed_fails_its_step_with_127_not_a_traceback(
    runner_python: str, tmp_path: Path
) -> None:
    ansible = {"agent": {"repository": "https://github.com/example/agent.git", "main_run": "site.yml"}}
    done = run_runner(runner_python, tmp_path, ansible, path=str(tmp_path))  # no ansible-pull on PATH
    assert done.returncode == 127
    assert "could not start ansible-pull: No such file or directory" in done.stdout
    assert "Traceback" not in done.stderr


def cloudwatch_package_function(script: str) -> str:
    found = re.search(r"^p2p_cloudwatch_package\(\) \{\n.*?^\}\n", script, re.M | re.S)
    assert found is not None, "the user data defines no p2p_cloudwatch_package"
    return found.group(0)


@pytest.mark.parametrize(
    ("architecture", "instance_type", "arch"), [("x86_64", "t3.micro", "amd64"), ("arm64", "t4g.micro", "arm64")]
)
def test_the_cloudwatch_agent_comes_from_the_documented_bucket_of_the_instances_region(
    tmp_path: Path, architecture: str, instance_type: str, arch: str
) -> None:
    script = user_data({"instance": {"type": instance_type, "architecture": architecture}})
    function = cloudwatch_package_function(script)
    done = run_bash(tmp_path, function + "p2p_cloudwatch_package", region="ap-southeast-2")
    assert done.returncode == 0, done.stderr
    bucket = "https://amazoncloudwatch-agent-ap-southeast-2.s3.ap-southeast-2.amazonaws.com"
    assert done.stdout == f"{bucket}/ubuntu/{arch}/latest/amazon-cloudwatch-agent.deb\n"
    token, region = calls(tmp_path, "curl")
    assert "-X PUT" in token and "latest/api/token" in token  # IMDSv2, as the launch template requires
    assert "X-aws-ec2-metadata-token: token" in region
    # then downloaded (retried) and installed through apt-get, which waits for the lock
    assert 'p2p_download "$p2p_deb" /tmp/amazon-cloudwatch-agent.deb' in script
    assert "p2p_install /tmp/amazon-cloudwatch-agent.deb; then" in script


def test_a_cloudwatch_agent_that_cannot_be_downloaded_is_recorded(tmp_path: Path) -> None:
    function = cloudwatch_package_function(user_data({}))
    done = run_bash(tmp_path, function + "p2p_cloudwatch_package || echo skipped", region="")
    assert done.stdout.strip() == "skipped"
    assert (tmp_path / "install-failed").read_text() == "CloudWatch agent: no region from instance metadata\n"
    done = run_bash(tmp_path, "p2p_download https://example.invalid/x.deb /nonexistent/dir/x.deb || echo gone")
    assert done.stdout.strip() == "gone"
    assert "download of https://example.invalid/x.deb failed 5 times" in (tmp_path / "install-failed").read_text()
