"""The agents' instance role as template.yaml defines it: what it may read from SSM Parameter Store and EC2.

Evaluated with the emulator's IAM rules over the role's inline policies and AmazonSSMManagedInstanceCore
(which alone allows ssm:GetParameter on every parameter of the account).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from p2p_core.models.deployment import deploy_key_parameter, staged_deploy_key_parameter
from p2p_core.radar.token import radar_token_parameter
from p2p_emulator import shims
from p2p_emulator.iam.evaluate import Request, decide
from p2p_emulator.template import Resolver, load_template

ROOT = Path(__file__).resolve().parents[2]
STACK, HOME, ACCOUNT = "p2p-fleet", "eu-central-1", "123456789012"
NAMES = {"AWS::Partition": "aws", "AWS::Region": HOME, "AWS::AccountId": ACCOUNT, "AWS::StackName": STACK}
KEY_ARN = f"arn:aws:ssm:{HOME}:{ACCOUNT}:parameter{deploy_key_parameter(STACK)}"
TOKEN_ARN = f"arn:aws:ssm:{HOME}:{ACCOUNT}:parameter{radar_token_parameter(STACK)}"
STAGED_KEY_ARN = f"arn:aws:ssm:{HOME}:{ACCOUNT}:parameter{staged_deploy_key_parameter(STACK)}"


def _no_attributes(logical: str, attribute: str) -> str:
    raise AssertionError(f"the agent role's policies name no attribute ({logical}.{attribute})")


def agent_role_statements(stack: str = STACK) -> list[tuple[str, dict[str, object]]]:
    """Every statement the agents' role carries: inline policies resolved for `stack`, and the managed ones."""
    role = load_template(ROOT / "template.yaml")["Resources"]["AgentRole"]["Properties"]
    resolve = Resolver({**NAMES, "AWS::StackName": stack}, _no_attributes)
    documents = [(p["PolicyName"], resolve(p["PolicyDocument"])) for p in role["Policies"]]
    for arn in role["ManagedPolicyArns"]:
        managed = shims.aws_managed_policy(str(resolve(arn)))
        assert managed is not None, arn
        documents.append((str(resolve(arn)).rsplit("/", 1)[-1], managed))
    found: list[tuple[str, dict[str, object]]] = []
    for name, document in documents:
        statements = document["Statement"]
        found += [(name, s) for s in (statements if isinstance(statements, list) else [statements])]
    return found


STATEMENTS = agent_role_statements()


def agent_may(action: str, resource: str, stack_tag: str | None) -> bool:
    context = {} if stack_tag is None else {"aws:ResourceTag/p2p:stack": stack_tag}
    return decide(STATEMENTS, Request(action, resource, context)).allowed


def test_agents_read_the_deploy_key_in_the_home_region() -> None:
    assert agent_may("ssm:GetParameter", KEY_ARN, stack_tag=STACK)


def test_agents_read_the_radar_token_in_the_home_region_tagged_as_the_radar_makes_it() -> None:
    assert agent_may("ssm:GetParameter", TOKEN_ARN, stack_tag=STACK)
    assert not agent_may("ssm:GetParameter", TOKEN_ARN, stack_tag=None)  # untagged: the Deny holds


def test_agents_read_the_staged_deploy_key_in_the_home_region() -> None:
    assert agent_may("ssm:GetParameter", STAGED_KEY_ARN, stack_tag=STACK)


def test_the_allow_names_exactly_the_deploy_keys_and_the_radar_token_parameters() -> None:
    allows = [s for _, s in STATEMENTS if s["Effect"] == "Allow" and "parameter/" in str(s["Resource"])]
    assert [s["Resource"] for s in allows] == [[KEY_ARN, STAGED_KEY_ARN], TOKEN_ARN]
    assert [s["Action"] for s in allows] == ["ssm:GetParameter", "ssm:GetParameter"]


@pytest.mark.parametrize(
    ("resource", "stack_tag"),
    [
        (f"arn:aws:ssm:{HOME}:{ACCOUNT}:parameter/prod/database-password", None),  # any other secret
        (f"arn:aws:ssm:{HOME}:{ACCOUNT}:parameter{deploy_key_parameter('other-stack')}", "other-stack"),
        (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/team/api-token", "someone"),
    ],
)
@pytest.mark.parametrize(
    "action", ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"]
)
def test_agents_read_no_other_parameter_of_the_account(action: str, resource: str, stack_tag: str | None) -> None:
    assert not agent_may(action, resource, stack_tag)


def test_without_the_deny_the_managed_policy_would_let_agents_read_every_parameter() -> None:
    # why NoOtherParameters exists: AmazonSSMManagedInstanceCore allows ssm:GetParameter on "*"
    managed = [(n, s) for n, s in STATEMENTS if n == "AmazonSSMManagedInstanceCore"]
    other = f"arn:aws:ssm:{HOME}:{ACCOUNT}:parameter/prod/database-password"
    assert decide(managed, Request("ssm:GetParameter", other, {})).allowed


def test_agents_cannot_change_the_deploy_key() -> None:
    for action in ("ssm:PutParameter", "ssm:DeleteParameter", "ssm:LabelParameterVersion"):
        assert not agent_may(action, KEY_ARN, stack_tag=STACK), action


def test_the_cloudwatch_agent_may_read_instance_tags_for_its_auto_scaling_group_dimension() -> None:
    # logs.metrics appends AutoScalingGroupName, which the agent resolves with ec2:DescribeTags
    assert agent_may("ec2:DescribeTags", "*", stack_tag=None)
    managed = [(n, s) for n, s in STATEMENTS if n == "AmazonSSMManagedInstanceCore"]
    assert not decide(managed, Request("ec2:DescribeTags", "*", {})).allowed  # granted by the stack, not by AWS
    assert not agent_may("ec2:CreateTags", "*", stack_tag=None)  # reading only
