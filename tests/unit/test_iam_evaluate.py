"""The emulator's IAM policy evaluation, rule by rule as AWS documents it (emulator/iam/evaluate.py)."""

from __future__ import annotations

from typing import Any

import pytest

from p2pctl.emulator.iam.evaluate import Request, arn_match, decide

VPC = "arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-1"
SUBNET_NEW = "arn:aws:ec2:eu-central-1:123456789012:subnet/*"


def allowed(statements: list[dict[str, Any]], request: Request) -> bool:
    return decide([(f"s{i}", s) for i, s in enumerate(statements)], request).allowed


def allow(action: Any = "ec2:*", resource: Any = "*", **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def test_nothing_allows_by_default_and_the_reason_names_the_action() -> None:
    decision = decide([], Request("ec2:CreateVpc", "*"))
    assert not decision.allowed
    assert decision.reason == "no identity-based policy allows the ec2:CreateVpc action"


def test_an_explicit_deny_wins_over_any_allow() -> None:
    statements = [allow(), {"Effect": "Deny", "Action": "ec2:DeleteVpc", "Resource": "*"}]
    decision = decide([("allow", statements[0]), ("deny", statements[1])], Request("ec2:DeleteVpc", VPC))
    assert not decision.allowed
    assert decision.reason == "explicitly denied by deny"
    assert allowed(statements, Request("ec2:CreateVpc", VPC))


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("ec2:*", "ec2:CreateVpc", True),
        ("EC2:createvpc", "ec2:CreateVpc", True),  # actions are case-insensitive
        ("ec2:Describe*", "ec2:DescribeVpcs", True),
        ("ec2:Describe*", "ec2:CreateVpc", False),
        ("ec2:Create?pc", "ec2:CreateVpc", True),
        ("autoscaling:*", "ec2:CreateVpc", False),
    ],
)
def test_action_wildcards(pattern: str, action: str, matches: bool) -> None:
    assert allowed([allow(pattern)], Request(action, "*")) is matches


def test_not_action_allows_everything_else() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert allowed([statement], Request("ec2:CreateVpc", "*"))
    assert not allowed([statement], Request("iam:PassRole", "*"))


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        ("*", VPC, True),
        ("arn:aws:ec2:*:123456789012:vpc/*", VPC, True),
        ("arn:aws:ec2:*:123456789012:subnet/*", VPC, False),
        ("arn:aws:ec2:*:999999999999:vpc/*", VPC, False),
        ("arn:aws:ec2:*:123456789012:vpc/*", SUBNET_NEW, False),
        ("arn:aws:ec2:*:123456789012:subnet/*", SUBNET_NEW, True),
        (
            "arn:aws:ssm:*::parameter/aws/service/canonical/ubuntu/*",
            "arn:aws:ssm:eu-central-1::parameter/aws/service/canonical/ubuntu/server/x",
            True,
        ),
        (
            "arn:aws:logs:*:123456789012:log-group:/p2p/s/*",
            "arn:aws:logs:eu-central-1:123456789012:log-group:/p2p/s/agents",
            True,
        ),
        (
            "arn:aws:logs:*:123456789012:log-group:/p2p/s/*",
            "arn:aws:logs:eu-central-1:123456789012:log-group:/p2p/other/agents",
            False,
        ),
        # a wildcard does not cross ARN segments: the region segment cannot swallow the account
        ("arn:aws:ec2:*:vpc/*", VPC, False),
    ],
)
def test_resource_arns_match_segment_by_segment(pattern: str, arn: str, matches: bool) -> None:
    assert arn_match(pattern, arn) is matches


def test_not_resource_excludes() -> None:
    statement = {"Effect": "Allow", "Action": "ec2:*", "NotResource": "arn:aws:ec2:*:*:vpc/*"}
    assert not allowed([statement], Request("ec2:DeleteVpc", VPC))
    assert allowed([statement], Request("ec2:DeleteSubnet", "arn:aws:ec2:eu-central-1:123456789012:subnet/subnet-1"))


STACK = {"StringEquals": {"aws:RequestTag/p2p:stack": "p2p"}}


def test_string_equals_needs_the_key_present_with_the_value() -> None:
    statement = allow(**STACK)
    assert allowed([statement], Request("ec2:CreateVpc", "*", {"aws:RequestTag/p2p:stack": "p2p"}))
    assert not allowed([statement], Request("ec2:CreateVpc", "*", {"aws:RequestTag/p2p:stack": "other"}))
    # the VPC a subnet is created in carries no request tags: the condition is false for it
    assert not allowed([statement], Request("ec2:CreateSubnet", VPC, {"aws:ResourceTag/p2p:stack": "p2p"}))


def test_condition_key_names_are_case_insensitive() -> None:
    statement = allow(**STACK)
    assert allowed([statement], Request("ec2:CreateVpc", "*", {"AWS:requesttag/P2P:STACK": "p2p"}))


