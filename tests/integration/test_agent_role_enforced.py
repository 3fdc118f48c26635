"""The agents' calls are authorized against the template's AgentRole, as IAM does for an instance's role.

The runner runs as on an instance (a subprocess, `--dry-run`): its credentials come from the emulator's IMDS
(moto's), whose access key id the emulator registers as the agent role's session, and every request signed
with it is evaluated at moto's side against AgentRole's statements (its inline policies and
AmazonSSMManagedInstanceCore). The CloudWatch agent cannot run here: its calls (logs, PutMetricData,
DescribeTags) are made with boto3 signed with the same credentials.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from p2p_emulator import iam, stack_roles
from p2p_emulator.iam import sessions
from p2p_emulator.stack import TEMPLATE
from p2p_emulator.template import Resolver, load_template
from tests.integration.test_agent_deploy_key import HOME, PARAMETER, STACK, run_agent, ssm_endpoint

__all__ = ["ssm_endpoint"]  # the emulator's SSM fixture, shared with the deploy-key tests

ACCOUNT = "123456789012"
NAMES = {"AWS::Partition": "aws", "AWS::Region": HOME, "AWS::AccountId": ACCOUNT, "AWS::StackName": STACK}
AGENT_LOGS = f"/p2p/{STACK}/agents"
STACK_TAG = [{"Key": "p2p:stack", "Value": STACK}]


def _role_arn(logical: str, attribute: str) -> str:
    assert attribute == "Arn", (logical, attribute)
    return f"arn:aws:iam::{ACCOUNT}:role/{logical}"


def agent_role() -> iam.Principal:
    """AgentRole as template.yaml defines it, resolved for STACK in HOME."""
    return stack_roles.agent_role(load_template(TEMPLATE), Resolver(NAMES, _role_arn))


@pytest.fixture(scope="module")
def endpoint(ssm_endpoint: str) -> str:
    """The emulator over HTTP (the deploy-key tests' server), where the runner and the agent's clients call."""
    return ssm_endpoint


@pytest.fixture
def enforced() -> Iterator[iam.Principal]:
    """The agent role enforced for requests signed with IMDS's key id (forgotten after the test)."""
    role = agent_role()
    iam.instance_role(role)
    yield role
    sessions.forget()


def client(service: str, endpoint: str, key: str = "operator") -> Any:
    return boto3.client(
        service,
        region_name=HOME,
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        aws_session_token="token",
    )


def as_agent(service: str, endpoint: str) -> Any:
    """A client signed with the instance role's credentials, as IMDS hands them out."""
    with urllib.request.urlopen(endpoint + "latest/meta-data/iam/security-credentials/default-role") as answer:
        credentials = json.loads(answer.read())
    return client(service, endpoint, key=credentials["AccessKeyId"])


@pytest.fixture
def ssm(endpoint: str) -> Iterator[Any]:
    operator = client("ssm", endpoint)
    yield operator
    for name in (PARAMETER, "/p2p/other-stack/deploy-key"):
        with contextlib.suppress(operator.exceptions.ParameterNotFound):
            operator.delete_parameter(Name=name)


def store_key(ssm: Any, name: str = PARAMETER, tags: list[dict[str, str]] = STACK_TAG) -> None:
    """A key as `p2pctl deploy-key create` stores it (tagged with the stack)."""
    ssm.put_parameter(Name=name, Value="-----KEY-----\nsecret\n", Type="SecureString", Tags=tags)


def test_the_runner_reads_the_deploy_key_with_the_templates_agent_role(
    runner_python: str, tmp_path: Path, ssm: Any, endpoint: str, enforced: iam.Principal
) -> None:
    store_key(ssm)
    before = len(iam.ENFORCER.denials)
    done = run_agent(runner_python, tmp_path, endpoint, credentials={})  # IMDS's credentials, as under cron
    assert done.returncode == 0, done.stderr
    assert f"deploy key fetched from SSM parameter {PARAMETER} in {HOME}" in done.stdout
    # no staged key: the Deny answers AccessDenied for a parameter that does not exist, read as "none staged"
    denied = [(d.action, d.resource) for d in iam.ENFORCER.denials[before:]]
    assert ("ssm:GetParameter", f"arn:aws:ssm:{HOME}:{ACCOUNT}:parameter{PARAMETER}-next") in denied
    assert "deploy-key-next" not in done.stdout


def test_without_any_allow_for_the_key_the_runner_reports_the_denial(
    runner_python: str, tmp_path: Path, ssm: Any, endpoint: str, enforced: iam.Principal
) -> None:
    store_key(ssm)
    # AmazonSSMManagedInstanceCore allows ssm:GetParameter on "*": without ReadTheDeployKey the tagged key is
    # still read (the Deny narrows that "*" to this stack's parameters); without both, the read is denied
    iam.instance_role(enforced.without("agent-deploy-key/ReadTheDeployKey"))
    assert "deploy key fetched" in run_agent(runner_python, tmp_path, endpoint, credentials={}).stdout
    (tmp_path / "deploy-key").unlink()
    iam.instance_role(enforced.without("AmazonSSMManagedInstanceCore/#0"))
    assert "deploy key fetched" in run_agent(runner_python, tmp_path, endpoint, credentials={}).stdout
    (tmp_path / "deploy-key").unlink()
    without_both = enforced.without("agent-deploy-key/ReadTheDeployKey").without("AmazonSSMManagedInstanceCore/#0")
    iam.instance_role(without_both)
    done = run_agent(runner_python, tmp_path, endpoint, credentials={})
    assert f"deploy key not read from SSM parameter {PARAMETER} in {HOME}: AccessDeniedException" in done.stdout
    assert not (tmp_path / "deploy-key").exists()
    last = iam.ENFORCER.denials[-1]
    assert (last.function_name, last.action) == (iam.INSTANCE_ID, "ssm:GetParameter")
    assert last.resource == f"arn:aws:ssm:{HOME}:{ACCOUNT}:parameter{PARAMETER}"
    assert last.reason == "no identity-based policy allows the ssm:GetParameter action"


def test_another_stacks_untagged_parameter_is_denied_by_no_other_parameters(
    ssm: Any, endpoint: str, enforced: iam.Principal
) -> None:
    store_key(ssm, "/p2p/other-stack/deploy-key", tags=[])
    store_key(ssm, PARAMETER, tags=[])  # even this stack's key, untagged: the Deny wins over the Allow
    agent = as_agent("ssm", endpoint)
    for name in ("/p2p/other-stack/deploy-key", PARAMETER):
        with pytest.raises(ClientError) as refused:
            agent.get_parameter(Name=name, WithDecryption=True)
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
        message = refused.value.response["Error"]["Message"]
        assert f"assumed-role/AgentRole/{iam.INSTANCE_ID} is not authorized to perform: ssm:GetParameter" in message
        assert "agent-radar-token/NoOtherParameters" in message
    assert ssm.get_parameter(Name=PARAMETER)["Parameter"]["Name"] == PARAMETER  # the operator's key: unenforced


def test_the_cloudwatch_agents_calls_are_evaluated(endpoint: str, enforced: iam.Principal) -> None:
    operator_logs = client("logs", endpoint)
    for group in (AGENT_LOGS, "/other/logs"):
        with contextlib.suppress(operator_logs.exceptions.ResourceAlreadyExistsException):
            operator_logs.create_log_group(logGroupName=group)
    logs, cloudwatch, ec2 = (as_agent(s, endpoint) for s in ("logs", "cloudwatch", "ec2"))
    logs.create_log_stream(logGroupName=AGENT_LOGS, logStreamName="i-fake")
    logs.put_log_events(
        logGroupName=AGENT_LOGS, logStreamName="i-fake", logEvents=[{"timestamp": 1_700_000_000_000, "message": "up"}]
    )
    cloudwatch.put_metric_data(Namespace="CWAgent", MetricData=[{"MetricName": "mem_used_percent", "Value": 1.0}])
    ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": ["i-fake"]}])
    refused = [
        (lambda: logs.create_log_stream(logGroupName="/other/logs", logStreamName="x"), "AccessDeniedException"),
        (lambda: cloudwatch.put_metric_data(Namespace="Other", MetricData=[{"MetricName": "m", "Value": 1.0}]), None),
        (lambda: ec2.describe_instances(), "UnauthorizedOperation"),
    ]
    for call, code in refused:
        with pytest.raises(ClientError) as denied:
            call()
        expected = (code,) if code else ("AccessDenied", "AccessDeniedException")
        assert denied.value.response["Error"]["Code"] in expected
        assert "is not authorized to perform" in denied.value.response["Error"]["Message"]
