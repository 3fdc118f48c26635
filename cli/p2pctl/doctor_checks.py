"""`p2pctl doctor`'s checks of the account and of each selected region, each ✓ / ⚠ / ✗ with the exact fix.

They read what `p2pctl regions` reads (preflight.py) and add what a first launch needs beyond it:
the AMI's public parameter, a free VPC slot, the Auto Scaling service-linked role, the account's
Lambda concurrency and, on Spot, the Spot vCPU quota.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core import STACK_TAG
from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem
from p2p_core.lambda_concurrency import (
    RECOMMENDED_CONCURRENCY,
    map_concurrency,
    needed_concurrency,
    read_account_concurrency,
)
from p2p_core.models.deployment import MAX_CONCURRENCY
from p2p_core.quota import HEADROOM_WARNING, ON_DEMAND_QUOTA, SPOT_QUOTA, ServiceQuota
from p2p_core.resources.template_content import ami_parameter
from p2pctl.preflight import AccountFacts, RegionFacts, why

Mark = Literal["ok", "warn", "fail"]
SYMBOLS: dict[Mark, str] = {"ok": "✓", "warn": "⚠", "fail": "✗"}
VPC_QUOTA = ServiceQuota(service_code="vpc", code="L-F678F1CE", name="VPCs per Region")
LAMBDA_QUOTA = ServiceQuota(service_code="lambda", code="L-B99A9384", name="Concurrent executions")
VPCS_BY_DEFAULT = 5
AUTOSCALING_ROLE = "AWSServiceRoleForAutoScaling"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    group: str
    name: str
    mark: Mark
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The row for `--json`."""
        return asdict(self)


def region_checks(clients: ClientFactory, config: ConfigItem, facts: AccountFacts, stack: str | None) -> list[Check]:
    """Per selected region: enabled, offerings, AMI, quota headroom, a VPC slot."""
    found = [_architecture(config, facts)]
    for row in (r for r in facts.regions if r.selected):
        if not row.enabled:
            fix = f"aws account enable-region --region-name {row.region}"
            found.append(Check(row.region, "enabled", "fail", f"{row.opt_status.lower()} in this account", fix))
            continue
        found.append(Check(row.region, "enabled", "ok", row.opt_status.lower()))
        found += [_offerings(config, row), _ami(clients, config, row.region), _quota(facts, row)]
        if config.instance.market == "spot":
            found.append(_spot_quota(facts, row))
        found.append(_vpc_slot(clients, row.region, stack))
    return found


def _architecture(config: ConfigItem, facts: AccountFacts) -> Check:
    kind, wanted = config.instance.type, config.instance.architecture
    if not facts.architectures:
        detail = "; ".join(facts.errors) or f"EC2 does not describe {kind}"
        return Check("account", "instance type", "fail", detail, "p2pctl config set instance.type t3.micro")
    if wanted not in facts.architectures:
        other = facts.architectures[0]
        detail = f"{kind} runs {', '.join(facts.architectures)}, not instance.architecture {wanted}"
        return Check("account", "instance type", "fail", detail, f"p2pctl config set instance.architecture {other}")
    return Check("account", "instance type", "ok", f"{kind}: {wanted}, {facts.vcpus_each} vCPUs")


def _offerings(config: ConfigItem, row: RegionFacts) -> Check:
    kind, wanted = config.instance.type, config.network.az_number
    if row.zones is None:
        return Check(row.region, "offerings", "warn", "; ".join(row.errors) or "EC2 did not answer")
    if not row.zones:
        fix = (
            f"aws ec2 describe-instance-type-offerings --region {row.region} --location-type availability-zone "
            "(pick a type offered there), or drop the region from `regions`"
        )
        return Check(row.region, "offerings", "fail", f"{kind} is offered in no standard zone", fix)
    detail = f"{kind} in {len(row.zones)} standard zone(s): {', '.join(row.zones)}"
    if len(row.zones) < wanted:
        fix = f"p2pctl config set network.az_number {len(row.zones)}, or accept fewer zones here"
        return Check(row.region, "offerings", "warn", f"{detail}; network.az_number is {wanted}", fix)
    return Check(row.region, "offerings", "ok", detail)


def _ami(clients: ClientFactory, config: ConfigItem, region: str) -> Check:
    name = ami_parameter(config.instance)
    try:
        value = clients.client("ssm", region).get_parameter(Name=name)["Parameter"]["Value"]
    except (ClientError, BotoCoreError) as exc:
        fix = f"aws ssm get-parameter --region {region} --name {name}  (or choose another instance.os)"
        return Check(region, "AMI", "fail", f"{name}: {why(exc)}", fix)
    return Check(region, "AMI", "ok", f"{config.instance.os} {config.instance.architecture}: {value}")


def _quota(facts: AccountFacts, row: RegionFacts) -> Check:
    if row.quota_vcpus is None:
        return Check(row.region, "vCPU quota", "warn", "; ".join(row.errors) or "Service Quotas did not answer")
    others = row.vcpus_at_peak - row.needed_vcpus
    detail = (
        f"{row.instances} × {facts.instance_type} = {row.needed_vcpus} vCPUs + {others} running "
        f"= {row.vcpus_at_peak} of quota {row.quota_vcpus:g} ({ON_DEMAND_QUOTA.code})"
    )
    return _headroom(row.region, "vCPU quota", ON_DEMAND_QUOTA, row.vcpus_at_peak, row.quota_vcpus, detail)