def test_negated_operators_are_true_when_the_key_is_absent() -> None:
    statement = allow(StringNotEquals={"aws:ResourceTag/owner": "someone-else"})
    assert allowed([statement], Request("ec2:DeleteVpc", VPC))
    assert not allowed([statement], Request("ec2:DeleteVpc", VPC, {"aws:ResourceTag/owner": "someone-else"}))


def test_if_exists_is_true_when_the_key_is_absent_and_checked_when_present() -> None:
    statement = allow(StringEqualsIfExists={"aws:ResourceTag/p2p:stack": "p2p"})
    assert allowed([statement], Request("ec2:DeleteVpc", VPC))
    assert allowed([statement], Request("ec2:DeleteVpc", VPC, {"aws:ResourceTag/p2p:stack": "p2p"}))
    assert not allowed([statement], Request("ec2:DeleteVpc", VPC, {"aws:ResourceTag/p2p:stack": "x"}))


def test_null_checks_presence() -> None:
    absent = allow(Null={"aws:RequestTag/p2p:stack": "true"})
    present = allow(Null={"aws:RequestTag/p2p:stack": "false"})
    tagged = Request("ec2:CreateVpc", "*", {"aws:RequestTag/p2p:stack": "p2p"})
    assert allowed([absent], Request("ec2:CreateVpc", "*")) and not allowed([absent], tagged)
    assert allowed([present], tagged) and not allowed([present], Request("ec2:CreateVpc", "*"))


def test_string_like_and_arn_like_use_wildcards() -> None:
    like = allow("iam:CreateServiceLinkedRole", StringLike={"iam:AWSServiceName": "autoscaling.*"})
    assert allowed(
        [like], Request("iam:CreateServiceLinkedRole", "*", {"iam:AWSServiceName": "autoscaling.amazonaws.com"})
    )
    assert not allowed([like], Request("iam:CreateServiceLinkedRole", "*", {"iam:AWSServiceName": "ec2.amazonaws.com"}))
    template = "arn:aws:ec2:eu-central-1:123456789012:launch-template/lt-1"
    arn_like = allow("ec2:RunInstances", ArnLike={"ec2:LaunchTemplate": "arn:aws:ec2:*:123456789012:launch-template/*"})
    assert allowed([arn_like], Request("ec2:RunInstances", "*", {"ec2:LaunchTemplate": template}))
    assert not allowed([arn_like], Request("ec2:RunInstances", "*"))
    equals = allow("ec2:RunInstances", ArnEquals={"ec2:LaunchTemplate": template})
    assert allowed([equals], Request("ec2:RunInstances", "*", {"ec2:LaunchTemplate": template}))


def test_bool_compares_true_and_false_as_text() -> None:
    statement = {
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": False}},
    }
    assert not allowed([allow("s3:*"), statement], Request("s3:GetObject", "*", {"aws:SecureTransport": "false"}))
    assert allowed([allow("s3:*"), statement], Request("s3:GetObject", "*", {"aws:SecureTransport": "true"}))


def test_several_values_are_alternatives_and_several_keys_must_all_hold() -> None:
    statement = allow(
        "ec2:CreateTags",
        StringEquals={"ec2:CreateAction": ["CreateVpc", "CreateSubnet"], "aws:RequestTag/p2p:stack": "p2p"},
    )
    ok = {"ec2:CreateAction": "CreateSubnet", "aws:RequestTag/p2p:stack": "p2p"}
    assert allowed([statement], Request("ec2:CreateTags", "*", ok))
    assert not allowed([statement], Request("ec2:CreateTags", "*", {**ok, "ec2:CreateAction": "CreateTags"}))
    assert not allowed([statement], Request("ec2:CreateTags", "*", {"ec2:CreateAction": "CreateSubnet"}))


def test_set_operators_on_tag_keys() -> None:
    only_ours = allow(**{"ForAllValues:StringEquals": {"aws:TagKeys": ["p2p:stack", "Name"]}})
    any_ours = allow(**{"ForAnyValue:StringEquals": {"aws:TagKeys": ["p2p:stack"]}})
    ours, mixed = ["Name", "p2p:stack"], ["p2p:stack", "owner"]
    assert allowed([only_ours], Request("ec2:CreateTags", "*", {"aws:TagKeys": ours}))
    assert not allowed([only_ours], Request("ec2:CreateTags", "*", {"aws:TagKeys": mixed}))
    assert allowed([any_ours], Request("ec2:CreateTags", "*", {"aws:TagKeys": mixed}))
    assert not allowed([any_ours], Request("ec2:CreateTags", "*", {"aws:TagKeys": ["owner"]}))
    assert not allowed([any_ours], Request("ec2:CreateTags", "*"))


def test_an_operator_the_emulator_cannot_evaluate_denies_and_says_so() -> None:
    statement = allow(DateGreaterThan={"aws:CurrentTime": "2020-01-01T00:00:00Z"})
    decision = decide(
        [("dated", statement)], Request("ec2:CreateVpc", "*", {"aws:CurrentTime": "2026-01-01T00:00:00Z"})
    )
    assert not decision.allowed
    assert "cannot evaluate condition operator 'DateGreaterThan'" in decision.reason
