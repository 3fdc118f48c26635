"""template.yaml deploys on any account, in any region and under any legal stack name: what AWS refuses
at deploy time (concurrency reservations, a layer built for another architecture, a key CloudWatch cannot
use, names over AWS's limits, a WAF outside us-east-1) is absent or refused by a template Rule."""

from __future__ import annotations

import copy
import itertools
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER
from samtranslator.translator.transform import transform

from p2p_core import names
from p2p_core.models.deployment import LEASE_SECONDS, MAX_CONCURRENCY, Deployment
from p2p_core.models.events import PlanResult
from p2p_emulator.stack import ACCOUNT_ID
from p2p_emulator.template import Resolver, TemplateRuleFailed, check_rules, load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
PARAMETERS: dict[str, dict[str, Any]] = TEMPLATE["Parameters"]
STACK_UUID = "1c2fa620-982a-11e3-aff7-50e2416294e0"
# the shortest and longest legal stack names, and one EC2 would mistake for a security group id
STACK_NAMES = ["a", "P" + "x" * 127, "sg-" + "0123456789abcdef" * 7 + "x" * 13]
# limits AWS documents that the resource schemas do not carry
DOCUMENTED_LIMITS = {("AWS::CloudFront::OriginAccessControl", "OriginAccessControlConfig.Name"): 64}
# the names this test must have checked, so a schema change cannot silently skip them
LIMITED_NAMES = {
    ("ControlCenterFunction", "Name"),
    ("ControlCenterOriginAccessControl", "OriginAccessControlConfig.Name"),
    ("ConfigEditPipe", "Name"),
    ("ReconcileSchedule", "Name"),
    ("ReconcileStateMachine", "StateMachineName"),
    ("ScheduledCheckStateMachine", "StateMachineName"),
    ("StateMachineLogGroup", "LogGroupName"),
    ("ScheduledCheckLogGroup", "LogGroupName"),
}


def _functions() -> dict[str, dict[str, Any]]:
    return {n: r for n, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}


# ---------------------------------------------------------------- concurrency


def test_no_function_reserves_concurrency_so_accounts_with_a_small_quota_can_deploy() -> None:
    # each reservation comes out of the account's quota and Lambda keeps 100 unreserved: 54 reserved needed 154
    assert "ReservedConcurrentExecutions" not in TEMPLATE["Globals"]["Function"]
    reserving = [n for n, r in _functions().items() if "ReservedConcurrentExecutions" in r["Properties"]]
    assert reserving == []
    assert "ReservedConcurrentExecutions" not in (ROOT / "template.yaml").read_text()


# ---------------------------------------------------------------- architecture


def _parameter_choices() -> Iterator[dict[str, str]]:
    """Every combination of the allowed values of parameters that have a closed list of them."""
    closed = {n: [str(v) for v in p["AllowedValues"]] for n, p in PARAMETERS.items() if "AllowedValues" in p}
    for values in itertools.product(*closed.values()):
        yield dict(zip(closed, values, strict=True))


