"""AWS services' events in the emulated account: CloudTrail's records of write calls, Auto Scaling's launch
failures and EC2's Spot warnings reach the default bus, rules deliver them across regions as AWS does, and a
customer may not put an event with an AWS source (p2p_emulator/shims/cloudtrail.py, aws_events.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from p2p_core.aws.clients import ClientFactory
from p2p_core.drift_events import DriftRouting, drift_pattern
from p2p_core.models.deployment import Deployment
from p2p_emulator import handler_clients, iam, shims
from p2p_emulator.iam import sessions
from p2p_emulator.shims import aws_events
from p2p_emulator.world import EMULATOR_CONFIG, emulated_environment
from tests.integration.test_emulator_behaviours import new_group

ACCOUNT = "123456789012"
MANAGED, HOME = "us-east-1", "eu-central-1"
HOME_BUS = f"arn:aws:events:{HOME}:{ACCOUNT}:event-bus/default"
RELAY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/p2p-drift-relay"
STACK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/p2p-ReconcileRole"
DRIFT_PATTERN = {
    "source": ["aws.ec2", "aws.autoscaling", "aws.logs"],
    "$or": [
        {
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "eventSource": ["ec2.amazonaws.com", "autoscaling.amazonaws.com", "logs.amazonaws.com"],
                "readOnly": [False],
                "$or": [
                    {"userIdentity": {"type": [{"anything-but": ["AssumedRole", "AWSService"]}]}},
                    {
                        "userIdentity": {
                            "type": ["AssumedRole"],
                            "sessionContext": {"sessionIssuer": {"arn": [{"anything-but": [STACK_ROLE]}]}},
                        }
                    },
                ],
            },
        },
        {
            "detail-type": ["EC2 Instance Launch Unsuccessful"],
            "detail": {"AutoScalingGroupName": [{"prefix": "agents"}]},
        },
        {"detail-type": ["EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"]},
    ],
}


@pytest.fixture
def clients() -> Iterator[ClientFactory]:
    """A fresh emulated account with AWS's events on."""
    with emulated_environment(), mock_aws(config=EMULATOR_CONFIG):
        shims.install()
        shims.reset_behaviours()
        try:
            with shims.aws_events_emitted():
                yield ClientFactory()
        finally:
            shims.reset_behaviours()


def trail(clients: ClientFactory, region: str = HOME, multi_region: bool = True, logging: bool = True) -> Any:
    """A trail (and its bucket) in `region`; its CloudTrail client."""
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    clients.client("s3", region).create_bucket(Bucket="trail-logs", **where)
    cloudtrail = clients.client("cloudtrail", region)
    cloudtrail.create_trail(Name="account-trail", S3BucketName="trail-logs", IsMultiRegionTrail=multi_region)
    if logging:
        cloudtrail.start_logging(Name="account-trail")
    return cloudtrail


def relay_to_home_queue(clients: ClientFactory, pattern: dict[str, Any] = DRIFT_PATTERN) -> str:
    """The drift rule in MANAGED targeting HOME's default bus, and a rule there sending it to a queue; its URL."""
    managed = clients.client("events", MANAGED)
    managed.put_rule(Name="drift", EventPattern=json.dumps(pattern))
    managed.put_targets(Rule="drift", Targets=[{"Id": "home", "Arn": HOME_BUS, "RoleArn": RELAY_ROLE}])
    return queue_rule(clients, HOME, "drift-home", pattern)


def queue_rule(clients: ClientFactory, region: str, name: str, pattern: dict[str, Any]) -> str:
    """A rule on `region`'s default bus sending what it matches to a new queue there; the queue's URL."""
    events, sqs = clients.client("events", region), clients.client("sqs", region)
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    return str(queue)


def received(clients: ClientFactory, queue: str, region: str = HOME) -> list[dict[str, Any]]:
    messages = clients.client("sqs", region).receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def open_ssh(clients: ClientFactory) -> str:
    """What an operator does by hand: 22/tcp from anywhere on a security group in MANAGED; the group's id."""
    ec2 = clients.client("ec2", MANAGED)
    group = ec2.create_security_group(GroupName="fleet", Description="fleet")["GroupId"]
    ec2.describe_security_groups(GroupIds=[group])  # propagated
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[ssh])
    return str(group)


def ingress_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["detail"].get("eventName") == "AuthorizeSecurityGroupIngress"]


