"""Events the workflow publishes on the home region's default bus, for rules, webhooks and e-mail.

Every event has `source: "p2p.control-plane"`, one of the DETAIL_TYPES and a JSON detail holding the
stack's name, a one-line `summary` (what a chat message or an e-mail shows) and a `severity` (`info`,
`warning`, `error`: the template's notification rule sends warnings and errors to people). Building them is pure;
`publish` is the one PutEvents call. A run with nothing to do (a quiet scheduled check, every 15 minutes by
default) or one skipped for the lease publishes nothing: only runs that did or found something are news.
Publishing is best effort: a bus that refuses never fails a run (the status item and metrics hold the truth).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.models.events import FinalState
from p2p_core.quota import HEADROOM_WARNING, QuotaHeadroom
from p2p_core.storage.status import RunRecord

SOURCE = "p2p.control-plane"
RUN_FINISHED, REGION_DEGRADED, DRIFT_REPAIRED = "Run Finished", "Region Degraded", "Drift Repaired"
AGENTS_MISSING, QUOTA_LOW = "Agents Missing", "Quota Low"
DETAIL_TYPES = (RUN_FINISHED, REGION_DEGRADED, DRIFT_REPAIRED, AGENTS_MISSING, QUOTA_LOW)
QUIET_RUNS = ("noop", "skipped")  # nothing done, nothing found: no event
_BATCH = 10  # PutEvents takes at most 10 entries

log = logging.getLogger(__name__)


class Notification(BaseModel):
    """One event: its detail-type and detail (`summary` is the line people read)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detail_type: str
    detail: dict[str, Any]


Severity = Literal["info", "warning", "error"]
_RUN_SEVERITY: dict[str, Severity] = {"failed": "error", "degraded": "warning"}


def _event(detail_type: str, severity: Severity, stack: str, summary: str, **detail: Any) -> Notification:
    # one line without double quotes or backslashes: rule input templates splice it into JSON text
    line = " ".join(summary.replace('"', "'").replace("\\", "/").split())
    return Notification(
        detail_type=detail_type, detail={"stack": stack, "severity": severity, "summary": line, **detail}
    )


def run_notifications(
    run: RunRecord, state: FinalState | None, stack: str, previous_version: int | None
) -> list[Notification]:
    """The events of a recorded run: Run Finished, then Region Degraded and Drift Repaired per region.

    `previous_version` is the config version the run before this one applied: a region repaired while the
    config stayed the same was changed outside the control plane; after an edit, the edit caused it.
    """
    if run.status in QUIET_RUNS:
        return []
    by_outcome: dict[str, list[str]] = {}
    for result in run.regions:
        by_outcome.setdefault(result.status, []).append(result.region)
    counts = ", ".join(f"{len(names)} {status}" for status, names in sorted(by_outcome.items()))
    summary = f"run {run.status}" + (f": {counts}" if counts else "") + (f"; {run.errors[0]}" if run.errors else "")
    events = [
        _event(
            RUN_FINISHED,
            _RUN_SEVERITY.get(run.status, "info"),
            stack,
            summary,
            execution=run.execution,
            status=run.status,
            source=run.source,
            config_version=run.config_version,
            regions=by_outcome,
            unchanged_regions=len(run.unchanged_regions),
            errors=run.errors,
            started_at=run.started_at,
            finished_at=run.finished_at,
        )
    ]
    events += [
        _event(
            REGION_DEGRADED,
            "warning",
            stack,
            f"{r.region}: launches fail: {r.error_message}",
            execution=run.execution,
            region=r.region,
            reason=r.error_message,
            error_code=r.error_code,
        )
        for r in run.degraded_regions
    ]
    events += _drift_repaired(run, state, stack, previous_version)
    return events


def repaired_regions(run: RunRecord, state: FinalState | None) -> dict[str, list[str]]:
    """Regions this run brought back to the config after verification found them different: region -> drifts."""
    drifts = {p.region: p.drifts for p in (state.regions if state else []) if p.drifts}
    return {
        r.region: drifts[r.region]
        for r in run.regions
        if r.status in ("ok", "degraded") and r.region in drifts and not r.decommissioned
    }


def _drift_repaired(
    run: RunRecord, state: FinalState | None, stack: str, previous_version: int | None
) -> list[Notification]:
    edited = previous_version != run.config_version
    cause = "config edit" if edited else "changed outside the control plane"
    actions = {r.region: r.actions for r in run.regions}
    return [
        _event(
            DRIFT_REPAIRED,
            "info" if edited else "warning",
            stack,
            f"{region}: repaired ({cause}): " + "; ".join(drifts),
            execution=run.execution,
            region=region,
            drifts=drifts,
            actions=actions[region],
            cause=cause,
        )
        for region, drifts in repaired_regions(run, state).items()
    ]


def quota_low(seen: QuotaHeadroom) -> bool:
    """True when the fleet's peak leaves less than HEADROOM_WARNING of the region's vCPU quota (or exceeds it)."""
    return seen.quota_vcpus is not None and seen.needed_vcpus > (1 - HEADROOM_WARNING) * seen.quota_vcpus


def quota_notifications(
    before: dict[str, QuotaHeadroom], after: dict[str, QuotaHeadroom], stack: str
) -> list[Notification]:
    """Quota Low for each region whose headroom record changed (re-read at most hourly, or the need changed)
    and is low now: one event per change, never one per run."""
    events = []
    for region, seen in sorted(after.items()):
        if seen == before.get(region) or not quota_low(seen):
            continue
        quota = seen.quota_vcpus or 0.0
        verdict = "over" if seen.over_quota() else "under 20 % headroom of"
        events.append(
            _event(
                QUOTA_LOW,
                "error" if seen.over_quota() else "warning",
                stack,
                f"{region}: {seen.instances} × {seen.instance_type} = {seen.needed_vcpus} vCPUs, {verdict} "
                f"the on-demand vCPU quota {quota:g}",
                region=region,
                needed_vcpus=seen.needed_vcpus,
                quota_vcpus=quota,
                instance_type=seen.instance_type,
                over_quota=seen.over_quota(),
            )
        )
    return events


def publish(clients: ClientFactory, deployment: Deployment, notifications: Iterable[Notification]) -> int:
    """Put the events on the home region's default bus; return how many the bus refused (logged, never raised)."""
    entries = [
        {"Source": SOURCE, "DetailType": n.detail_type, "Detail": json.dumps(n.detail), "EventBusName": "default"}
        for n in notifications
    ]
    refused = 0
    for start in range(0, len(entries), _BATCH):
        batch = entries[start : start + _BATCH]
        try:
            answer = clients.client("events", deployment.home_region).put_events(Entries=batch)
        except (BotoCoreError, ClientError) as exc:
            log.warning("events not published: %s", exc)
            refused += len(batch)
            continue
        failed = [e for e in answer.get("Entries", []) if e.get("ErrorCode")]
        if failed:
            log.warning("events refused by the bus: %s", sorted({str(e["ErrorCode"]) for e in failed}))
        refused += int(answer.get("FailedEntryCount", 0))
    return refused
