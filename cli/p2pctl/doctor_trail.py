"""`p2pctl doctor`'s "drift events" check: are write management events recorded for the selected regions?

Drift events from hand-made changes are CloudTrail's "AWS API Call via CloudTrail" events, which exist only where
a logging trail records write management events. Without one, drift events come only from Auto Scaling launch
failures and Spot warnings (they need no trail) and hand-made changes are found by the scheduled check. The
judgement of a trail (`trail_gaps`) is pure; `drift_events_check` reads the account's trails in the home region:
DescribeTrails (shadow trails included: a multi-region trail made elsewhere), then GetTrailStatus and
GetEventSelectors of each in its own home region.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core.aws.clients import ClientFactory
from p2pctl.doctor_checks import Check
from p2pctl.preflight import why

NAME = "drift events"
DRIFT_SOURCES = ("ec2.amazonaws.com", "autoscaling.amazonaws.com", "logs.amazonaws.com")
CREATE_TRAIL_FIX = "redeploy with CreateTrail=true (sam deploy --parameter-overrides CreateTrail=true)"
WITHOUT = (
    "drift events then come only from Auto Scaling launch failures and Spot warnings; hand-made changes are "
    "found by the scheduled check"
)
WRITE_SELECTORS = json.dumps([{"ReadWriteType": "All", "IncludeManagementEvents": True}], separators=(",", ":"))


@dataclass(frozen=True)
class Trail:
    """What doctor reads of one trail."""

    name: str
    arn: str
    home_region: str
    multi_region: bool
    logging: bool
    selectors: dict[str, Any]  # GetEventSelectors' answer


def records_write_management_events(selectors: dict[str, Any]) -> bool:
    """Whether event selectors (GetEventSelectors' answer) record write management events of ec2, autoscaling and
    logs. No selector at all is CloudTrail's default for a trail created without them: every management event."""
    basic, advanced = selectors.get("EventSelectors") or [], selectors.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return True
    if any(_basic_records(s) for s in basic):
        return True
    return any(_advanced_records(s.get("FieldSelectors", [])) for s in advanced)


def _basic_records(selector: dict[str, Any]) -> bool:
    excluded = set(selector.get("ExcludeManagementEventSources", []))
    return (
        selector.get("IncludeManagementEvents", True) is True
        and selector.get("ReadWriteType", "All") in ("All", "WriteOnly")
        and not excluded & set(DRIFT_SOURCES)
    )


def _advanced_records(fields: list[dict[str, Any]]) -> bool:
    by_field = {f["Field"]: f for f in fields}
    category = by_field.get("eventCategory", {})
    if category.get("Equals") != ["Management"]:
        return False
    read_only = by_field.get("readOnly", {})
    if "true" in read_only.get("Equals", []) or "false" in read_only.get("NotEquals", []):
        return False
    source = by_field.get("eventSource", {})
    if "Equals" in source and not set(DRIFT_SOURCES) <= set(source["Equals"]):
        return False
    return not set(source.get("NotEquals", [])) & set(DRIFT_SOURCES)


def trail_gaps(trail: Trail, regions: Sequence[str]) -> list[str]:
    """Why `trail` does not deliver write management events of `regions` (empty: it does)."""
    gaps = []
    if not trail.logging:
        gaps.append("not logging")
    if not records_write_management_events(trail.selectors):
        gaps.append("its event selectors record no write management events")
    missed = [r for r in regions if not trail.multi_region and r != trail.home_region]
    if missed:
        gaps.append(f"single-region ({trail.home_region}): misses {', '.join(missed)}")
    return gaps


def _fixes(trail: Trail, gaps: list[str]) -> str:
    where = f"--region {trail.home_region}"
    steps = []
    if not trail.logging:
        steps.append(f"aws cloudtrail start-logging --name {trail.arn} {where}")
    if not records_write_management_events(trail.selectors):
        steps.append(
            f"aws cloudtrail put-event-selectors --trail-name {trail.arn} {where} "
            f"--event-selectors '{WRITE_SELECTORS}' (it replaces the trail's selectors: keep the ones it has)"
        )
    if any(gap.startswith("single-region") for gap in gaps):
        steps.append(f"aws cloudtrail update-trail --name {trail.arn} {where} --is-multi-region-trail")
    return f"{CREATE_TRAIL_FIX}, or make trail {trail.name} record write management events: {'; '.join(steps)}"


def judge(trails: Sequence[Trail], regions: Sequence[str]) -> Check:
    """✓ with the trail that records the selected regions' write management events, else ⚠ with the fix."""
    shown = ", ".join(regions) or "no region"
    gaps = {trail.arn: trail_gaps(trail, regions) for trail in trails}
    good = [t for t in trails if not gaps[t.arn]]
    if good:
        kind = "multi-region" if good[0].multi_region else f"in {good[0].home_region}"
        detail = f"trail {good[0].name} ({kind}) records write management events for {shown}"
        return Check("account", NAME, "ok", detail)
    if not trails:
        detail = f"no trail records write management events for {shown}: {WITHOUT}"
        return Check("account", NAME, "warn", detail, CREATE_TRAIL_FIX)
    # the trail closest to recording them: multi-region, then the fewest gaps
    closest = min(trails, key=lambda t: (not t.multi_region, len(gaps[t.arn]), t.name))
    found = "; ".join(f"trail {t.name}: {', '.join(gaps[t.arn])}" for t in trails)
    detail = f"no trail records write management events for {shown} ({found}): {WITHOUT}"
    return Check("account", NAME, "warn", detail, _fixes(closest, gaps[closest.arn]))


def drift_events_check(clients: ClientFactory, home: str, regions: Sequence[str]) -> Check:
    """The "drift events" check for the selected `regions`, reading the trails from the `home` region."""
    try:
        trails = read_trails(clients, home)
    except (ClientError, BotoCoreError) as exc:
        detail = (
            f"cannot read the account's trails: {why(exc)}; whether hand-made changes raise drift events is unknown"
        )
        fix = (
            "allow cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors to "
            f"whoever runs doctor, or check by hand: aws cloudtrail describe-trails --region {home}"
        )
        return Check("account", NAME, "warn", detail, fix)
    return judge(trails, regions)


def read_trails(clients: ClientFactory, home: str) -> list[Trail]:
    """Every trail the `home` region sees (its own and other regions' multi-region trails), with status and
    selectors read in the trail's own region."""
    found = clients.client("cloudtrail", home).describe_trails(includeShadowTrails=True)["trailList"]
    trails = []
    for described in found:
        region = described.get("HomeRegion", home)
        cloudtrail = clients.client("cloudtrail", region)
        arn = described["TrailARN"]
        selectors = cloudtrail.get_event_selectors(TrailName=arn)
        trails.append(
            Trail(
                name=described["Name"],
                arn=arn,
                home_region=region,
                multi_region=bool(described.get("IsMultiRegionTrail")),
                logging=bool(cloudtrail.get_trail_status(Name=arn).get("IsLogging")),
                selectors={k: selectors.get(k) for k in ("EventSelectors", "AdvancedEventSelectors")},
            )
        )
    return trails