def test_an_operators_ingress_rule_reaches_the_home_bus_as_the_managed_regions_cloudtrail_event(
    clients: ClientFactory,
) -> None:
    trail(clients)
    queue = relay_to_home_queue(clients)
    group = open_ssh(clients)

    (event,) = ingress_events(received(clients, queue))
    assert (event["source"], event["detail-type"]) == ("aws.ec2", "AWS API Call via CloudTrail")
    assert (event["region"], event["account"]) == (MANAGED, ACCOUNT)  # the original event's, not the home bus's
    detail = event["detail"]
    assert detail["userIdentity"]["type"] == "IAMUser"
    assert detail["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/moto"
    assert (detail["eventSource"], detail["awsRegion"], detail["readOnly"]) == ("ec2.amazonaws.com", MANAGED, False)
    assert (detail["eventType"], detail["eventCategory"], detail["managementEvent"]) == (
        "AwsApiCall",
        "Management",
        True,
    )
    assert detail["recipientAccountId"] == ACCOUNT and "Boto3" in detail["userAgent"]
    assert detail["requestParameters"]["groupId"] == group
    (permission,) = detail["requestParameters"]["ipPermissions"]["items"]
    assert (permission["fromPort"], permission["ipRanges"]["items"]) == (22, [{"cidrIp": "0.0.0.0/0"}])
    assert detail["responseElements"]["return"] is True


def test_read_calls_make_no_event(clients: ClientFactory) -> None:
    trail(clients)
    queue = relay_to_home_queue(clients, {"source": ["aws.ec2"]})
    clients.client("ec2", MANAGED).describe_security_groups()
    clients.client("ec2", MANAGED).describe_vpcs()
    assert received(clients, queue) == []
    assert shims.cloudtrail.is_read_only("DescribeSecurityGroups") and not shims.cloudtrail.is_read_only("RunInstances")


def test_a_handlers_call_is_its_roles_assumed_session_and_the_drift_pattern_ignores_it(clients: ClientFactory) -> None:
    trail(clients)
    drift = relay_to_home_queue(clients)
    seen = queue_rule(
        clients, MANAGED, "seen", {"source": ["aws.ec2"], "detail": {"eventName": ["CreateSecurityGroup"]}}
    )
    function = "p2p-Reconcile"
    allow_all = iam.Statement("all", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    iam.enforce([iam.Principal(function, STACK_ROLE, [allow_all])])
    factory = handler_clients.adopt(Deployment(function_name=function))
    factory.client("ec2", MANAGED).create_security_group(GroupName="by-handler", Description="fleet")

    (event,) = received(clients, seen, MANAGED)
    identity = event["detail"]["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/p2p-ReconcileRole/{function}"
    issuer = identity["sessionContext"]["sessionIssuer"]
    assert (issuer["type"], issuer["arn"], issuer["userName"]) == ("Role", STACK_ROLE, "p2p-ReconcileRole")
    assert received(clients, drift) == []  # the control plane's own change is no drift


def test_an_agents_call_is_its_instance_roles_session(clients: ClientFactory) -> None:
    trail(clients)
    seen = queue_rule(clients, MANAGED, "seen", {"source": ["aws.logs"]})
    agent_role = f"arn:aws:iam::{ACCOUNT}:role/p2p-AgentRole"
    allow_all = iam.Statement("all", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    iam.instance_role(iam.Principal(iam.INSTANCE_ID, agent_role, [allow_all]), access_key_id="ASIAAGENTEXAMPLE")
    try:
        agent = boto3.client("logs", MANAGED, aws_access_key_id="ASIAAGENTEXAMPLE", aws_secret_access_key="x")
        agent.create_log_group(logGroupName="/p2p/agents")
    finally:
        sessions.forget("ASIAAGENTEXAMPLE")
    (event,) = received(clients, seen, MANAGED)
    identity = event["detail"]["userIdentity"]
    assert (identity["type"], identity["accessKeyId"]) == ("AssumedRole", "ASIAAGENTEXAMPLE")
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == agent_role
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/p2p-AgentRole/{iam.INSTANCE_ID}"
    assert event["detail"]["requestParameters"] == {"logGroupName": "/p2p/agents"}


def test_no_event_while_the_switch_is_off(clients: ClientFactory) -> None:
    trail(clients)
    queue = relay_to_home_queue(clients)
    shims.set_aws_events(False)
    open_ssh(clients)
    assert received(clients, queue) == []


def test_a_failed_launch_is_auto_scalings_launch_unsuccessful_event_with_no_trail(clients: ClientFactory) -> None:
    queue = relay_to_home_queue(clients)
    shims.fail_launches(MANAGED, "InsufficientInstanceCapacity")
    new_group(clients.client("ec2", MANAGED), 1)

    (event,) = received(clients, queue)
    assert (event["source"], event["detail-type"], event["region"]) == (
        "aws.autoscaling",
        "EC2 Instance Launch Unsuccessful",
        MANAGED,
    )
    detail = event["detail"]
    assert (detail["StatusCode"], detail["AutoScalingGroupName"]) == ("Failed", "agents")
    assert detail["StatusMessage"].startswith("We currently do not have sufficient t3.micro capacity")
    assert detail["Details"]["Availability Zone"] == f"{MANAGED}a" and detail["Details"]["Subnet ID"].startswith(
        "subnet-"
    )
    assert event["resources"][0].endswith(":autoScalingGroupName/agents")


def test_spot_warnings_reach_the_home_bus(clients: ClientFactory) -> None:
    queue = relay_to_home_queue(clients)
    shims.spot_interruption_warning(ACCOUNT, MANAGED, "i-0123456789abcdef0")
    shims.rebalance_recommendation(ACCOUNT, MANAGED, "i-0123456789abcdef0")
    events = received(clients, queue)
    assert sorted(e["detail-type"] for e in events) == [
        "EC2 Instance Rebalance Recommendation",
        "EC2 Spot Instance Interruption Warning",
    ]
    assert all(e["resources"] == [f"arn:aws:ec2:{MANAGED}:{ACCOUNT}:instance/i-0123456789abcdef0"] for e in events)


def test_a_customer_may_not_put_an_event_with_an_aws_source(clients: ClientFactory) -> None:
    queue = relay_to_home_queue(clients, {"source": ["aws.ec2", "my.app"]})
    entries = [
        {"Source": "aws.ec2", "DetailType": "AWS API Call via CloudTrail", "Detail": "{}", "EventBusName": HOME_BUS},
        {"Source": "my.app", "DetailType": "Custom", "Detail": "{}"},
    ]
    answer = clients.client("events", HOME).put_events(Entries=entries)
    assert answer["FailedEntryCount"] == 1
    assert {k: answer["Entries"][0][k] for k in ("ErrorCode", "ErrorMessage")} == aws_events.REFUSED_SOURCE
    assert "EventId" in answer["Entries"][1]
    assert [e["source"] for e in received(clients, queue)] == ["my.app"]


def test_the_drift_rule_takes_the_fleets_group_and_log_group_not_other_workloads(clients: ClientFactory) -> None:
    """Auto Scaling and Logs writes count only when they name the fleet's group or log group (drift_events.py):
    the emulator's CloudTrail events carry the request parameters the pattern reads."""
    trail(clients)
    routing = DriftRouting(
        home_region=HOME, forward_role_arn=RELAY_ROLE, own_roles=(STACK_ROLE,), rule_name="p2p-0a1b2c3d-drift"
    )
    drift = queue_rule(clients, MANAGED, "drift", drift_pattern("p2p", routing))
    autoscaling, logs = clients.client("autoscaling", MANAGED), clients.client("logs", MANAGED)
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="lc", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    for group in ("p2p-agents", "eks-nodes"):  # the fleet's, and a cluster autoscaler's
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=group, LaunchConfigurationName="lc", MinSize=0, MaxSize=4,
            AvailabilityZones=[f"{MANAGED}a"],
        )  # fmt: skip
        autoscaling.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=1)
    for group in ("/p2p/p2p/agents", "/aws/lambda/orders"):
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="2026/12/06")

    seen = {
        (e["detail"]["eventName"], json.dumps(e["detail"]["requestParameters"]))
        for e in received(clients, drift, MANAGED)
    }
    assert {name for name, _ in seen} == {
        "CreateAutoScalingGroup", "SetDesiredCapacity", "CreateLogGroup", "CreateLogStream"
    }  # fmt: skip
    assert not [params for _, params in seen if "eks-nodes" in params or "/aws/lambda/" in params]
    assert len(seen) == 4  # each of the fleet's, none of the others'
