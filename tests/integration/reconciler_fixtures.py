"""A moto world for reconciler tests: several regions, seeded AMI parameters, and a call recorder.

Calls are recorded at `before-parameter-build`, which fires once per API call (not per retry) and
sees the API parameters, so tests can assert on every StartTime sent and inject failures.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from p2p_core import MANAGED_TAG, STACK_TAG
from p2p_core.aws.clients import ClientFactory, is_mutating
from p2p_core.config import ConfigItem, parse_config
from p2p_core.models.deployment import Deployment
from p2p_core.models.observed import Observed
from p2p_core.models.plan import Plan
from p2p_core.models.results import RegionResult
from p2p_core.planner import plan
from p2p_core.reconciler import observe_region, reconcile_region
from p2p_core.wanted import BuildInputs
from p2p_emulator import shims
from p2p_emulator.seed import seed_ami_parameters

ACCOUNT_ID = "123456789012"  # moto's default account
REGIONS = ["ap-southeast-2", "eu-central-1", "us-east-1"]
# what one healthy region holds with the default config (az_number 3, logs on), instances aside
ONE_FLEET = {
    "vpc": 1,
    "igw": 1,
    "subnet": 3,
    "route_table": 1,
    "security_group": 1,
    "launch_template": 1,
    "log_group": 1,
    "asg": 1,
}
STACK = "p2p-test"
USER_DATA = "#!/bin/bash\necho agent\n"
MANAGED = [{"Name": f"tag:{STACK_TAG}", "Values": [STACK]}, {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]


def security_rules(permissions: list[dict[str, Any]]) -> set[tuple[str, int | None, int | None, str]]:
    """IpPermissions as (protocol, from, to, peer) per peer: a group id, an IPv4 or an IPv6 CIDR."""
    rules = set()
    for perm in permissions:
        ports = (perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"))
        peers = [p["GroupId"] for p in perm.get("UserIdGroupPairs", [])]
        peers += [r["CidrIp"] for r in perm.get("IpRanges", [])] + [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
        rules |= {(*ports, peer) for peer in peers}
    return rules


class Interrupted(Exception):
    """Stands in for a Lambda timeout or crash in the middle of a run."""


@dataclass(frozen=True)
class Call:
    """One API call as the client made it."""

    region: str
    operation: str
    params: dict[str, Any]


def make_config(**fields: Any) -> ConfigItem:
    """A config over the test regions; start passed by default so agents run now."""
    base: dict[str, Any] = {"regions": REGIONS, "desired_capacity": 2, "start_time": "2020-01-01T00:00:00Z"}
    base["run_duration"] = None
    return parse_config(base | fields)


def client_error(code: str, operation: str, message: str = "injected") -> ClientError:
    """A ClientError as botocore raises it."""
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class World:
    """Runs observe → plan → reconcile like the workflow, recording every API call."""

    def __init__(self) -> None:
        session = boto3.Session()  # its clients copy its handlers: every call is recorded
        session.events.register("before-parameter-build", self._record)
        session.events.register("after-call", self._answered)
        self.clients = ClientFactory(session=session)
        self.deployment = Deployment(
            stack_name=STACK,
            home_region="eu-central-1",
            drift_forward_role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{STACK}-DriftForwardRole-X1",
            drift_own_roles=[f"arn:aws:iam::{ACCOUNT_ID}:role/{STACK}-ReconcileRegionFunctionRole-X2"],
            drift_rule_name="p2p-0a1b2c3d-drift",
        )
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.calls: list[Call] = []
        self.trap: Callable[[Call], None] | None = None
        self.after_call: Callable[..., None] | None = None  # sees each answer (after-call), e.g. to crash after it
        self.managed_regions: set[str] = set()

    def _answered(self, **kwargs: Any) -> None:
        if self.after_call is not None:
            self.after_call(**kwargs)

    def _record(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        call = Call(context["client_region"], model.name, dict(params))
        self.calls.append(call)
        if self.trap is not None:
            self.trap(call)

    def mutating(self, region: str | None = None) -> list[str]:
        """Names of the mutating calls made (in one region, or all)."""
        return [c.operation for c in self.calls if is_mutating(c.operation) and region in (None, c.region)]

    def sent(self, operation: str) -> list[dict[str, Any]]:
        """Parameters of every call of `operation`."""
        return [c.params for c in self.calls if c.operation == operation]

    def observe(self, config: ConfigItem) -> Observed:
        """Every selected or previously managed region, observed."""
        regions = sorted(set(config.selected_regions()) | self.managed_regions)
        seen = {r: observe_region(self.clients, self.deployment, config, r) for r in regions}
        return Observed(regions=seen, managed_regions=sorted(self.managed_regions))

    def plan(self, config: ConfigItem, now: datetime | None = None) -> Plan:
        """The planner's answer for the world as it is."""
        build = BuildInputs(
            stack=STACK,
            user_data=USER_DATA,
            instance_profile_arn=self.deployment.instance_profile_arn,
            drift=self.deployment.drift_routing(),
        )
        return plan(config, self.observe(config), now or self.now, build=build)

    def run(
        self, config: ConfigItem, now: datetime | None = None, crashed: dict[str, Exception] | None = None
    ) -> dict[str, RegionResult]:
        """One workflow run: reconcile every drifted region; the call log starts afresh. With `crashed`, a region's
        reconcile that raises is recorded there and the others go on (the workflow's Map runs each on its own)."""
        self.calls.clear()
        now = now or self.now
        run_id = f"run-{uuid.uuid4().hex[:8]}"  # each run its own idempotency tokens, as each execution
        results = {}
        for step in self.plan(config, now).drifted:
            self.managed_regions.add(step.region)
            try:
                result = reconcile_region(
                    self.clients, self.deployment, config, step, user_data=USER_DATA, now=now, run_id=run_id
                )
            except Exception as exc:
                if crashed is None:
                    raise
                crashed[step.region] = exc
                continue
            if result.decommissioned:
                self.managed_regions.discard(step.region)
            results[step.region] = result
        return results

    @contextmanager
    def interrupt_after(self, mutations: int) -> Iterator[None]:
        """Raise Interrupted at the mutating call after the first `mutations` ones."""
        done = 0

        def trap(call: Call) -> None:
            nonlocal done
            if is_mutating(call.operation):
                if done >= mutations:
                    raise Interrupted(f"after {mutations} mutating calls, before {call.operation}")
                done += 1

        with self._trapped(trap):
            yield

    @contextmanager
    def failing(self, region: str, operation: str, code: str, message: str = "injected") -> Iterator[None]:
        """`operation` in `region` answers with the AWS error `code`."""

        def trap(call: Call) -> None:
            if call.region == region and call.operation == operation:
                raise client_error(code, operation, message)

        with self._trapped(trap):
            yield

    @contextmanager
    def _trapped(self, trap: Callable[[Call], None]) -> Iterator[None]:
        self.trap = trap
        try:
            yield
        finally:
            self.trap = None


