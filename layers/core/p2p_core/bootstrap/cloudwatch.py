"""The Amazon CloudWatch agent on every instance (`logs.enabled`): its configuration and install script.

With `logs.enabled` the agent ships the runner's log and cloud-init's output to the region's agents
log group, one stream per instance and file (`<instance id>/<file>`, which `p2pctl logs` reads back);
with `logs.metrics` it sends memory, disk and CPU metrics in the `CWAgent` namespace. Retention stays the
reconciler's: the agent never sets it (the instance role may only create streams and put events).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from p2p_core import names
from p2p_core.config import ConfigItem
from p2p_core.config.instance import UBUNTU_ARCH

METRICS_NAMESPACE = "CWAgent"  # template.yaml's AgentRole may put metrics in this namespace only
RUNNER_LOG = "/var/log/p2p-agent/runner.log"
CLOUD_INIT_LOG = "/var/log/cloud-init-output.log"
SHIPPED_FILES = (RUNNER_LOG, CLOUD_INIT_LOG)
AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/p2p-agent.json"
_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"
# AWS's documented download location: the agent's S3 bucket in the instance's own region
_PACKAGE = (
    "https://amazoncloudwatch-agent-$region.s3.$region.amazonaws.com/ubuntu/{arch}/latest/amazon-cloudwatch-agent.deb"
)
_INSTALL = """\
# CloudWatch agent: ships the runner's log and cloud-init output. Agents run without it; a failure is
# recorded (install.sh) and reported by the runner.
p2p_cloudwatch_package() {{
  local region
  region=$(p2p_metadata placement/region) \\
    || {{ p2p_failed "CloudWatch agent: no region from instance metadata"; return 1; }}
  echo "{package}"
}}
if p2p_deb=$(p2p_cloudwatch_package) && p2p_download "$p2p_deb" /tmp/amazon-cloudwatch-agent.deb \\
  && p2p_install /tmp/amazon-cloudwatch-agent.deb; then
  install -d -m 0755 {config_dir}
  echo '{config}' | base64 -d > {config_path}
  {ctl} -a fetch-config -m ec2 -s -c file:{config_path} || p2p_failed "CloudWatch agent did not start"
fi
"""


def stream_name(instance_id: str, path: str) -> str:
    """The log stream of one shipped file of one instance: `<instance id>/<file name>`."""
    return f"{instance_id}/{path.rsplit('/', 1)[-1]}"


def agent_config(config: ConfigItem, stack: str) -> dict[str, Any]:
    """The CloudWatch agent's JSON configuration for this stack's agents."""
    group = names.agents_log_group(stack)
    files = [
        {
            "file_path": path,
            "log_group_name": group,
            "log_stream_name": stream_name("{instance_id}", path),
            "timezone": "UTC",
        }
        for path in SHIPPED_FILES
    ]
    body: dict[str, Any] = {"agent": {"run_as_user": "root", "metrics_collection_interval": 60}}
    if config.logs.enabled:
        body["logs"] = {"logs_collected": {"files": {"collect_list": files}}}
    if config.logs.metrics:
        body["metrics"] = {
            "namespace": METRICS_NAMESPACE,
            "append_dimensions": {
                "InstanceId": "${aws:InstanceId}",
                "AutoScalingGroupName": "${aws:AutoScalingGroupName}",
            },
            "aggregation_dimensions": [["AutoScalingGroupName"]],
            "metrics_collected": {
                "cpu": {"measurement": ["cpu_usage_active", "cpu_usage_iowait"], "totalcpu": True},
                "mem": {"measurement": ["mem_used_percent"]},
                "disk": {"measurement": ["used_percent"], "resources": ["/"]},
            },
        }
    return body


def install_script(config: ConfigItem, stack: str) -> str:
    """The user data lines that install and start the agent; empty when it would ship neither logs nor metrics."""
    if not (config.logs.enabled or config.logs.metrics):
        return ""
    body = json.dumps(agent_config(config, stack), sort_keys=True, separators=(",", ":"))
    return _INSTALL.format(
        package=_PACKAGE.format(arch=UBUNTU_ARCH[config.instance.architecture]),
        config_dir=AGENT_CONFIG_PATH.rsplit("/", 1)[0],
        config_path=AGENT_CONFIG_PATH,
        config=base64.b64encode(body.encode()).decode(),
        ctl=_CTL,
    )
