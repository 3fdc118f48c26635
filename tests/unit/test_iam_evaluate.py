"""The emulator's IAM policy evaluation, rule by rule as AWS documents it (emulator/iam/evaluate.py)."""

from __future__ import annotations

from typing import Any

import pytest

from p2p_emulator.iam.evaluate import Request, arn_match, decide

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


def tagging(tag_keys: list[str] | None) -> Request:
    return Request("ec2:CreateTags", "*", {} if tag_keys is None else {"aws:TagKeys": tag_keys})


def test_for_all_values_with_a_negated_operator_holds_when_no_value_is_any_of_the_policys() -> None:
    none_reserved = allow(**{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["p2p:stack", "p2p:region"]}})
    assert allowed([none_reserved], tagging(["Name", "owner"]))
    assert not allowed([none_reserved], tagging(["Name", "p2p:stack"]))  # one value is in the set
    assert allowed([none_reserved], tagging(["Name", "p2p:Stack"]))  # StringNotEquals is case-sensitive
    assert allowed([none_reserved], tagging([]))  # an empty key: true, as AWS documents
    assert allowed([none_reserved], tagging(None))  # a missing key: true


def test_for_any_value_with_a_negated_operator_holds_when_one_value_matches_none_of_the_policys() -> None:
    something_else = allow(**{"ForAnyValue:StringNotLike": {"aws:TagKeys": ["p2p:*", "Name"]}})
    assert allowed([something_else], tagging(["p2p:stack", "owner"]))  # owner matches neither pattern
    assert not allowed([something_else], tagging(["p2p:stack", "Name"]))
    assert not allowed([something_else], tagging([]))  # an empty key: false
    assert not allowed([something_else], tagging(None))  # a missing key: false, even negated


def test_for_any_value_if_exists_holds_for_a_missing_key_and_set_operators_of_a_negated_ignore_case() -> None:
    statement = allow(**{"ForAnyValue:StringNotEqualsIgnoreCaseIfExists": {"aws:TagKeys": ["NAME"]}})
    assert allowed([statement], tagging(None))
    assert not allowed([statement], tagging(["name"]))
    assert allowed([statement], tagging(["name", "owner"]))


def test_a_negated_operator_with_several_values_holds_only_when_the_value_is_none_of_them() -> None:
    statement = allow(StringNotEquals={"aws:RequestedRegion": ["us-east-1", "eu-central-1"]})
    assert not allowed([statement], Request("ec2:CreateVpc", "*", {"aws:RequestedRegion": "eu-central-1"}))
    assert allowed([statement], Request("ec2:CreateVpc", "*", {"aws:RequestedRegion": "sa-east-1"}))
    assert allowed([statement], Request("ec2:CreateVpc", "*"))  # absent key: negated operators hold


ACCOUNT_CONTEXT = {"aws:PrincipalAccount": "123456789012", "aws:RequestedRegion": "eu-central-1"}
PARAM = "arn:aws:ssm:eu-central-1:123456789012:parameter/p2p/deploy-key"
OWN_PARAMS = "arn:aws:ssm:${aws:RequestedRegion}:${aws:PrincipalAccount}:parameter/p2p/*"


@pytest.mark.parametrize(
    ("resource", "arn", "matches"),
    [
        (OWN_PARAMS, PARAM, True),
        (OWN_PARAMS, PARAM.replace("eu-central-1", "us-east-1"), False),
        ("arn:aws:ssm:*:*:parameter/${aws:username}/*", PARAM, False),  # a role has no aws:username
        ("arn:aws:ssm:*:*:parameter/${aws:username, 'p2p'}/*", PARAM, True),  # its default
        ("arn:aws:ssm:*:*:parameter/${ AWS:USERNAME , 'p2p' }/deploy-key", PARAM, True),  # spaces, any case
        ("arn:aws:ssm:*:*:parameter/p2p/deploy${*}", PARAM, False),  # ${*} is a literal *, no wildcard
        ("arn:aws:ssm:*:*:parameter/p2p/deploy-key${?}", PARAM, False),
        ("arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team, 'it''s'}", "arn:aws:ssm:r:1:parameter/it's", True),
        ("arn:aws:ssm:*:*:parameter/${$}{x}", "arn:aws:ssm:r:1:parameter/${x}", True),  # ${$}: a literal $
    ],
)
def test_policy_variables_in_resources(resource: str, arn: str, matches: bool) -> None:
    assert allowed([allow("ssm:GetParameter", resource)], Request("ssm:GetParameter", arn, ACCOUNT_CONTEXT)) is matches


