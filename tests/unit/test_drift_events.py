"""Drift events (issue 26 §3): which events say a managed region was changed by hand, and the region's rule as a
managed resource (pure parts; the rule in AWS: tests/integration/test_drift_rules.py)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventPattern

from p2p_core.drift_events import DriftRouting, drift_pattern, normalized
from p2p_core.models.observed import ObservedDriftRule, ObservedRuleTarget
from p2p_core.resources.events_rule import differences, rule_of, wanted_rule
from p2p_core.storage.verified import VerificationStore
from p2p_core.verification import Verification
from p2p_core.wanted import BuildInputs
from p2p_emulator.shims.event_patterns import PATTERN_LIMIT  # AWS's quota, as the emulator enforces it

ACCOUNT = "123456789012"
RECONCILER = f"arn:aws:iam::{ACCOUNT}:role/p2p-ReconcileRegionFunctionRole-AB12"
AGENTS = f"arn:aws:iam::{ACCOUNT}:role/p2p-AgentRole-CD34"
SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
ROUTING = DriftRouting(
    home_region="eu-central-1",
    forward_role_arn=f"arn:aws:iam::{ACCOUNT}:role/p2p-DriftForwardRole-EF56",
    own_roles=(RECONCILER, AGENTS),
    rule_name="p2p-0a1b2c3d-drift",
)
BUILD = BuildInputs(stack="p2p", user_data="#!/bin/bash\n", drift=ROUTING)
PATTERN = EventPattern.load(json.dumps(drift_pattern("p2p", ROUTING)))


def api_call(event_name: str, identity: dict[str, Any], source: str = "ec2", **parameters: Any) -> dict[str, Any]:
    """An "AWS API Call via CloudTrail" event as EventBridge delivers it."""
    return {
        "source": f"aws.{source}",
        "detail-type": "AWS API Call via CloudTrail",
        "region": "us-east-1",
        "detail": {
            "eventSource": f"{source}.amazonaws.com",
            "eventName": event_name,
            "readOnly": False,
            "userIdentity": identity,
            "requestParameters": parameters,
        },
    }


def assumed(role: str) -> dict[str, Any]:
    return {"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role}}}


OPERATOR = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice"}
ADMIN = assumed(f"arn:aws:iam::{ACCOUNT}:role/admin")
LOG_GROUP = "/p2p/p2p/agents"  # the fleet's (stack "p2p")


@pytest.mark.parametrize(
    "event",
    [
        api_call("AuthorizeSecurityGroupIngress", OPERATOR),
        api_call("AuthorizeSecurityGroupIngress", {"type": "Root"}),
        api_call("UpdateAutoScalingGroup", ADMIN, "autoscaling", autoScalingGroupName="p2p-agents", maxSize=40),
        api_call("TerminateInstanceInAutoScalingGroup", OPERATOR, "autoscaling", instanceId="i-1"),
        api_call("DeleteLogGroup", assumed(f"arn:aws:iam::{ACCOUNT}:role/sso-admin"), "logs", logGroupName=LOG_GROUP),
        api_call("PutRetentionPolicy", OPERATOR, "logs", logGroupName=LOG_GROUP, retentionInDays=1),
        {
            "source": "aws.autoscaling",
            "detail-type": "EC2 Instance Launch Unsuccessful",
            "detail": {"AutoScalingGroupName": "p2p-agents", "StatusCode": "Failed"},
        },
        {
            "source": "aws.ec2",
            "detail-type": "EC2 Spot Instance Interruption Warning",
            "detail": {"instance-id": "i-1", "instance-action": "terminate"},
        },
        {"source": "aws.ec2", "detail-type": "EC2 Instance Rebalance Recommendation", "detail": {"instance-id": "i-1"}},
    ],
    ids=[
        "iam-user",
        "root",
        "another-role",
        "an-instance-of-the-group",
        "another-role-logs",
        "retention",
        "launch-failed",
        "spot-warning",
        "rebalance",
    ],
)
def test_hand_made_changes_and_the_fleets_own_trouble_are_drift_events(event: dict[str, Any]) -> None:
    assert PATTERN.matches_event(event)


@pytest.mark.parametrize(
    "event",
    [
        api_call("RevokeSecurityGroupIngress", assumed(RECONCILER)),  # the control plane repairing
        api_call("CreateLogStream", assumed(AGENTS), "logs"),  # an agent's CloudWatch agent
        api_call("RunInstances", assumed(SERVICE_ROLE)),  # Auto Scaling launching the group's instances
        {
            **api_call("DescribeSecurityGroups", OPERATOR),
            "detail": {**api_call("DescribeSecurityGroups", OPERATOR)["detail"], "readOnly": True},
        },
        api_call("PutObject", OPERATOR, "s3"),  # not a service the fleet lives in
        # another workload of the account: a cluster autoscaler's group, a Lambda function's log stream
        api_call("SetDesiredCapacity", ADMIN, "autoscaling", autoScalingGroupName="eks-nodes", desiredCapacity=3),
        api_call("CreateLogStream", ADMIN, "logs", logGroupName="/aws/lambda/orders", logStreamName="2026/12/06"),
        api_call("PutRetentionPolicy", OPERATOR, "logs", logGroupName="/p2p/p2p/agents-old", retentionInDays=1),
        {
            "source": "aws.autoscaling",
            "detail-type": "EC2 Instance Launch Unsuccessful",
            "detail": {"AutoScalingGroupName": "someone-elses-group"},
        },
    ],
    ids=[
        "reconciler",
        "agents",
        "auto-scaling",
        "read-only",
        "other-service",
        "other-workloads-group",
        "other-workloads-logs",
        "another-log-group",
        "other-group",
    ],
)
def test_the_control_planes_own_work_and_other_things_are_not(event: dict[str, Any]) -> None:
    assert not PATTERN.matches_event(event)


def test_the_pattern_fits_eventbridges_quota_for_the_longest_stack_and_role_names() -> None:
    longest = DriftRouting(
        home_region="ap-southeast-2",
        forward_role_arn=f"arn:aws-us-gov:iam::{ACCOUNT}:role/{'f' * 64}",
        own_roles=(f"arn:aws-us-gov:iam::{ACCOUNT}:role/{'r' * 64}", f"arn:aws-us-gov:iam::{ACCOUNT}:role/{'a' * 64}"),
        rule_name="p2p-0a1b2c3d-drift",
    )
    pattern = drift_pattern("s" * 128, longest)  # CloudFormation's longest stack name
    assert len(json.dumps(pattern)) <= PATTERN_LIMIT  # as the rule sends it, and spaced
    assert PATTERN.matches_event(api_call("CreateTags", OPERATOR)) and not PATTERN.matches_event({"source": "aws.ec2"})


def test_every_region_but_the_home_one_delivers_to_the_home_bus_through_the_forward_role() -> None:
    want = wanted_rule(BUILD, "us-east-1")
    assert want is not None and want.name == "p2p-0a1b2c3d-drift" and want.state == "ENABLED"
    assert want.targets == [
        ObservedRuleTarget(
            target_id="home-bus",
            arn=f"arn:aws:events:eu-central-1:{ACCOUNT}:event-bus/default",
            role_arn=ROUTING.forward_role_arn,
        )
    ]
    assert wanted_rule(BUILD, "eu-central-1") is None  # the template's DriftRule covers the home region
    assert wanted_rule(BUILD.model_copy(update={"drift": None}), "us-east-1") is None
    assert ROUTING.ignored_callers() == sorted([AGENTS, RECONCILER, SERVICE_ROLE])


def _seen(**changes: Any) -> ObservedDriftRule:
    want = wanted_rule(BUILD, "us-east-1")
    assert want is not None
    return want.model_copy(update=changes)


def test_the_rule_differs_in_operator_words() -> None:
    want = wanted_rule(BUILD, "us-east-1")
    name = "drift-event rule p2p-0a1b2c3d-drift"
    assert differences(want, _seen(), managed=True) == []
    assert differences(want, None, managed=True) == [f"{name}: gone"]
    assert differences(want, _seen(state="DISABLED"), managed=True) == [f"{name}: disabled, want enabled"]
    assert differences(want, _seen(pattern={"source": ["aws.ec2"]}), managed=True) == [
        f"{name}: its pattern was changed"
    ]
    assert differences(want, _seen(targets=[]), managed=True) == [
        f"{name}: delivers to nothing, want arn:aws:events:eu-central-1:{ACCOUNT}:event-bus/default"
    ]
    home = differences(None, _seen(), managed=True)
    assert home == [f"{name}: not wanted in the home region (the stack's DriftRule covers it)"]
    assert differences(want, None, managed=False) == []  # a deployment without drift routing leaves rules alone


def test_a_pattern_read_back_compares_equal_whatever_the_order_of_its_lists() -> None:
    want = wanted_rule(BUILD, "us-east-1")
    assert want is not None and want.pattern is not None
    shuffled = json.loads(json.dumps(want.pattern))
    shuffled["source"].reverse()
    raw = {
        "Name": want.name,
        "State": "ENABLED",
        "EventPattern": json.dumps(shuffled),
        "Targets": [{"Id": "home-bus", "Arn": want.targets[0].arn, "RoleArn": want.targets[0].role_arn}],
    }
    assert differences(want, rule_of(raw), managed=True) == []
    assert normalized(shuffled) == normalized(want.pattern)
    assert rule_of({**raw, "EventPattern": "not json"}).pattern is None


def _verification(at: str = "2026-12-06T10:00:00Z") -> Verification:
    return Verification.model_validate({"at": at, "fingerprint": "f", "config_digest": "d", "phase": "running"})


@mock_aws
def test_regions_named_by_drift_events_are_not_verified_until_a_run_settles_them_and_later_ones_stay_named() -> None:
    db = boto3.client("dynamodb", "eu-central-1")
    db.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store = VerificationStore(db, "t")
    store.save({"us-east-1": _verification(), "eu-central-1": _verification()})

    def named(region: str) -> None:  # the scheduled check's NameTheRegion
        db.update_item(
            TableName="t",
            Key={"pk": {"S": "status#verified"}},
            UpdateExpression="ADD drift_regions :region SET drift_window = if_not_exists(drift_window, :me)",
            ExpressionAttributeValues={":region": {"SS": [region]}, ":me": {"S": "check-1"}},
        )

    named("us-east-1")
    assert set(store.load()) == {"eu-central-1"} and store.drift_seen and store.drift_window == "check-1"
    named("ap-south-1")  # after this run loaded: not settled by its save
    store.save({"us-east-1": _verification("2026-12-06T11:00:00Z"), "eu-central-1": _verification()})
    again = VerificationStore(db, "t")
    assert set(again.load()) == {"us-east-1", "eu-central-1"}
    assert again.drift_pending() == ["ap-south-1"] and again.drift_window is None
    again.save(again.load())
    assert VerificationStore(db, "t").drift_pending() == []
