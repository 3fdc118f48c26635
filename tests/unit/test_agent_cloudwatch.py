"""The CloudWatch agent in the user data (`logs.enabled`, `logs.metrics`) and what the agents' role may do with it."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from p2p_core import names
from p2p_core.bootstrap.cloudwatch import AGENT_CONFIG_PATH, CLOUD_INIT_LOG, METRICS_NAMESPACE, RUNNER_LOG
from p2p_core.bootstrap.userdata import MAX_USER_DATA_BYTES, render_user_data
from p2p_core.config import parse_config
from p2p_core.infrastructure import infrastructure_hash
from p2p_core.models.deployment import Deployment
from p2p_core.models.observed import CapacityTarget, Observed
from p2p_core.planner import plan
from p2p_core.wanted import BuildInputs
from p2p_emulator.iam.evaluate import Request, decide

from .planner_world import healthy_region
from .test_template_agent_role import agent_role_statements

STACK = "p2p-prod"
URLS = ["https://d111.cloudfront.net/cc-x"]
DEPLOYMENT = Deployment(stack_name=STACK, control_center_urls=URLS)
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"


def user_data(raw: dict[str, Any]) -> str:
    return render_user_data(parse_config(raw), DEPLOYMENT)


def shipped_config(script: str) -> dict[str, Any]:
    """The CloudWatch agent configuration the user data writes (valid JSON or this fails)."""
    written = re.search(rf"echo '([A-Za-z0-9+/=]+)' \| base64 -d > {re.escape(AGENT_CONFIG_PATH)}$", script, re.M)
    assert written is not None, "the user data writes no CloudWatch agent configuration"
    body: dict[str, Any] = json.loads(base64.b64decode(written.group(1)))
    return body


# ---------------------------------------------------------------- user data


def test_with_logs_enabled_the_user_data_installs_and_starts_the_cloudwatch_agent() -> None:
    script = user_data({})  # logs.enabled is the default
    # AWS's documented location: the agent's bucket in the instance's region (read from IMDS at boot;
    # tests/integration/test_agent_install.py runs it)
    deb = "https://amazoncloudwatch-agent-$region.s3.$region.amazonaws.com/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb"
    assert f'echo "{deb}"' in script
    assert "p2p_install /tmp/amazon-cloudwatch-agent.deb" in script  # apt-get: waits for the dpkg lock, retried
    ctl = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"
    assert f"{ctl} -a fetch-config -m ec2 -s -c file:{AGENT_CONFIG_PATH}" in script
    # started before the runner's first run, so its first lines are shipped too
    assert script.index("fetch-config") < script.index("# first run at boot")


def test_arm64_agents_get_the_arm64_package() -> None:
    script = user_data({"instance": {"type": "t4g.micro", "architecture": "arm64"}})
    assert ".amazonaws.com/ubuntu/arm64/latest/amazon-cloudwatch-agent.deb" in script
    assert "/amd64/" not in script


def test_the_agent_ships_the_runner_log_and_cloud_init_output_to_the_stacks_log_group() -> None:
    shipped = shipped_config(user_data({}))
    files = shipped["logs"]["logs_collected"]["files"]["collect_list"]
    assert [(f["file_path"], f["log_group_name"], f["log_stream_name"]) for f in files] == [
        (RUNNER_LOG, names.agents_log_group(STACK), "{instance_id}/runner.log"),
        (CLOUD_INIT_LOG, names.agents_log_group(STACK), "{instance_id}/cloud-init-output.log"),
    ]
    assert RUNNER_LOG in user_data({}).split("P2P_CRON")[1]  # the file cron appends the runner's output to
    assert all("retention_in_days" not in f for f in files)  # retention is the reconciler's (the role cannot set it)
    assert "metrics" not in shipped  # logs.metrics is off by default


def test_logs_metrics_adds_memory_disk_and_cpu_in_the_cwagent_namespace() -> None:
    metrics = shipped_config(user_data({"logs": {"metrics": True}}))["metrics"]
    assert metrics["namespace"] == METRICS_NAMESPACE == "CWAgent"
    assert set(metrics["metrics_collected"]) == {"mem", "disk", "cpu"}
    assert metrics["append_dimensions"] == {
        "InstanceId": "${aws:InstanceId}",
        "AutoScalingGroupName": "${aws:AutoScalingGroupName}",
    }


def test_with_logs_disabled_no_cloudwatch_agent_is_installed() -> None:
    assert "amazon-cloudwatch-agent" not in user_data({"logs": {"enabled": False}})


def test_metrics_without_logs_install_the_agent_shipping_no_files() -> None:
    shipped = shipped_config(user_data({"logs": {"enabled": False, "metrics": True}}))
    assert "logs" not in shipped  # no log group to ship to
    assert shipped["metrics"]["namespace"] == METRICS_NAMESPACE


@pytest.mark.parametrize("raw", [{}, {"logs": {"metrics": True}}, {"instance": {"architecture": "arm64"}}])
def test_user_data_with_the_agent_is_valid_bash_under_16_kb(raw: dict[str, Any], tmp_path: Path) -> None:
    script = render_user_data(
        parse_config(raw), Deployment(stack_name="s" * 128, control_center_urls=URLS)
    )  # the longest stack name CloudFormation allows
    assert len(script.encode()) < MAX_USER_DATA_BYTES
    path = tmp_path / "user-data.sh"
    path.write_text(script)
    subprocess.run(["bash", "-n", str(path)], check=True)


# ---------------------------------------------------------------- config: stored items and hashes


def test_logs_metrics_is_stored_only_when_set_and_leaves_existing_hashes_as_before() -> None:
    plain = parse_config({"instance": {"type": "t3.small"}})
    assert "metrics" not in parse_config({"logs": {"retention_days": 14}}).to_item()["logs"]
    assert "metrics" not in plain.model_dump(mode="json")["logs"]
    # the values these configs had before `logs.metrics` existed: an upgrade rebuilds nothing
    assert infrastructure_hash(plain) == infrastructure_hash(parse_config({**plain.to_item(), "logs": {}}))
    # (renewed once since: dual stack, network.ipv6 and open_ports = [TCP, UDP], changed what regions are built from)
    assert infrastructure_hash(plain) == "5ae7d4ebeedda0aa"
    assert parse_config({"logs": {"metrics": False}}).content_digest() == "35af41eba4571133"
    with_metrics = parse_config({"instance": {"type": "t3.small"}, "logs": {"metrics": True}})
    assert with_metrics.to_item()["logs"] == {"metrics": True}
    assert infrastructure_hash(with_metrics) != infrastructure_hash(plain)  # a new template version
    assert with_metrics.effective_item()["logs"] == {"enabled": True, "retention_days": 7, "metrics": True}


def test_a_bad_logs_metrics_value_names_the_field() -> None:
    from p2p_core.config.validation import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config({"logs": {"metrics": "sometimes"}})
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("logs.metrics", "sometimes")


def _built_for(raw: dict[str, Any]) -> tuple[BuildInputs, Observed]:
    """What a region is built from for `raw`, and the region as the reconciler left it."""
    config = parse_config({"start_time": "2026-11-20T12:00:00Z", "run_duration": None, **raw})
    build = BuildInputs(stack=STACK, user_data=render_user_data(config, DEPLOYMENT))
    running = CapacityTarget(min_size=0, max_size=30, desired_capacity=1)
    region = healthy_region(config, "eu-west-1", running, build=build)
    return build, Observed(regions={"eu-west-1": region}, schedule_expression=config.schedule_expression)


def test_a_region_built_with_the_agent_is_verified_as_built_and_turning_metrics_on_rebuilds_its_template() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    config = parse_config({"regions": ["eu-west-1"], "start_time": "2026-11-20T12:00:00Z", "run_duration": None})
    build, observed = _built_for({"regions": ["eu-west-1"]})
    assert plan(config, observed, now, build=build).nothing_to_do

    metrics = parse_config({**config.to_item(), "logs": {"metrics": True}})
    wanted = BuildInputs(stack=STACK, user_data=render_user_data(metrics, DEPLOYMENT))
    [step] = plan(metrics, observed, now, build=wanted).regions
    assert step.ensure_infrastructure
    assert "settings changed since the region was built (instance, network, logs or agent)" in step.reasons
    assert any("UserData differs" in reason for reason in step.reasons), step.reasons


# ---------------------------------------------------------------- the agents' role


AGENT_ROLE = agent_role_statements(STACK)  # with the managed policies: what the instance may really do


def _agent_may(action: str, resource: str, **context: str) -> bool:
    return decide(AGENT_ROLE, Request(action, resource, context)).allowed


def _log_arn(group: str, region: str = "eu-west-1") -> str:
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{group}"


def test_agents_may_only_create_streams_and_put_events_in_their_stacks_log_groups() -> None:
    group = names.agents_log_group(STACK)
    stream = f"{_log_arn(group)}:log-stream:i-0abc/runner.log"
    assert _agent_may("logs:CreateLogStream", f"{_log_arn(group, 'ap-south-1')}:*")
    assert _agent_may("logs:PutLogEvents", stream)
    other = _log_arn(names.agents_log_group("another-stack"))
    assert not _agent_may("logs:PutLogEvents", f"{other}:log-stream:i-0abc/runner.log")
    for action in ("logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup", "logs:DescribeLogStreams"):
        assert not _agent_may(action, _log_arn(group)), action
    logs_policy = [s for label, s in AGENT_ROLE if label == "agent-logs"]
    actions = {a for s in logs_policy for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    # ec2:DescribeTags: the agent's AutoScalingGroupName dimension (test_template_agent_role.py)
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData", "ec2:DescribeTags"}


def test_agents_may_put_metrics_only_in_the_cwagent_namespace() -> None:
    assert _agent_may("cloudwatch:PutMetricData", "*", **{"cloudwatch:namespace": METRICS_NAMESPACE})
    assert not _agent_may("cloudwatch:PutMetricData", "*", **{"cloudwatch:namespace": "AWS/EC2"})
    assert not _agent_may("cloudwatch:PutMetricData", "*")
