"""The `world` fixture deploys the stack once per test process and restores the saved account before each test
(emulator/p2p_emulator/snapshot.py): a test never sees another test's leftovers.

One world changes everything a test can change — a run builds five regions, a config edit, a fault hook, a client
hook, every emulator switch, a revoked IAM statement, the schedule, the control center's code, resources of
services and regions the deploy never used, a new region's instance type offerings — and the next world finds the
account exactly as the first world found it, read through the APIs and the emulator's own state.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from p2p_emulator import handler_clients, shims
from p2p_emulator.iam import ENFORCER
from p2p_emulator.seed import ami_parameters, seed_account_trail
from p2p_emulator.shims import clock, consistency, lambda_concurrency, launches, quotas, refresh, zones
from p2p_emulator.shims.images import AGENT_TYPES
from p2p_emulator.world import FIVE_REGIONS, HOME, Deployed, WorkflowWorld, deployed_world, restored_world

NEW_REGION = "ap-south-1"  # no test world used it at the deploy
NEW_OFFERINGS_REGION = "mx-central-1"  # moto offers none of the agent types there


def account(world: WorkflowWorld) -> dict[str, Any]:
    """What a test could find in the account and the emulator, read back (ids, items, settings)."""
    clients, stack = world.clients, world.stack
    seen: dict[str, Any] = {}
    fresh = clients.client("ec2", NEW_REGION).describe_vpcs()["Vpcs"]  # a region never saved: made anew each time
    seen["new region"] = (
        sorted((v["CidrBlock"], v["IsDefault"]) for v in fresh),
        clients.client("logs", NEW_REGION).describe_log_groups()["logGroups"],
    )
    for region in FIVE_REGIONS:
        ec2 = clients.client("ec2", region)
        seen[f"{region}/ec2"] = (
            sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
            sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
            sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
            sorted(t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"]),
            ec2.describe_internet_gateways()["InternetGateways"],
            ec2.describe_launch_templates()["LaunchTemplates"],
            ec2.describe_instances()["Reservations"],
            sorted(o["InstanceType"] for o in ec2.describe_instance_type_offerings()["InstanceTypeOfferings"]),
        )
        autoscaling = clients.client("autoscaling", region)
        seen[f"{region}/autoscaling"] = (
            autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"],
            autoscaling.describe_scheduled_actions()["ScheduledUpdateGroupActions"],
        )
        seen[f"{region}/logs"] = clients.client("logs", region).describe_log_groups()["logGroups"]
        ssm = clients.client("ssm", region)
        seen[f"{region}/ssm"] = (
            ssm.get_parameters(Names=sorted(ami_parameters()))["Parameters"],
            ssm.describe_parameters()["Parameters"],
        )
    db = world.db
    seen["tables"] = {t: db.scan(TableName=t)["Items"] for t in db.list_tables()["TableNames"]}
    seen["executions"] = [
        world.sfn.list_executions(stateMachineArn=m["stateMachineArn"])["executions"]
        for m in world.sfn.list_state_machines()["stateMachines"]
    ]
    schedule = clients.client("scheduler", HOME).get_schedule(Name=stack.schedule_name, GroupName=stack.schedule_group)
    seen["schedule"] = {k: schedule[k] for k in ("ScheduleExpression", "State", "Target")}
    seen["control center"] = world.live_code()
    seen["queues"] = clients.client("sqs", HOME).list_queues().get("QueueUrls", [])
    seen["subscriptions"] = clients.client("sns", HOME).list_subscriptions()["Subscriptions"]
    seen["rules"] = clients.client("events", HOME).list_rules()["Rules"]
    seen["buckets"] = sorted(b["Name"] for b in clients.client("s3", HOME).list_buckets()["Buckets"])
    seen["trails"] = clients.client("cloudtrail", HOME).describe_trails()["trailList"]
    seen["emulator"] = {
        "principals": {name: [s.name for s in p.statements] for name, p in ENFORCER.principals.items()},
        "denials": list(ENFORCER.denials),
        "client hooks": [h for h in handler_clients._hooks if getattr(h[1], "__self__", None) is not world],
        "fault hooks": list(shims._faults),
        "unseen uses": consistency._uses,
        "disabled": shims.disabled_regions(),
        "quotas": (dict(quotas._quotas), quotas._applied[0]),
        "launch failures": dict(launches._failing),
        "refresh pace": refresh._pace,
        "lambda concurrency": lambda_concurrency.lambda_concurrency(),
        "clock": clock._offset,
        "aws events": shims.aws_events.aws_events_enabled(),
    }
    return seen


def change_everything(world: WorkflowWorld) -> None:
    """Everything the integration tests change, and more."""
    world.put_config(regions=FIVE_REGIONS, desired_capacity=2, start_time="2020-01-01T00:00:00Z", run_duration=None)
    assert world.run("everything").status == "SUCCEEDED"
    clients = world.clients
    clients.client("ec2", NEW_REGION).create_vpc(CidrBlock="10.9.0.0/16")
    clients.client("logs", NEW_REGION).create_log_group(logGroupName="/made/by/hand")
    clients.client("ssm", HOME).put_parameter(Name="/made/by/hand", Value="x", Type="String")
    world.put_raw_config({"regions": ["nowhere-1"]})
    scheduler = clients.client("scheduler", HOME)
    current = scheduler.get_schedule(Name=world.stack.schedule_name, GroupName=world.stack.schedule_group)
    fields = ("Name", "GroupName", "ScheduleExpression", "FlexibleTimeWindow", "Target")
    scheduler.update_schedule(**{k: current[k] for k in fields}, State="DISABLED")
    cloudfront = clients.client("cloudfront", "us-east-1")
    function = cloudfront.describe_function(Name=world.stack.control_center_function, Stage="DEVELOPMENT")
    cloudfront.update_function(
        Name=world.stack.control_center_function,
        IfMatch=function["ETag"],
        FunctionConfig={"Comment": "by hand", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=b"function handler(event) { return event.request; }",
    )
    etag = cloudfront.describe_function(Name=world.stack.control_center_function, Stage="DEVELOPMENT")["ETag"]
    cloudfront.publish_function(Name=world.stack.control_center_function, IfMatch=etag)
    queue = clients.client("sqs", HOME).create_queue(QueueName="by-hand")["QueueUrl"]
    topic = clients.client("sns", HOME).list_topics()["Topics"][0]["TopicArn"]
    arn = clients.client("sqs", HOME).get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    clients.client("sns", HOME).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
    clients.client("events", HOME).put_rule(Name="by-hand", EventPattern='{"source": ["p2p"]}')
    seed_account_trail(clients, HOME)  # a bucket (S3's names are global) and a trail
    shims.set_aws_events(True)
    ENFORCER.revoke("ReconcileRegionsPolicy/CreateInOwnVpc")
    handler_clients.add_client_hook("before-call", lambda **_: None)  # never removed
    shims.add_fault(lambda logical, event: None)  # never cleared
    shims.eventual_consistency(uses=3)
    shims.disable_regions(["ap-east-1"])
    shims.set_quota(HOME, 8)
    shims.quotas_applied(False)
    shims.fail_launches(HOME)
    shims.refresh_pace(None)
    shims.set_lambda_concurrency(3)
    clock.advance_clock(timedelta(hours=2))
    assert shims.complete_instance_type_offerings([NEW_OFFERINGS_REGION]) == [NEW_OFFERINGS_REGION]
    zones.add_local_zone("eu-central-1-ham-1a", HOME, "euc1-ham1-az1")


def test_the_next_world_finds_the_account_the_last_world_changed_as_deployed(
    deployed: Deployed,
) -> None:
    with restored_world(deployed) as first:
        before = account(first)
        offerings = first.clients.client("ec2", NEW_OFFERINGS_REGION).describe_instance_type_offerings()
        change_everything(first)
        assert account(first) != before
    with restored_world(deployed) as second:
        after = account(second)
        assert after.keys() == before.keys()
        for key in before:
            assert after[key] == before[key], key
        again = second.clients.client("ec2", NEW_OFFERINGS_REGION).describe_instance_type_offerings()
        assert again["InstanceTypeOfferings"] == offerings["InstanceTypeOfferings"]
        assert not {o["InstanceType"] for o in again["InstanceTypeOfferings"]} >= set(AGENT_TYPES)
        assert second.run("after").status == "SUCCEEDED"  # the stack itself still works


def test_a_world_after_a_fresh_deploy_in_the_same_process_is_still_the_saved_stack(
    deployed: Deployed,
) -> None:
    with restored_world(deployed) as first:
        before = account(first)
    with deployed_world(stack_name="p2p-other") as other:  # moto's own reset wipes every backend
        assert other.stack.config_table != deployed.stack.config_table
    with restored_world(deployed) as second:
        assert account(second) == before
        assert second.run("after").status == "SUCCEEDED"
