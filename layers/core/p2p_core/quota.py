"""EC2's on-demand vCPU quota per region: what the fleet needs there at its peak against what AWS allows.

New accounts get a low "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" quota
(Service Quotas code `L-1216C47A`, counted in vCPUs), and AWS refuses launches beyond it only after
the group has accepted its capacity. The arithmetic here is pure; the reads are one call each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from p2p_core.config import ConfigItem

HEADROOM_WARNING = 0.20  # under 20 % of the quota left after the fleet's peak: a warning, not yet a refusal
# families with a quota of their own although their names start with a standard letter
_OTHER_QUOTAS = ("inf", "mac", "hpc", "dl", "trn")
_STANDARD_FAMILIES = "acdhimrtz"


@dataclass(frozen=True)
class ServiceQuota:
    """A Service Quotas quota: where it lives and what AWS calls it."""

    service_code: str
    code: str
    name: str

    def increase_command(self, region: str, vcpus: float) -> str:
        """The aws CLI command that requests `vcpus` of this quota in `region`."""
        return (
            f"aws service-quotas request-service-quota-increase --region {region} "
            f"--service-code {self.service_code} --quota-code {self.code} --desired-value {vcpus:g}"
        )


ON_DEMAND_QUOTA = ServiceQuota(
    service_code="ec2", code="L-1216C47A", name="Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
)
SPOT_QUOTA = ServiceQuota(
    service_code="ec2", code="L-34B43A08", name="All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"
)


class QuotaHeadroom(BaseModel):
    """One region's on-demand vCPUs: the fleet's peak need and the quota, as Plan last read it."""

    model_config = ConfigDict(extra="ignore")

    instance_type: str
    instances: int
    vcpus_each: int
    quota_vcpus: float | None = None
    checked_at: datetime
    error: str | None = None

    @property
    def needed_vcpus(self) -> int:
        """vCPUs the fleet needs in the region at its peak."""
        return self.instances * self.vcpus_each

    def over_quota(self) -> bool:
        """True when AWS will refuse part of the fleet's launches."""
        return self.quota_vcpus is not None and self.needed_vcpus > self.quota_vcpus


def counts_as_standard(instance_type: str) -> bool:
    """True for the families the standard on-demand quota counts (A, C, D, H, I, M, R, T, Z)."""
    family = instance_type.split(".", 1)[0].lower()
    return family[:1] in _STANDARD_FAMILIES and not family.startswith(_OTHER_QUOTAS)


def peak_instances(config: ConfigItem, region: str) -> int:
    """On-demand instances the config runs in `region` at its peak (0 for `"-"`: its capacity is left alone).

    On Spot only the on-demand base counts: Spot instances come out of the separate Spot vCPU quota
    (`L-34B43A08`, `peak_spot_instances`).
    """
    count = config.desired_capacity.resolve(region) or 0
    buying = config.instance.buying()
    return min(count, buying.on_demand_base) if buying is not None and buying.spot else count


def peak_spot_instances(config: ConfigItem, region: str) -> int:
    """Spot instances the config runs in `region` at its peak: those above the on-demand base (0 on demand)."""
    return (config.desired_capacity.resolve(region) or 0) - peak_instances(config, region)


def over_quota_line(region: str, instances: int, instance_type: str, vcpus_each: int, quota: float) -> str:
    """The warning an operator reads: `eu-west-3: 40 × t3.large = 80 vCPUs > quota 32`."""
    return f"{region}: {instances} × {instance_type} = {instances * vcpus_each} vCPUs > quota {quota:g}"


def headroom_warnings(headroom: dict[str, QuotaHeadroom]) -> list[str]:
    """One line per region whose fleet needs more vCPUs than its quota, with the request that fixes it."""
    lines = []
    for region, seen in sorted(headroom.items()):
        if seen.quota_vcpus is not None and seen.over_quota():
            line = over_quota_line(region, seen.instances, seen.instance_type, seen.vcpus_each, seen.quota_vcpus)
            lines.append(f"{line} ({ON_DEMAND_QUOTA.code}): launches will fail until the quota is raised")
    return lines


def vcpu_quota(servicequotas: Any, quota: ServiceQuota = ON_DEMAND_QUOTA) -> float:
    """The region's applied quota (the client's region); AWS's default when none was ever applied."""
    codes = {"ServiceCode": quota.service_code, "QuotaCode": quota.code}
    try:
        return float(servicequotas.get_service_quota(**codes)["Quota"]["Value"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchResourceException":
            raise
    return float(servicequotas.get_aws_default_service_quota(**codes)["Quota"]["Value"])


def vcpus_per_instance(ec2: Any, instance_types: list[str]) -> dict[str, int]:
    """Default vCPUs of each instance type (one DescribeInstanceTypes)."""
    if not instance_types:
        return {}
    found = ec2.describe_instance_types(InstanceTypes=sorted(set(instance_types)))["InstanceTypes"]
    return {str(t["InstanceType"]): int(t["VCpuInfo"]["DefaultVCpus"]) for t in found}


def standard_vcpus_running(ec2: Any, tagged: tuple[str, str] | None = None) -> int:
    """vCPUs of the region's pending and running instances the standard quota counts (with tag `tagged`, if given)."""
    filters = [{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    if tagged is not None:
        filters.append({"Name": f"tag:{tagged[0]}", "Values": [tagged[1]]})
    pages = ec2.get_paginator("describe_instances").paginate(Filters=filters)
    kinds = Counter(
        str(i["InstanceType"])
        for page in pages
        for reservation in page["Reservations"]
        for i in reservation["Instances"]
        if counts_as_standard(str(i["InstanceType"]))
    )
    each = vcpus_per_instance(ec2, list(kinds))
    return sum(count * each.get(kind, 0) for kind, count in kinds.items())