def test_a_literal_wildcard_from_an_escape_matches_only_itself() -> None:
    statement = allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/a${*}b")
    assert allowed([statement], Request("ssm:GetParameter", "arn:aws:ssm:r:1:parameter/a*b"))
    assert not allowed([statement], Request("ssm:GetParameter", "arn:aws:ssm:r:1:parameter/axyzb"))


def test_a_variables_value_is_never_a_wildcard_nor_substituted_again() -> None:
    statement = allow("ec2:CreateVpc", StringLike={"aws:RequestTag/owner": "${aws:username}"})
    starred = {"aws:username": "*", "aws:RequestTag/owner": "alice"}
    assert allowed([statement], Request("ec2:CreateVpc", "*", {**starred, "aws:RequestTag/owner": "*"}))
    assert not allowed([statement], Request("ec2:CreateVpc", "*", starred))
    again = allow("ec2:CreateVpc", StringEquals={"aws:RequestTag/owner": "${aws:username, '${aws:PrincipalAccount}'}"})
    literal_default = {"aws:PrincipalAccount": "1", "aws:RequestTag/owner": "${aws:PrincipalAccount}"}
    assert allowed([again], Request("ec2:CreateVpc", "*", literal_default))


def test_policy_variables_in_condition_values() -> None:
    same_account = allow(StringEquals={"aws:ResourceAccount": "${aws:PrincipalAccount}"})
    assert allowed(
        [same_account], Request("ec2:CreateVpc", "*", {**ACCOUNT_CONTEXT, "aws:ResourceAccount": "123456789012"})
    )
    assert not allowed([same_account], Request("ec2:CreateVpc", "*", {**ACCOUNT_CONTEXT, "aws:ResourceAccount": "1"}))
    own_team = allow(StringEquals={"aws:RequestTag/team": "${aws:PrincipalTag/team}"})
    assert allowed(
        [own_team], Request("ec2:CreateVpc", "*", {"aws:PrincipalTag/team": "p2p", "aws:RequestTag/team": "p2p"})
    )
    # no principal tag and no default: the statement cannot be resolved and does not apply, even negated
    not_team = allow(StringNotEquals={"aws:RequestTag/team": "${aws:PrincipalTag/team}"})
    assert not allowed([own_team], Request("ec2:CreateVpc", "*", {"aws:RequestTag/team": "p2p"}))
    assert not allowed([not_team], Request("ec2:CreateVpc", "*", {"aws:RequestTag/team": "p2p"}))


def test_a_role_principal_brings_its_account_and_arn_but_no_username() -> None:
    from p2p_emulator.iam.enforce import Principal, Statement, evaluate

    role = Principal("fn", "arn:aws:iam::123456789012:role/p2p-PlanRole", [])
    key = "arn:aws:ssm:eu-central-1:123456789012:parameter/x"
    own = Statement("own", allow("ssm:GetParameter", "arn:aws:ssm:*:${aws:PrincipalAccount}:parameter/*"))
    by_name = Statement("by-name", allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/${aws:username}"))
    assert evaluate(Principal(role.function_name, role.role_arn, [own]), Request("ssm:GetParameter", key)).allowed
    assert not evaluate(
        Principal(role.function_name, role.role_arn, [by_name]), Request("ssm:GetParameter", key)
    ).allowed


def test_an_operator_the_emulator_cannot_evaluate_denies_and_says_so() -> None:
    statement = allow(DateGreaterThan={"aws:CurrentTime": "2020-01-01T00:00:00Z"})
    decision = decide(
        [("dated", statement)], Request("ec2:CreateVpc", "*", {"aws:CurrentTime": "2026-01-01T00:00:00Z"})
    )
    assert not decision.allowed
    assert "cannot evaluate condition operator 'DateGreaterThan'" in decision.reason