def _evaluate(value: Any, choice: dict[str, str]) -> Any:
    """A property under one choice of parameters (Ref and Fn::If over the template's Conditions)."""
    if isinstance(value, list):
        return [_evaluate(v, choice) for v in value]
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in choice:
        return choice[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        condition, yes, no = value["Fn::If"]
        holds = Resolver(choice, lambda *_: "")(TEMPLATE["Conditions"][condition])
        return _evaluate(yes if holds else no, choice)
    return value


@pytest.mark.parametrize("choice", list(_parameter_choices()), ids=lambda c: ",".join(c.values()))
def test_every_function_runs_on_the_architecture_its_layer_was_built_for(choice: dict[str, str]) -> None:
    globals_ = TEMPLATE["Globals"]["Function"]
    for name, function in _functions().items():
        props = function["Properties"]
        architectures = _evaluate(props.get("Architectures", globals_["Architectures"]), choice)
        layers = _evaluate(props.get("Layers", globals_["Layers"]), choice)
        assert layers, name
        for layer in layers:
            built = RESOURCES[layer["Ref"]]
            assert architectures == [built["Metadata"]["BuildArchitecture"]], (name, layer)
            assert architectures[0] in built["Properties"]["CompatibleArchitectures"], (name, layer)


def test_the_architecture_is_not_a_parameter_the_built_layer_cannot_follow() -> None:
    # Metadata.BuildArchitecture cannot take a Ref: a parameter would let functions and layer disagree
    assert all(not isinstance(layer.get("Metadata", {}).get("BuildArchitecture"), dict) for layer in RESOURCES.values())
    assert "Architecture" not in PARAMETERS


# ---------------------------------------------------------------- alarms reach the topic


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use() -> None:
    alarm = RESOURCES["FailedRunAlarm"]["Properties"]
    (topic_ref,) = alarm["AlarmActions"]
    topic = RESOURCES[topic_ref["Ref"]]["Properties"]
    key_ref = topic["KmsMasterKeyId"]
    assert isinstance(key_ref, dict), f"an AWS managed key ({key_ref}) cannot be used by CloudWatch alarms"
    key = RESOURCES[key_ref["Ref"]]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    (grant,) = cloudwatch
    assert grant["Effect"] == "Allow"
    assert set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert grant["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert ":alarm:" in grant["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]


def test_the_alarm_key_stays_manageable_by_the_account_and_nobody_else() -> None:
    statements = RESOURCES["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    admin = [s for s in statements if "AWS" in s["Principal"]]
    assert [s["Principal"]["AWS"] for s in admin] == [{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}]
    assert all(s["Principal"] != "*" and s["Principal"].get("AWS") != "*" for s in statements)


# ---------------------------------------------------------------- WAF only where CloudFront's ACLs live


@pytest.mark.parametrize(
    ("enable_waf", "region", "refused"),
    [
        ("true", "us-east-1", False),
        ("true", "eu-central-1", True),
        ("true", "ap-southeast-2", True),
        ("false", "eu-central-1", False),
        ("false", "us-east-1", False),
    ],
)
def test_a_waf_outside_us_east_1_is_refused_by_a_template_rule(enable_waf: str, region: str, refused: bool) -> None:
    values = {**{n: str(p.get("Default", "")) for n, p in PARAMETERS.items()}, "EnableWaf": enable_waf}
    values["AWS::Region"] = region
    if refused:
        with pytest.raises(TemplateRuleFailed, match="EnableWaf=true needs the stack in us-east-1"):
            check_rules(TEMPLATE, values)
    else:
        check_rules(TEMPLATE, values)


def test_the_web_acl_exists_exactly_when_enable_waf_is_true() -> None:
    acl = RESOURCES["ControlCenterWebAcl"]
    for enable_waf in ("true", "false"):
        holds = Resolver({"EnableWaf": enable_waf}, lambda *_: "")(TEMPLATE["Conditions"][acl["Condition"]])
        assert holds == (enable_waf == "true")


# ---------------------------------------------------------------- names within AWS's limits for every stack name


@cache
def _transformed() -> dict[str, Any]:
    """The template as CloudFormation receives it after the SAM transform."""
    template = copy.deepcopy(TEMPLATE)
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in props:
                props[key] = "s3://bucket/code.zip"
        if "DefinitionUri" in props:
            props["DefinitionUri"] = "s3://bucket/reconcile.asl.json"
    params = {n: str(p.get("Default", "")) for n, p in PARAMETERS.items()}
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "eu-central-1"}):  # the translator asks boto3
        out: dict[str, Any] = transform(template, params, _NoManagedPolicies())  # type: ignore[arg-type]
    return out


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


class _Unresolvable(Exception):
    pass


# optional parameters whose resources exist only when set: checked with a value that creates them
WHEN_SET = {"NotificationWebhookUrl": "https://hooks.slack.com/services/T0000/B0000/XXXXXXXX"}


