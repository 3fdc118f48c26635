"""EC2's on-demand vCPU quota in Service Quotas, and the account API's ListRegions, as AWS answers them.

moto 5.2.5 knows Service Quotas only for `vpc` and has no account `ListRegions`. The emulated
account answers both:

- Service Quotas `GetServiceQuota`, `GetAWSDefaultServiceQuota`, `ListServiceQuotas` and
  `ListAWSDefaultServiceQuotas` for EC2's "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z)
  instances" (`L-1216C47A`): a typical new account's 32 vCPUs in every region unless `set_quota`
  gave a region (or every region) another value; other EC2 quota codes are `NoSuchResourceException`,
  other services are moto's;
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

from p2p_core.quota import ON_DEMAND_QUOTA
from p2p_core.regions import catalogue
from p2pctl.emulator.shims import wire
from p2pctl.emulator.shims.regions import disabled_regions

DEFAULT_VCPUS = 32.0  # what a new account commonly gets for L-1216C47A before any increase request
EVERY_REGION = "all"
_EC2_NAME = "Amazon Elastic Compute Cloud (Amazon EC2)"

_quotas: dict[str, float] = {}
_lock = threading.Lock()


def set_quota(region: str, vcpus: float) -> None:
    """Apply an on-demand vCPU quota in `region` (`all`: every region without its own value)."""
    if vcpus < 0:
        raise ValueError(f"a vCPU quota is a number ≥ 0, not {vcpus!r}")
    if region != EVERY_REGION and region not in catalogue():
        raise ValueError(f"{region!r} is not a commercial region (or 'all')")
    with _lock:
        _quotas[region] = float(vcpus)


def reset_quotas() -> None:
    """Every region back to the new account's default."""
    with _lock:
        _quotas.clear()


def applied_quota(region: str) -> float:
    """The on-demand vCPU quota the emulated account has in `region`."""
    with _lock:
        return _quotas.get(region, _quotas.get(EVERY_REGION, DEFAULT_VCPUS))


def install() -> None:
    """Answer the EC2 quota and ListRegions; route the account API's /listRegions to moto."""
    for path in ("{0}/listRegions$", "{0}/getRegionOptStatus$"):
        account_urls.url_paths[path] = account_responses.AccountResponse.dispatch
    wire.rule(before=_service_quotas)
    wire.rule(before=_account_regions)


def _quota(region: str, account: str, value: float) -> dict[str, Any]:
    return {
        "ServiceCode": ON_DEMAND_QUOTA.service_code,
        "ServiceName": _EC2_NAME,
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:ec2/{ON_DEMAND_QUOTA.code}",
        "QuotaCode": ON_DEMAND_QUOTA.code,
        "QuotaName": ON_DEMAND_QUOTA.name,
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
        "UsageMetric": {
            "MetricNamespace": "AWS/Usage",
            "MetricName": "ResourceCount",
            "MetricDimensions": {
                "Class": "Standard/OnDemand",
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
    region, account = request.region, request.account
    default = _quota(region, account, DEFAULT_VCPUS)
    applied = _quota(region, account, applied_quota(region))
    action = request.action
    if action in ("ListServiceQuotas", "ListAWSDefaultServiceQuotas"):
        return request.answer({"Quotas": [applied if action == "ListServiceQuotas" else default]})
    if action in ("GetServiceQuota", "GetAWSDefaultServiceQuota"):
        if body.get("QuotaCode") != ON_DEMAND_QUOTA.code:
            return request.error("NoSuchResourceException", "The request failed because the quota was not found.", 400)
        return request.answer({"Quota": applied if action == "GetServiceQuota" else default})
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
