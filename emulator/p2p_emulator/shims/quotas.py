"""EC2's vCPU quotas in Service Quotas, and the account API's ListRegions, as AWS answers them.

moto 5.2.5 knows Service Quotas only for `vpc` and has no account `ListRegions`. The emulated
account answers both:

- Service Quotas `GetServiceQuota`, `GetAWSDefaultServiceQuota`, `ListServiceQuotas` and
  `ListAWSDefaultServiceQuotas` for EC2's "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z)
  instances" (`L-1216C47A`) and "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"
  (`L-34B43A08`): a typical new account's 32 vCPUs each in every region unless `set_quota` gave a
  region (or every region) another value; other EC2 quota codes are `NoSuchResourceException`,
  other services are moto's;
- `quotas_applied(False)`: a quota never changed in the account, as AWS answers it for many: its
  `GetServiceQuota` is `NoSuchResourceException` (where `set_quota` gave no value), so callers fall
  back to `GetAWSDefaultServiceQuota`;
- account `ListRegions` (and `GetRegionOptStatus`): every commercial region with AWS's
  `RegionOptStatus`, the opt-in regions `disable_regions` named `DISABLED` (shims/regions.py).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto.account import responses as account_responses
from moto.account import urls as account_urls
from moto.core.common_types import TYPE_RESPONSE

from p2p_core.quota import ON_DEMAND_QUOTA, SPOT_QUOTA, ServiceQuota
from p2p_core.regions import catalogue
from p2p_emulator.shims import wire
from p2p_emulator.shims.regions import disabled_regions

DEFAULT_VCPUS = 32.0  # what a new account commonly gets for L-1216C47A (and L-34B43A08) before any increase request
EVERY_REGION = "all"
_EC2_NAME = "Amazon Elastic Compute Cloud (Amazon EC2)"
_KNOWN = {quota.code: quota for quota in (ON_DEMAND_QUOTA, SPOT_QUOTA)}
_USAGE_CLASS = {ON_DEMAND_QUOTA.code: "Standard/OnDemand", SPOT_QUOTA.code: "Standard/Spot"}

_quotas: dict[tuple[str, str], float] = {}  # (quota code, region or "all") -> vCPUs
_applied = [True]
_lock = threading.Lock()


def set_quota(region: str, vcpus: float, quota: ServiceQuota = ON_DEMAND_QUOTA) -> None:
    """Apply a vCPU quota (default: on-demand) in `region` (`all`: every region without its own value)."""
    if vcpus < 0:
        raise ValueError(f"a vCPU quota is a number ≥ 0, not {vcpus!r}")
    if region != EVERY_REGION and region not in catalogue():
        raise ValueError(f"{region!r} is not a commercial region (or 'all')")
    with _lock:
        _quotas[(quota.code, region)] = float(vcpus)


def quotas_applied(applied: bool) -> None:
    """False: quotas `set_quota` gave no value were never applied (GetServiceQuota: NoSuchResourceException)."""
    with _lock:
        _applied[0] = applied


def reset_quotas() -> None:
    """Every region back to the new account's default, answered by GetServiceQuota."""
    with _lock:
        _quotas.clear()
        _applied[0] = True


def applied_quota(region: str, quota: ServiceQuota = ON_DEMAND_QUOTA) -> float | None:
    """The vCPU quota the emulated account has in `region`; None when it was never applied (quotas_applied)."""
    with _lock:
        found = _quotas.get((quota.code, region), _quotas.get((quota.code, EVERY_REGION)))
        return found if found is not None or not _applied[0] else DEFAULT_VCPUS


def install() -> None:
    """Answer the EC2 quota and ListRegions; route the account API's /listRegions to moto."""
    for path in ("{0}/listRegions$", "{0}/getRegionOptStatus$"):
        account_urls.url_paths[path] = account_responses.AccountResponse.dispatch
    wire.rule(before=_service_quotas)
    wire.rule(before=_account_regions)


def _quota(quota: ServiceQuota, region: str, account: str, value: float) -> dict[str, Any]:
    return {
        "ServiceCode": quota.service_code,
        "ServiceName": _EC2_NAME,
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:ec2/{quota.code}",
        "QuotaCode": quota.code,
        "QuotaName": quota.name,
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
        "UsageMetric": {
            "MetricNamespace": "AWS/Usage",
            "MetricName": "ResourceCount",
            "MetricDimensions": {
                "Class": _USAGE_CLASS[quota.code],
                "Resource": "vCPU",
                "Service": "EC2",
                "Type": "Resource",
            },
            "MetricStatisticRecommendation": "Maximum",
        },
    }


def _service_quotas(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "service-quotas":
        return None
    body = json.loads(request.response.body or "{}")
    if body.get("ServiceCode") != ON_DEMAND_QUOTA.service_code:
        return None  # moto's own (vpc)
    region, account, action = request.region, request.account, request.action
    applied = {code: applied_quota(region, quota) for code, quota in _KNOWN.items()}
    if action in ("ListServiceQuotas", "ListAWSDefaultServiceQuotas"):
        values = {code: DEFAULT_VCPUS if action == "ListAWSDefaultServiceQuotas" else applied[code] for code in _KNOWN}
        listed = [_quota(_KNOWN[code], region, account, value) for code, value in values.items() if value is not None]
        return request.answer({"Quotas": listed})
    if action in ("GetServiceQuota", "GetAWSDefaultServiceQuota"):
        quota = _KNOWN.get(str(body.get("QuotaCode")))
        value = DEFAULT_VCPUS if quota is None or action == "GetAWSDefaultServiceQuota" else applied[quota.code]
        if quota is None or value is None:
            return request.error("NoSuchResourceException", "The request failed because the quota was not found.", 400)
        return request.answer({"Quota": _quota(quota, region, account, value)})
    return None


def _opt_status(region: str) -> str:
    if not catalogue()[region].opt_in:
        return "ENABLED_BY_DEFAULT"
    return "DISABLED" if region in disabled_regions() else "ENABLED"


def _account_regions(request: wire.Request) -> TYPE_RESPONSE | None:
    if request.service != "account" or request.action not in ("ListRegions", "GetRegionOptStatus"):
        return None
    body = json.loads(request.response.body or "{}")
    if request.action == "GetRegionOptStatus":
        name = str(body.get("RegionName"))
        if name not in catalogue():
            return request.error("ValidationException", f"Region {name} is not a valid region.", 400)
        return request.answer({"RegionName": name, "RegionOptStatus": _opt_status(name)})
    wanted = set(body.get("RegionOptStatusContains") or [])
    found = [
        {"RegionName": name, "RegionOptStatus": _opt_status(name)}
        for name in catalogue()
        if not wanted or _opt_status(name) in wanted
    ]
    return request.answer({"Regions": found})
