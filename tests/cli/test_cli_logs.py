"""`p2pctl logs` as the operator runs it, against `p2pctl local`: events put into several regions' agents log groups.

The runs build the log group in each selected region; events are put as the CloudWatch agent on
an instance would (stream `<instance id>/<file>`), then `p2pctl logs` merges them.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest

from p2p_core import names
from p2p_core.bootstrap.cloudwatch import AGENT_CONFIG_PATH
from tests.cli.local_cli import P2PCTL, STACK, Local

REGIONS = ["eu-west-1", "us-east-1"]
GROUP = names.agents_log_group(STACK)


def put(local: Local, region: str, stream: str, ago: timedelta, message: str) -> None:
    """One event as an agent's CloudWatch agent ships it."""
    logs = local.client("logs", region)
    if not logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=stream)["logStreams"]:
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    when = int((datetime.now(UTC) - ago).timestamp() * 1000)
    logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=[{"timestamp": when, "message": message}])


@pytest.fixture(scope="module")
def fleet(local: Local) -> Local:
    """Two regions built (log groups included), with events from three instances."""
    local.reset(regions=REGIONS, desired_capacity=0)
    minute = timedelta(minutes=1)
    put(local, "eu-west-1", "i-0aaa/runner.log", 9 * minute, "control center answered")
    put(local, "us-east-1", "i-0bbb/runner.log", 8 * minute, "control center answered")
    put(local, "us-east-1", "i-0bbb/cloud-init-output.log", 7 * minute, "Cloud-init v. 24.1 finished")
    put(local, "eu-west-1", "i-0aaa/runner.log", 6 * minute, "finished with exit code 2: ansible-pull")
    put(local, "us-east-1", "i-0bbb/runner.log", 3 * timedelta(hours=1), "three hours ago")
    return local


def test_the_launch_templates_ship_agent_logs_to_the_group_logs_reads(fleet: Local) -> None:
    for region in REGIONS:
        asg = fleet.asg(region)
        assert asg is not None
        ec2 = fleet.client("ec2", region)
        template = asg["LaunchTemplate"]
        [version] = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["LaunchTemplateId"], Versions=[template["Version"]]
        )["LaunchTemplateVersions"]
        user_data = base64.b64decode(version["LaunchTemplateData"]["UserData"]).decode()
        written = re.search(
            rf"echo '([A-Za-z0-9+/=]+)' \| base64 -d > {re.escape(AGENT_CONFIG_PATH)}$", user_data, re.M
        )
        assert written is not None, user_data
        files = json.loads(base64.b64decode(written.group(1)))["logs"]["logs_collected"]["files"]["collect_list"]
        assert {f["log_group_name"] for f in files} == {GROUP}
        assert fleet.client("logs", region).describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]


def test_logs_merges_every_selected_regions_events_in_time_order(fleet: Local) -> None:
    shown = fleet.ok("logs").stdout.splitlines()
    without_time = [(region, instance, rest) for region, instance, _, rest in (line.split(" ", 3) for line in shown)]
    assert without_time == [
        ("eu-west-1", "i-0aaa", "runner.log: control center answered"),
        ("us-east-1", "i-0bbb", "runner.log: control center answered"),
        ("us-east-1", "i-0bbb", "cloud-init-output.log: Cloud-init v. 24.1 finished"),
        ("eu-west-1", "i-0aaa", "runner.log: finished with exit code 2: ansible-pull"),
    ]  # the event of three hours ago is older than the default --since 1h
    times = [line.split(" ")[2] for line in shown]
    assert times == sorted(times)


def test_logs_reads_only_the_regions_named_and_since_reaches_further_back(fleet: Local) -> None:
    events = [
        json.loads(line)
        for line in fleet.ok("logs", "--region", "us-east-1", "--since", "4h", "--json").stdout.splitlines()
    ]
    assert [(e["region"], e["instance"], e["file"], e["message"]) for e in events] == [
        ("us-east-1", "i-0bbb", "runner.log", "three hours ago"),
        ("us-east-1", "i-0bbb", "runner.log", "control center answered"),
        ("us-east-1", "i-0bbb", "cloud-init-output.log", "Cloud-init v. 24.1 finished"),
    ]


def test_logs_grep_keeps_the_matching_events(fleet: Local) -> None:
    shown = fleet.ok("logs", "--grep", "exit code 2").stdout.splitlines()
    assert (
        len(shown) == 1 and shown[0].startswith("eu-west-1 i-0aaa ") and shown[0].endswith("exit code 2: ansible-pull")
    )


def test_a_region_without_agents_log_group_is_named_and_a_bad_region_is_refused(fleet: Local) -> None:
    done = fleet.ok("logs", "--region", "sa-east-1")
    assert done.stdout == ""
    assert f"sa-east-1: no log group {GROUP}" in done.stderr
    refused = fleet.p2pctl("logs", "--region", "mars-north-1")
    assert refused.returncode == 1
    assert "error: --region 'mars-north-1' is not a known region" in refused.stderr
    bad = fleet.p2pctl("logs", "--since", "yesterday")
    assert bad.returncode == 1 and "error: --since 'yesterday'" in bad.stderr and "fix: use --since 1h" in bad.stderr


def test_logs_follow_prints_new_events_as_they_arrive_until_interrupted(fleet: Local) -> None:
    following = subprocess.Popen(
        [*P2PCTL, "--stack-name", STACK, "logs", "--follow", "--interval", "1", "--since", "5m", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=fleet.env,
    )
    try:
        assert following.stdout is not None
        put(fleet, "us-east-1", "i-0ccc/runner.log", timedelta(0), "a new instance polled")
        put(fleet, "eu-west-1", "i-0aaa/runner.log", timedelta(0), "running: ansible-pull")
        lines = [json.loads(following.stdout.readline()) for _ in range(2)]
        assert {(e["region"], e["instance"], e["message"]) for e in lines} == {
            ("us-east-1", "i-0ccc", "a new instance polled"),
            ("eu-west-1", "i-0aaa", "running: ansible-pull"),
        }
        time.sleep(2.5)  # more polls: nothing is printed twice
        put(fleet, "eu-west-1", "i-0aaa/runner.log", timedelta(0), "finished with exit code 0")
        assert json.loads(following.stdout.readline())["message"] == "finished with exit code 0"
    finally:
        following.send_signal(signal.SIGINT)
        out, err = following.communicate(timeout=30)
    assert following.returncode == 0, err
    assert out == "" and "Traceback" not in err  # nothing repeated after the last event, no traceback