def _resolver(stack_name: str) -> Resolver:
    known = {n: str(p.get("Default", "")) for n, p in PARAMETERS.items()} | WHEN_SET
    known.update(
        {
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:eu-central-1:{ACCOUNT_ID}:stack/{stack_name}/{STACK_UUID}",
            "AWS::Region": "eu-central-1",
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
    )

    class _Known(dict[str, str]):
        def __missing__(self, key: str) -> str:
            raise _Unresolvable(key)  # a resource's physical id: not a name the template chooses

    def no_attributes(logical: str, attribute: str) -> str:
        raise _Unresolvable(f"{logical}.{attribute}")

    return Resolver(_Known(known), no_attributes)


def _subschema(schema: dict[str, Any], node: dict[str, Any], key: str) -> dict[str, Any] | None:
    while "$ref" in node:
        node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    found: dict[str, Any] | None = node.get("properties", {}).get(key)
    while found is not None and "$ref" in found:
        found = schema["definitions"][found["$ref"].rsplit("/", 1)[-1]]
    return found


def _limited_strings(stack_name: str) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(resource, property path, resolved value, its limits) for every string property the schema limits."""
    resolve = _resolver(stack_name)
    for logical, resource in _transformed()["Resources"].items():
        kind = resource["Type"]
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
        stack: list[tuple[str, Any, dict[str, Any]]] = [("", resource.get("Properties", {}), schema)]
        while stack:
            path, value, node = stack.pop()
            for key, item in value.items():
                sub = _subschema(schema, node, key)
                where = f"{path}.{key}" if path else key
                if sub is None:
                    continue
                if isinstance(item, dict) and not any(k == "Ref" or k.startswith("Fn::") for k in item):
                    stack.append((where, item, sub))
                    continue
                limits = {k: sub[k] for k in ("maxLength", "minLength", "pattern") if k in sub}
                if (kind, where) in DOCUMENTED_LIMITS:
                    limits["maxLength"] = DOCUMENTED_LIMITS[(kind, where)]
                if not limits:
                    continue
                try:
                    resolved = resolve(item)
                except _Unresolvable:
                    continue
                if isinstance(resolved, str):
                    yield logical, where, resolved, limits


def _violations(value: str, limits: dict[str, Any]) -> list[str]:
    found = []
    if len(value) > limits.get("maxLength", len(value)):
        found.append(f"{len(value)} characters > {limits['maxLength']}")
    if len(value) < limits.get("minLength", 0):
        found.append(f"{len(value)} characters < {limits['minLength']}")
    pattern = limits.get("pattern")
    if pattern and re.search(pattern.replace("\\Z", "$"), value) is None:
        found.append(f"does not match {pattern}")
    return found


@pytest.mark.parametrize("stack_name", STACK_NAMES, ids=["1-char", "128-chars", "sg-prefixed"])
def test_every_name_the_template_gives_fits_aws_limits_for_any_stack_name(stack_name: str) -> None:
    checked = list(_limited_strings(stack_name))
    assert {(logical, where) for logical, where, _, _ in checked} >= LIMITED_NAMES
    bad = [
        f"{logical}.{where} = {value!r}: {'; '.join(problems)}"
        for logical, where, value, limits in checked
        if (problems := _violations(value, limits))
    ]
    assert not bad, "names AWS would refuse:\n" + "\n".join(bad)


def test_names_limited_to_64_characters_are_derived_from_the_stack_id_not_its_name() -> None:
    values = {(lo, wh): v for lo, wh, v, _ in _limited_strings(STACK_NAMES[1])}
    assert values[("ControlCenterFunction", "Name")] == "p2p-1c2fa620-control-center"
    assert values[("ReconcileSchedule", "Name")] == "p2p-1c2fa620-reconcile"
    assert values[("ReconcileStateMachine", "StateMachineName")] == "p2p-1c2fa620-reconcile"
    assert values[("ScheduledCheckStateMachine", "StateMachineName")] == "p2p-1c2fa620-check"
    assert values[("ConfigEditPipe", "Name")] == "p2p-1c2fa620-config-edit"


def test_handlers_and_policies_name_the_resources_the_template_creates() -> None:
    resolve = _resolver(STACK_NAMES[1])
    transformed = _transformed()["Resources"]
    machine = resolve(transformed["ReconcileStateMachine"]["Properties"]["StateMachineName"])
    check = resolve(transformed["ScheduledCheckStateMachine"]["Properties"]["StateMachineName"])
    schedule = resolve(transformed["ReconcileSchedule"]["Properties"]["Name"])
    function = resolve(transformed["ControlCenterFunction"]["Properties"]["Name"])
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert resolve(env["P2P_SCHEDULE_NAME"]) == schedule
    assert resolve(env["P2P_CONTROL_CENTER_FUNCTION"]) == function
    outputs = TEMPLATE["Outputs"]
    assert resolve(outputs["ScheduleName"]["Value"]) == schedule
    assert resolve(outputs["ControlCenterFunctionName"]["Value"]) == function
    by_name = (":stateMachine:", ":schedule/")  # ARNs built from a name (a reference would make a cycle)
    arns = [
        resolve(s["Resource"])
        for r in RESOURCES.values()
        for s in _statements(r)
        if "Fn::Sub" in s.get("Resource", {}) and any(part in str(s["Resource"]) for part in by_name)
    ]
    assert f"arn:aws:states:eu-central-1:{ACCOUNT_ID}:stateMachine:{machine}" in arns
    assert f"arn:aws:states:eu-central-1:{ACCOUNT_ID}:stateMachine:{check}" in arns  # the schedule's target
    assert f"arn:aws:scheduler:eu-central-1:{ACCOUNT_ID}:schedule/default/{schedule}" in arns
    named = (f":stateMachine:{machine}", f":stateMachine:{check}", f"/{schedule}")
    assert all(arn.endswith(named) for arn in arns), arns


def _statements(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    policies = [p for p in resource.get("Properties", {}).get("Policies", []) if isinstance(p, dict)]
    documents = [p.get("PolicyDocument", p) for p in policies]
    documents = [d for d in documents if "Statement" in d]
    for document in documents:
        yield from document["Statement"]


# ---------------------------------------------------------------- names the code gives in every region

LAUNCH_TEMPLATE_NAME = re.compile(r"^[a-zA-Z0-9().\-/_]{3,128}$")
# cfn-lint's E1153 pattern for security group names
SECURITY_GROUP_NAME = re.compile(r"^[a-zA-Z0-9 \._\-:\/()#\,@\[\]+=&;\{\}!\$\*]{1,255}$")
AUTO_SCALING_GROUP_NAME = re.compile(r"^[\x21-\x39\x3b-\x7e]{1,255}$")  # printable ASCII but ':'
LOG_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")


@pytest.mark.parametrize("stack_name", STACK_NAMES, ids=["1-char", "128-chars", "sg-prefixed"])
def test_the_names_the_reconciler_gives_fit_aws_limits_for_any_stack_name(stack_name: str) -> None:
    assert LAUNCH_TEMPLATE_NAME.match(names.launch_template_name(stack_name))
    group = names.security_group_name(stack_name)
    assert SECURITY_GROUP_NAME.match(group) and not group.lower().startswith("sg-"), group
    assert AUTO_SCALING_GROUP_NAME.match(names.agents_name(stack_name))
    log_group = names.agents_log_group(stack_name)
    assert LOG_GROUP_NAME.match(log_group)
    assert log_group.startswith(f"/p2p/{stack_name}/")  # what template.yaml grants the agents and the reconciler


def test_names_that_fit_are_kept_and_long_ones_stay_unique_per_stack() -> None:
    assert names.launch_template_name("p2p-it") == "p2p-it-agents"
    assert names.security_group_name("p2p-it") == "p2p-it-agents"
    assert names.security_group_name("sg-fleet") == "p2p-sg-fleet-agents"
    first, second = "P" + "x" * 127, "P" + "x" * 126 + "y"
    assert names.launch_template_name(first) != names.launch_template_name(second)
    assert names.launch_template_name(first).endswith("-agents")
    assert len(names.launch_template_name(first)) == names.LAUNCH_TEMPLATE_NAME_LIMIT


def test_the_code_defaults_are_the_template_defaults() -> None:
    assert PARAMETERS["MaxConcurrency"]["Default"] == MAX_CONCURRENCY == Deployment().max_concurrency
    assert PARAMETERS["LeaseSeconds"]["Default"] == LEASE_SECONDS == Deployment().lease_seconds
    assert PlanResult(run_id="r", nothing_to_do=True).max_concurrency == MAX_CONCURRENCY
