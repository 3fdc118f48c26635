"""Tiered verification: a scheduled check verifies each region fully every `verify_interval`, and between
reads only what bears capacity or opens the fleet to the internet.

A quiet check reads two things per region: the Auto Scaling group (sizes, instances, the launch template version
it launches, subnets, the Spot policy) and the security groups with their rules — 2 calls. Their fingerprint is
compared with the one recorded when the region was last verified fully and found as configured: the same, the
region is unchanged; different — or the config, the window's phase or the interval moved on since — the region is
verified fully in this very check, as in every run an edit (or `p2pctl run`) starts.

What a quiet check cannot see until the next full verification (at most `verify_interval` later): hand-made
changes to the VPC, gateway, subnets, routes, the launch template's content, the log group and the scheduled
actions. The group's capacity and the security group's rules — what costs money or exposes agents — are read
at every check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from p2p_core.models.observed import ObservedAsg, ObservedRegion, ObservedSecurityGroup


class Verification(BaseModel):
    """A region's last full verification that found it as configured, and what a quiet check compares."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    at: datetime
    fingerprint: str
    config_digest: str
    phase: str


def fingerprint(asg: ObservedAsg | None, security_groups: Sequence[ObservedSecurityGroup]) -> str:
    """What a quiet check reads, as one digest: the group (without its scheduled actions, which it does not
    read) and every managed security group's rules, in a stable order."""
    group = asg.model_copy(update={"scheduled_actions": []}).model_dump(mode="json") if asg else None
    groups = sorted((_rules_sorted(g.model_dump(mode="json")) for g in security_groups), key=lambda g: g["group_id"])
    body = json.dumps({"asg": group, "security_groups": groups}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def _rules_sorted(group: dict[str, Any]) -> dict[str, Any]:
    for direction in ("ingress", "egress"):
        group[direction] = sorted(group[direction], key=lambda rule: json.dumps(rule, sort_keys=True))
    return group


def may_check_quietly(
    last: Verification | None, *, now: datetime, interval: timedelta, config_digest: str, phase: str
) -> bool:
    """A quiet check suffices: the region was verified fully within `interval`, for this config and phase."""
    if last is None:
        return False
    return last.config_digest == config_digest and last.phase == phase and last.at <= now < last.at + interval


def verified_after(
    before: Mapping[str, Verification],
    *,
    regions: Collection[str],
    observed: Mapping[str, ObservedRegion],
    drifted: Collection[str],
    quiet: Collection[str],
    now: datetime,
    config_digest: str,
    phase: str,
) -> dict[str, Verification]:
    """The verifications to keep after a run planned `regions`: a region checked quietly keeps its last one, a
    region observed fully and found as configured gets a new one, and any other region (drifted, not readable,
    not there, no longer selected) has none, so the next scheduled check verifies it fully."""
    found: dict[str, Verification] = {}
    for region in sorted(regions):
        seen = observed.get(region)
        if region in quiet and region in before:
            found[region] = before[region]
        elif seen is not None and seen.exists and seen.error is None and region not in drifted:
            digest = fingerprint(seen.asg, seen.network.security_groups)
            found[region] = Verification(at=now, fingerprint=digest, config_digest=config_digest, phase=phase)
    return found