@contextmanager
def aws_world() -> Iterator[World]:
    """A fresh moto account with AMI parameters seeded in every test region."""
    with pytest.MonkeyPatch.context() as env:
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.setenv(key, "testing")
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            shims.install()
            shims.reset_behaviours()  # the default account: eventual consistency on, a Local Zone in us-east-1
            for region in REGIONS:
                seed_ami_parameters(ClientFactory(), region, dict(shims.UBUNTU_IMAGES))
            yield World()


def managed_resources(region: str) -> dict[str, list[str]]:
    """Ids of everything tagged as managed by the test stack in `region`, by kind (unhooked clients)."""
    ec2, asg = boto3.client("ec2", region), boto3.client("autoscaling", region)
    logs = boto3.client("logs", region)
    instances = ec2.describe_instances(Filters=[*MANAGED, {"Name": "instance-state-name", "Values": ["running"]}])
    return {
        "vpc": [v["VpcId"] for v in ec2.describe_vpcs(Filters=MANAGED)["Vpcs"]],
        "igw": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways(Filters=MANAGED)["InternetGateways"]],
        "subnet": [s["SubnetId"] for s in ec2.describe_subnets(Filters=MANAGED)["Subnets"]],
        "route_table": [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=MANAGED)["RouteTables"]],
        "security_group": [g["GroupId"] for g in ec2.describe_security_groups(Filters=MANAGED)["SecurityGroups"]],
        "launch_template": [
            t["LaunchTemplateId"] for t in ec2.describe_launch_templates(Filters=MANAGED)["LaunchTemplates"]
        ],
        "log_group": [
            g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=f"/p2p/{STACK}/")["logGroups"]
        ],
        "asg": [
            g["AutoScalingGroupName"] for g in asg.describe_auto_scaling_groups(Filters=MANAGED)["AutoScalingGroups"]
        ],
        "instance": [i["InstanceId"] for r in instances["Reservations"] for i in r["Instances"]],
    }


def later(world: World, **delta: float) -> datetime:
    """A moment after the world's now."""
    return world.now + timedelta(**delta)
