"""Rules match events as EventBridge does (p2p_emulator/shims/event_patterns.py, event_targets.py): each case puts
one event on a bus whose rule sends what it matches to a queue, and reads the queue."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

from p2p_core.aws.clients import ClientFactory
from p2p_emulator import shims
from p2p_emulator.shims.aws_events import put_aws_event
from p2p_emulator.world import EMULATOR_CONFIG, emulated_environment
from tests.integration.test_aws_events import ACCOUNT, DRIFT_PATTERN, STACK_ROLE, queue_rule, received

REGION = "eu-central-1"
Matches = Callable[[dict[str, Any], str, dict[str, Any]], bool]


@pytest.fixture
def matches() -> Iterator[Matches]:
    """`matches(pattern, detail_type, detail)`: whether a rule with `pattern` delivers an aws.ec2 event."""
    with emulated_environment(), mock_aws(config=EMULATOR_CONFIG):
        shims.install()
        clients = ClientFactory()

        def deliver(pattern: dict[str, Any], detail_type: str, detail: dict[str, Any]) -> bool:
            queue = queue_rule(
                clients,
                REGION,
                f"rule-{len(clients.client('sqs', REGION).list_queues().get('QueueUrls', []))}",
                pattern,
            )
            put_aws_event(ACCOUNT, REGION, "aws.ec2", detail_type, detail, [])
            return bool(received(clients, queue, REGION))

        yield deliver


def cloudtrail(**identity: Any) -> dict[str, Any]:
    return {"eventSource": "ec2.amazonaws.com", "readOnly": False, "userIdentity": identity}


def assumed(role_arn: str) -> dict[str, Any]:
    return {"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn}}}


API_CALL = "AWS API Call via CloudTrail"


@pytest.mark.parametrize(
    ("detail_type", "detail", "expected"),
    [
        (API_CALL, cloudtrail(type="IAMUser"), True),  # the operator
        (API_CALL, cloudtrail(type="Root"), True),
        (API_CALL, cloudtrail(**assumed(f"arn:aws:iam::{ACCOUNT}:role/Admin")), True),  # someone else's role
        (API_CALL, cloudtrail(**assumed(STACK_ROLE)), False),  # the control plane's own role
        (API_CALL, cloudtrail(type="AWSService"), False),
        (API_CALL, cloudtrail(), False),  # no userIdentity.type: anything-but matches no missing field
        (API_CALL, {**cloudtrail(type="IAMUser"), "readOnly": True}, False),
        (API_CALL, {**cloudtrail(type="IAMUser"), "readOnly": 0}, False),  # a number is no boolean
        (API_CALL, {**cloudtrail(type="IAMUser"), "eventSource": "s3.amazonaws.com"}, False),
        ("EC2 Instance Launch Unsuccessful", {"AutoScalingGroupName": "agents-eu"}, True),  # prefix
        ("EC2 Instance Launch Unsuccessful", {"AutoScalingGroupName": "other"}, False),
        ("EC2 Spot Instance Interruption Warning", {"instance-id": "i-1"}, True),
        ("EC2 Instance State-change Notification", {"state": "running"}, False),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_the_drift_pattern(matches: Matches, detail_type: str, detail: dict[str, Any], expected: bool) -> None:
    assert matches(DRIFT_PATTERN, detail_type, detail) is expected


@pytest.mark.parametrize(
    ("pattern", "detail", "expected"),
    [
        ({"detail": {"count": [{"exists": False}]}}, {}, True),
        ({"detail": {"count": [{"exists": False}]}}, {"count": {"nested": 1}}, True),  # exists looks at leaves only
        ({"detail": {"count": [{"exists": True}]}}, {}, False),
        ({"detail": {"count": [{"exists": True}]}}, {"count": None}, True),
        ({"detail": {"flag": [True]}}, {"flag": 1}, False),
        ({"detail": {"count": [1]}}, {"count": True}, False),
        ({"detail": {"count": [1]}}, {"count": 1}, True),
        ({"detail": {"state": [{"anything-but": ["a", "b"]}]}}, {"state": "c"}, True),
        ({"detail": {"state": [{"anything-but": ["a", "b"]}]}}, {"state": "a"}, False),
        ({"detail": {"state": [{"anything-but": ["a", "b"]}]}}, {}, False),
        ({"detail": {"state": ["a"]}}, {"state": ["b", "a"]}, True),  # an event array matches on any element
    ],
)
def test_pattern_filters(matches: Matches, pattern: dict[str, Any], detail: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, "Test", detail) is expected


def test_a_disabled_rule_and_a_schedule_rule_match_no_event() -> None:
    with emulated_environment(), mock_aws(config=EMULATOR_CONFIG):
        shims.install()
        clients = ClientFactory()
        events = clients.client("events", REGION)
        disabled = queue_rule(clients, REGION, "disabled", {"source": ["aws.ec2"]})
        events.disable_rule(Name="disabled")
        scheduled = queue_rule(clients, REGION, "scheduled", {"source": ["aws.ec2"]})
        events.put_rule(Name="scheduled", ScheduleExpression="rate(5 minutes)")  # replaces the pattern
        put_aws_event(ACCOUNT, REGION, "aws.ec2", "Test", {"x": 1}, [])
        assert received(clients, disabled, REGION) == [] and received(clients, scheduled, REGION) == []
        assert [len(events.list_targets_by_rule(Rule=r)["Targets"]) for r in ("disabled", "scheduled")] == [1, 1]
        assert json.loads(events.describe_rule(Name="disabled")["EventPattern"]) == {"source": ["aws.ec2"]}


def test_an_input_transformer_quotes_a_string_outside_quotes_and_escapes_one_inside() -> None:
    with emulated_environment(), mock_aws(config=EMULATOR_CONFIG):
        shims.install()
        clients = ClientFactory()
        sfn, events = clients.client("stepfunctions", REGION), clients.client("events", REGION)
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
        machine = sfn.create_state_machine(
            name="check", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/check"
        )["stateMachineArn"]
        events.put_rule(Name="drift", EventPattern=json.dumps({"source": ["aws.ec2"]}))
        transformer = {
            "InputPathsMap": {
                "region": "$.region",
                "summary": "$.detail.summary",
                "missing": "$.detail.nothing",
                "time": "$.time",
            },
            "InputTemplate": '{"source": "drift-event", "region": <region>, "text": "in <region>: <summary>", '
            '"missing": <missing>, "time": <time>}',
        }
        events.put_targets(Rule="drift", Targets=[{"Id": "check", "Arn": machine, "InputTransformer": transformer}])
        put_aws_event(ACCOUNT, REGION, "aws.ec2", "Test", {"summary": 'port "22" opened'}, [])
        put_aws_event(ACCOUNT, REGION, "aws.ec2", "Test", {"summary": "again"}, [])

        runs = sfn.list_executions(stateMachineArn=machine)["executions"]
        assert len({run["name"] for run in runs if run["name"]}) == 2  # each start named anew, as EventBridge does
        given = [json.loads(sfn.describe_execution(executionArn=run["executionArn"])["input"]) for run in runs]
        expected = {
            "source": "drift-event",
            "region": REGION,
            "text": f'in {REGION}: port "22" opened',
            "missing": None,
        }
        assert expected in [{k: v for k, v in one.items() if k != "time"} for one in given]
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", one["time"]) for one in given)  # AWS's form
