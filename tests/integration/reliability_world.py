"""What the reliability tests share: faults injected into the handlers' AWS calls, the lease item, resource counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from p2p_core import MANAGED_TAG, STACK_TAG
from p2p_core.aws.clients import ClientFactory, is_mutating
from p2p_core.storage.lease import LEASE_KEY
from p2p_core.workflow.runtime import clients_for
from p2p_emulator.handler_clients import add_client_hook, remove_client_hook
from p2p_emulator.world import WorkflowWorld

Hook = Callable[..., Any]
# a fresh region: VPC, IGW + attach, 3 subnets + 3 public-IP switches, route table + route + 3 associations,
# security group + ingress, log group + retention, launch template, ASG (created at capacity, with its tags)
# 20 for IPv4 alone; dual stack adds AssignIpv6AddressOnCreation per subnet (3) and the ::/0 route; a region
# other than the home one adds its drift-event rule and the rule's target (the template's DriftRule covers home)
FRESH_REGION_MUTATIONS = 26
HOME_REGION_MUTATIONS = FRESH_REGION_MUTATIONS - 2


def fresh_mutations(region: str, home: str = "eu-central-1") -> int:
    """The mutating calls that provision `region` from nothing (the home region has no drift-event rule)."""
    return HOME_REGION_MUTATIONS if region == home else FRESH_REGION_MUTATIONS


class RawBody:
    """The raw body botocore reads an HTTP response from: for hooks that answer instead of AWS."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class Crash(Exception):
    """Stands in for the Lambda dying (timeout, OOM) in the middle of a region's reconcile."""


def handler_clients(world: WorkflowWorld, function: str = "ReconcileRegionFunction") -> ClientFactory:
    """The client factory the in-process handler of `function` (a logical id) uses."""
    return clients_for(world.stack.functions[function].deployment)


@contextmanager
def hooked(world: WorkflowWorld, hook: Hook, event: str = "before-call") -> Iterator[None]:
    """`hook` on every handler client (made now or later) for the duration of the block."""
    add_client_hook(event, hook)
    try:
        yield
    finally:
        remove_client_hook(event, hook)


@contextmanager
def edited_once_the_lease_is_taken(world: WorkflowWorld, **config: Any) -> Iterator[None]:
    """The config is edited (`config`) right after the next run's Plan read it and as it takes the lease: that
    edit's own run would find the lease taken, so only the follow-up run of the one holding it applies it."""
    edited: list[bool] = []

    def edit_once(params: dict[str, Any], **_: Any) -> None:
        if params.get("Item", {}).get("pk") == {"S": LEASE_KEY} and not edited:
            edited.append(True)
            world.put_config(**config)

    with hooked(world, edit_once, "before-parameter-build.dynamodb.PutItem"):
        yield


def failing(region: str, operation: str, code: str, message: str = "injected") -> Hook:
    """A before-call hook: `operation` in `region` answers with the AWS error `code` (after botocore's retries)."""

    def hook(model: Any, context: dict[str, Any], **_: Any) -> None:
        if context.get("client_region") == region and model.name == operation:
            raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

    return hook


def lease_item(world: WorkflowWorld) -> dict[str, Any] | None:
    found = world.db.get_item(TableName=world.stack.config_table, Key={"pk": {"S": LEASE_KEY}}, ConsistentRead=True)
    item: dict[str, Any] | None = found.get("Item")
    return item


def put_lease(world: WorkflowWorld, owner: str, expires: datetime) -> dict[str, Any]:
    """The lease item exactly as `Lease.acquire` writes it, left behind by a run that never released it."""
    item = {
        "pk": {"S": LEASE_KEY},
        "owner": {"S": owner},
        "expires_at": {"N": str(int(expires.timestamp()))},
        "acquired_at": {"S": (expires - timedelta(minutes=15)).isoformat()},
    }
    world.db.put_item(TableName=world.stack.config_table, Item=item)
    return item


def managed_resources(world: WorkflowWorld, region: str) -> dict[str, list[str]]:
    """Ids of everything tagged as managed by the deployed stack in `region`, by kind (unhooked clients)."""
    managed = [
        {"Name": f"tag:{STACK_TAG}", "Values": [world.stack.stack_name]},
        {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]},
    ]
    ec2 = world.clients.client("ec2", region)
    autoscaling = world.clients.client("autoscaling", region)
    logs = world.clients.client("logs", region)
    return {
        "vpc": [v["VpcId"] for v in ec2.describe_vpcs(Filters=managed)["Vpcs"]],
        "igw": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways(Filters=managed)["InternetGateways"]],
        "subnet": [s["SubnetId"] for s in ec2.describe_subnets(Filters=managed)["Subnets"]],
        "route_table": [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=managed)["RouteTables"]],
        "security_group": [g["GroupId"] for g in ec2.describe_security_groups(Filters=managed)["SecurityGroups"]],
        "launch_template": [
            t["LaunchTemplateId"] for t in ec2.describe_launch_templates(Filters=managed)["LaunchTemplates"]
        ],
        "log_group": [
            g["logGroupName"]
            for g in logs.describe_log_groups(logGroupNamePrefix=f"/p2p/{world.stack.stack_name}/")["logGroups"]
        ],
        "asg": [
            g["AutoScalingGroupName"]
            for g in autoscaling.describe_auto_scaling_groups(Filters=managed)["AutoScalingGroups"]
        ],
    }


def counts(resources: dict[str, list[str]]) -> dict[str, int]:
    return {kind: len(ids) for kind, ids in resources.items()}


def region_result(world: WorkflowWorld, region: str) -> Any:
    last = world.status().last_run
    assert last is not None
    found = [r for r in last.regions if r.region == region]
    assert len(found) == 1, last.regions
    return found[0]


def crash_after(region: str, k: int) -> tuple[Hook, list[str]]:
    """An after-call hook: right after the k-th mutating call in `region` took effect, raise Crash.

    Error answers (a NotFound while AWS propagates a new resource) changed nothing and are not counted.
    """
    done: list[str] = []

    def hook(model: Any, context: dict[str, Any], http_response: Any, **_: Any) -> None:
        if context.get("client_region") == region and is_mutating(model.name) and http_response.status_code < 300:
            done.append(model.name)
            if len(done) == k:
                raise Crash(f"crashed after mutating call {k} ({model.name})")

    return hook, done