def _spot_quota(facts: AccountFacts, row: RegionFacts) -> Check:
    """instance.market spot: the instances above the on-demand base against the Spot vCPU quota."""
    if row.spot_quota_vcpus is None:
        errors = [e for e in row.errors if e.startswith("spot quota")]
        return Check(row.region, "Spot vCPU quota", "warn", "; ".join(errors) or "Service Quotas did not answer")
    detail = (
        f"{row.spot_instances} × {facts.instance_type} = {row.spot_needed_vcpus} vCPUs on Spot "
        f"of quota {row.spot_quota_vcpus:g} ({SPOT_QUOTA.code})"
    )
    return _headroom(row.region, "Spot vCPU quota", SPOT_QUOTA, row.spot_needed_vcpus, row.spot_quota_vcpus, detail)


def _headroom(region: str, name: str, quota: ServiceQuota, needed: int, value: float, detail: str) -> Check:
    """✗ over the quota, ⚠ under 20 % headroom (each with the increase request), else ✓."""
    fix = quota.increase_command(region, math.ceil(needed / (1 - HEADROOM_WARNING)))
    if needed > value:
        return Check(region, name, "fail", detail.replace(" of quota", " > quota"), fix)
    if value - needed < HEADROOM_WARNING * value:
        return Check(region, name, "warn", f"{detail}: under {HEADROOM_WARNING:.0%} headroom", fix)
    return Check(region, name, "ok", detail)


def lambda_concurrency_check(clients: ClientFactory, home: str, regions: int) -> Check:
    """The account's Lambda concurrency in the home region: enough for the Map to reconcile every region at once?"""
    try:
        account = read_account_concurrency(clients.client("lambda", home))
    except (ClientError, BotoCoreError) as exc:
        return Check("account", "Lambda concurrency", "warn", f"GetAccountSettings: {why(exc)}")
    needed = needed_concurrency(regions)
    detail = f"{account.unreserved} unreserved of {account.limit} in {home}"
    wanted = max(needed, RECOMMENDED_CONCURRENCY)
    fix = LAMBDA_QUOTA.increase_command(home, 1000)
    if account.unreserved < needed:
        at_once = map_concurrency(MAX_CONCURRENCY, account)
        detail += f"; {regions} region(s) need {needed} at once: the Map reconciles {at_once} at a time"
        return Check("account", "Lambda concurrency", "warn", detail, fix)
    if account.limit < wanted:
        detail += f"; below {RECOMMENDED_CONCURRENCY}: other functions of the account share it"
        return Check("account", "Lambda concurrency", "warn", detail, fix)
    return Check("account", "Lambda concurrency", "ok", f"{detail}; {regions} region(s) need {needed}")


def _vpc_slot(clients: ClientFactory, region: str, stack: str | None) -> Check:
    ec2 = clients.client("ec2", region)
    try:
        vpcs = ec2.describe_vpcs()["Vpcs"]
        quota = _vpc_quota(clients, region)
    except (ClientError, BotoCoreError) as exc:
        return Check(region, "VPC slot", "warn", why(exc))
    own = [v["VpcId"] for v in vpcs if stack and {"Key": STACK_TAG, "Value": stack} in v.get("Tags", [])]
    if own:
        return Check(region, "VPC slot", "ok", f"the stack's {own[0]} is there")
    if len(vpcs) >= quota:
        fix = f"delete an unused VPC, or {VPC_QUOTA.increase_command(region, quota + 1)}"
        return Check(region, "VPC slot", "fail", f"{len(vpcs)} of {quota:g} VPCs ({VPC_QUOTA.code}) in use", fix)
    return Check(region, "VPC slot", "ok", f"{len(vpcs)} of {quota:g} VPCs in use")


def _vpc_quota(clients: ClientFactory, region: str) -> float:
    quotas = clients.client("service-quotas", region)
    try:
        found = quotas.get_service_quota(ServiceCode=VPC_QUOTA.service_code, QuotaCode=VPC_QUOTA.code)
    except ClientError:
        return VPCS_BY_DEFAULT
    return float(found["Quota"]["Value"])


def service_linked_role(clients: ClientFactory, home: str, reconciler_can_create: bool | None) -> Check:
    """The Auto Scaling service-linked role: present, or creatable by the workflow's role on its first group."""
    try:
        clients.client("iam", home).get_role(RoleName=AUTOSCALING_ROLE)
        return Check("account", "Auto Scaling role", "ok", f"{AUTOSCALING_ROLE} exists")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            return Check("account", "Auto Scaling role", "warn", why(exc))
    if reconciler_can_create:
        return Check("account", "Auto Scaling role", "ok", "the workflow's role creates it with the first group")
    fix = "aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com"
    return Check("account", "Auto Scaling role", "fail", f"{AUTOSCALING_ROLE} does not exist", fix)
