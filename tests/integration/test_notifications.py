"""SPEC §11 events through the real ASL and handlers: each is received by a rule with an SQS target on the
home region's default bus, as an operator's own rule would receive it (moto delivers rule targets to SQS)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from p2p_core.notifications import AGENTS_MISSING, DRIFT_REPAIRED, QUOTA_LOW, REGION_DEGRADED, RUN_FINISHED, SOURCE
from p2p_emulator import shims
from p2p_emulator.shims import quotas
from p2p_emulator.world import HOME, WorkflowWorld
from p2pctl.runs import wait_run
from tests.integration.test_workflow import RUNNING

SHORT = "sa-east-1"
TWO = ["eu-central-1", SHORT]


class Inbox:
    """An SQS queue behind a rule that matches every event the control plane publishes."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs", region_name=HOME)
        self.url = self.sqs.create_queue(QueueName="p2p-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = boto3.client("events", region_name=HOME)
        events.put_rule(Name="p2p-events-to-sqs", EventPattern=json.dumps({"source": [SOURCE]}))
        events.put_targets(Rule="p2p-events-to-sqs", Targets=[{"Id": "queue", "Arn": arn}])

    def received(self) -> list[dict[str, Any]]:
        events = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def of(self, detail_type: str) -> list[dict[str, Any]]:
        return [e["detail"] for e in self.received() if e["detail-type"] == detail_type]


def test_a_run_that_builds_regions_publishes_run_finished_with_the_regions_by_outcome(world: WorkflowWorld) -> None:
    inbox = Inbox()
    world.put_config(**{**RUNNING, "regions": TWO})
    assert world.run("first").status == "SUCCEEDED"
    events = inbox.received()
    assert [(e["source"], e["detail-type"]) for e in events] == [(SOURCE, RUN_FINISHED)]
    detail = events[0]["detail"]
    assert detail["status"] == "ok" and detail["severity"] == "info"
    assert detail["regions"] == {"ok": TWO} and detail["stack"] == world.stack.stack_name
    assert detail["summary"] == "run ok: 2 ok"


def test_a_no_op_run_publishes_nothing(world: WorkflowWorld) -> None:
    world.put_config(**{**RUNNING, "regions": ["eu-central-1"]})
    assert world.run("first").status == "SUCCEEDED"
    inbox = Inbox()
    assert world.run("again").status == "SUCCEEDED"
    assert inbox.received() == []


def test_failing_launches_publish_region_degraded_with_aws_reason(world: WorkflowWorld) -> None:
    inbox = Inbox()
    world.put_config(**{**RUNNING, "regions": TWO})
    shims.fail_launches(SHORT, "InsufficientInstanceCapacity")
    assert world.run("degraded").status == "SUCCEEDED"
    events = inbox.received()
    finished = [e["detail"] for e in events if e["detail-type"] == RUN_FINISHED]
    degraded = [e["detail"] for e in events if e["detail-type"] == REGION_DEGRADED]
    assert [(d["status"], d["severity"]) for d in finished] == [("degraded", "warning")]
    assert [(d["region"], d["severity"]) for d in degraded] == [(SHORT, "warning")]
    assert "sufficient t3.micro capacity" in degraded[0]["reason"]


def test_a_rule_opened_by_hand_is_repaired_and_published_as_drift_made_outside_the_control_plane(
    world: WorkflowWorld,
) -> None:
    world.put_config(**{**RUNNING, "regions": ["eu-central-1"]})
    assert world.run("first").status == "SUCCEEDED"
    ec2 = boto3.client("ec2", region_name="eu-central-1")
    group = ec2.describe_security_groups(Filters=[{"Name": "tag:p2p:managed", "Values": ["true"]}])["SecurityGroups"]
    ec2.authorize_security_group_ingress(
        GroupId=group[0]["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    inbox = Inbox()
    assert world.run("repair").status == "SUCCEEDED"
    repaired = inbox.of(DRIFT_REPAIRED)
    assert [(d["region"], d["cause"], d["severity"]) for d in repaired] == [
        ("eu-central-1", "changed outside the control plane", "warning")
    ]
    assert any("22" in drift for drift in repaired[0]["drifts"]), repaired[0]["drifts"]


def test_a_fleet_over_the_vcpu_quota_publishes_quota_low_once_per_change(world: WorkflowWorld) -> None:
    inbox = Inbox()
    quotas.set_quota("eu-central-1", 4)  # t3.micro: 2 vCPUs each
    world.put_config(**{**RUNNING, "regions": ["eu-central-1"], "desired_capacity": 3})
    assert world.run("over").status == "SUCCEEDED"
    low = inbox.of(QUOTA_LOW)
    assert [(d["region"], d["needed_vcpus"], d["quota_vcpus"], d["severity"]) for d in low] == [
        ("eu-central-1", 6, 4.0, "error")
    ]
    assert world.run("still-over").status == "SUCCEEDED"
    assert inbox.of(QUOTA_LOW) == []  # nothing changed: no second message


def test_warnings_reach_the_alarm_topic_as_one_readable_line_and_successes_do_not(world: WorkflowWorld) -> None:
    """The template's NotificationRule (severity warning or error) delivers to the alarm topic, whose e-mail
    subscription people read; here an SQS subscription stands in for the e-mail."""
    sqs = boto3.client("sqs", region_name=HOME)
    url = sqs.create_queue(QueueName="alarm-mail")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=HOME).subscribe(
        TopicArn=world.stack.outputs["AlarmTopicArn"], Protocol="sqs", Endpoint=queue
    )
    world.put_config(**{**RUNNING, "regions": ["eu-central-1"]})
    assert world.run("first").status == "SUCCEEDED"
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []  # an ok run is not news to people
    shims.fail_launches(SHORT, "InsufficientInstanceCapacity")
    world.put_config(**{**RUNNING, "regions": TWO})
    assert world.run("degraded").status == "SUCCEEDED"
    lines = sorted(
        json.loads(m["Body"])["Message"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    )
    stack = world.stack.stack_name
    assert lines[0].startswith(f"p2p {stack}: Region Degraded: {SHORT}: launches fail: instances below desired")
    assert lines[1] == f"p2p {stack}: Run Finished: run degraded: 1 degraded"


def test_the_fleet_agents_missing_alarm_becomes_an_agents_missing_event(world: WorkflowWorld) -> None:
    """The alarm's state change (AWS puts it on the default bus) runs the template's relay, which publishes
    `Agents Missing` as the control plane's own event: once for the change to ALARM, none for the way back."""
    inbox = Inbox()
    cloudwatch = boto3.client("cloudwatch", region_name=HOME)
    (alarm,) = [a for a in cloudwatch.describe_alarms()["MetricAlarms"] if "FleetAgentsMissing" in a["AlarmName"]]
    reason = "Threshold Crossed: 2 datapoints were greater than or equal to the threshold (1.0)."
    cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="ALARM", StateReason=reason)
    cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="OK", StateReason="back")
    relay = [m for m in world.sfn.list_state_machines()["stateMachines"] if m["name"].endswith("-agents-missing")]
    (started,) = world.sfn.list_executions(stateMachineArn=relay[0]["stateMachineArn"])["executions"]
    assert wait_run(world.sfn, started["executionArn"], timeout=60).status == "SUCCEEDED"  # EventBridge runs it
    missing = inbox.of(AGENTS_MISSING)
    assert [(d["stack"], d["severity"], d["alarm"], d["reason"]) for d in missing] == [
        (world.stack.stack_name, "warning", alarm["AlarmName"], reason)
    ]
    assert "p2pctl fleet" in missing[0]["summary"]
