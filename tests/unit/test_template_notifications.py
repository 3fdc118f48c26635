"""template.yaml delivers the workflow's warning and error events to people: the alarm topic always, a webhook
when NotificationWebhookUrl is set; the functions that publish may put events on the default bus only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from p2p_core.notifications import SOURCE
from p2p_emulator.template import load_template, without_absent

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
DEFAULTS = {n: str(p.get("Default", "")) for n, p in TEMPLATE["Parameters"].items()}
WEBHOOK_PARTS = {"WebhookRule", "NotificationConnection", "NotificationDestination", "NotificationRole"}


def present(**parameters: str) -> set[str]:
    values = {**DEFAULTS, **parameters, "AWS::Region": "eu-central-1", "AWS::StackName": "p2p"}
    return set(without_absent(TEMPLATE, values)["Resources"])


def test_warnings_and_errors_go_to_the_alarm_topic_as_one_line() -> None:
    rule = RESOURCES["NotificationRule"]["Properties"]
    assert rule["EventPattern"] == {"source": [SOURCE], "detail": {"severity": ["warning", "error"]}}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": "AlarmTopic"}
    assert target["InputTransformer"]["InputTemplate"] == '"p2p <stack>: <type>: <summary>"'


def test_the_webhook_exists_only_when_its_url_is_given() -> None:
    assert not WEBHOOK_PARTS & present()
    assert present(NotificationWebhookUrl="https://hooks.slack.com/services/T0/B0/x") >= WEBHOOK_PARTS


def test_the_webhook_gets_slack_shaped_json_through_a_role_that_may_only_invoke_it() -> None:
    (target,) = RESOURCES["WebhookRule"]["Properties"]["Targets"]
    assert target["InputTransformer"]["InputTemplate"] == '{"text": "p2p <stack>: <type>: <summary>"}'
    (policy,) = RESOURCES["NotificationRole"]["Properties"]["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "events:InvokeApiDestination",
            "Resource": {"Fn::GetAtt": ["NotificationDestination", "Arn"]},
        }
    ]


def test_the_alarm_topic_takes_events_only_from_the_notification_rule() -> None:
    statements = RESOURCES["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    events = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert [s["Condition"] for s in events] == [
        {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["NotificationRule", "Arn"]}}}
    ]


def test_plan_and_finalize_may_put_events_on_the_default_bus_only() -> None:
    bus = {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}
    for function in ("PlanFunction", "FinalizeFunction"):
        statements = [
            s
            for p in RESOURCES[function]["Properties"]["Policies"]
            if isinstance(p, dict) and "Statement" in p
            for s in p["Statement"]
            if "events:PutEvents" in str(s.get("Action"))
        ]
        assert [s["Resource"] for s in statements] == [bus], function
