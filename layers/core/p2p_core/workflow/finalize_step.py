"""Finalize: write the status item, release the lease, and say whether the run failed."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from p2p_core.aws.clients import ClientFactory
from p2p_core.checks.enabled import SKIP_REASON
from p2p_core.config.rfc3339 import format_time
from p2p_core.config.validation import ConfigError
from p2p_core.drift_events import DRIFT_EVENT_SOURCE
from p2p_core.models.deployment import Deployment
from p2p_core.models.events import ConfigInvalid, FinalizeRequest, FinalState, PlanRequest, PlanResult
from p2p_core.models.results import RegionResult
from p2p_core.notifications import publish, run_notifications
from p2p_core.storage.config import ConfigStore
from p2p_core.storage.lease import Lease
from p2p_core.storage.status import RunRecord, RunStatus, Status, StatusStore
from p2p_core.storage.verified import VerificationStore


class RunFailed(Exception):
    """Raised by the Finalize handler (after the status is written) so the execution fails and alarms fire."""


def finalize_step(
    request: FinalizeRequest,
    deployment: Deployment,
    clients: ClientFactory,
    now: datetime,
    loaded: Status | None = None,
) -> RunRecord:
    """Record the run; release the lease unless this run never held it. `loaded`: the status as this run's Plan read
    it, under its lease (the scheduled check's Plan recording itself), so it is not read again; the status item's
    write is conditional on its revision, so a skipped run's record in between only costs a second read."""
    state = request.plan
    db = clients.client("dynamodb", deployment.home_region)
    store = StatusStore(db, deployment.config_table)
    run = run_record(request, now)
    if state.skipped:
        store.record_run(run, managed_regions=None)
        return run
    lease = Lease(db, deployment.config_table, timedelta(seconds=deployment.lease_seconds))
    if state.plan_error is not None:  # stopped in Plan: nothing was planned, so no region changed hands
        store.record_run(run, managed_regions=None)
        lease.release(request.execution)  # a Plan that timed out holding it did not give it back
        publish(clients, deployment, run_notifications(run, state, deployment.stack_name, None))
        return run  # no follow-up: a run started now would stop in Plan the same way
    previous = loaded if loaded is not None else store.load()
    store.record_run(run, managed_regions=managed_after(previous.managed_regions, state), loaded=previous)
    lease.release(request.execution)
    applied_before = previous.last_run.config_version if previous.last_run else None
    publish(clients, deployment, run_notifications(run, state, deployment.stack_name, applied_before))
    # Released first, then read: an edit (or a drift event) whose own run found the lease taken is seen here,
    # or its run got the lease. Either way nothing waits for the next scheduled run.
    follow_up = _follow_up(request, deployment, clients, db, now)
    if follow_up is not None:
        run = run.model_copy(update={"follow_up": follow_up})
        store.note_follow_up(run.execution, follow_up)
    return run


def record_nothing_to_do(
    request: PlanRequest, result: PlanResult, deployment: Deployment, clients: ClientFactory, now: datetime
) -> RunRecord | None:
    """The scheduled check's Plan: a run with nothing to do (a no-op, or skipped: the lease was taken) recorded in
    Plan's own invocation exactly as Finalize would record it (status item, lease release, follow-up run after an edit).

    None when Plan was not asked to (the reconcile workflow) or there is something to do (Finalize records it).
    Such a run never fails: it has no Plan error, no Apply and no region result.
    """
    asked = request.record_nothing_to_do
    if asked is None or not result.nothing_to_do:
        return None
    finalize = FinalizeRequest(
        execution=request.execution,
        started_at=request.started_at,
        state_machine=asked.state_machine,
        plan=FinalState.model_validate(result.model_dump(mode="json")),  # as the state machine would pass it
    )
    return finalize_step(finalize, deployment, clients, now, loaded=result.status_read)


def run_metrics(run: RunRecord) -> dict[str, int]:
    """The Count metrics of a recorded run (Finalize's, or Plan's when it recorded the run): name -> value."""
    failed, degraded, skipped = run.failed_regions, run.degraded_regions, run.skipped_regions
    return {
        "RunsFailed": int(run.status == "failed"),
        "RunsSkipped": int(run.status == "skipped"),
        "RegionsFailed": len(failed),
        "DegradedRegions": len(degraded),  # alarmed in template.yaml
        "RegionsChanged": len(run.regions) - len(failed) - len(degraded) - len(skipped),
    }


def run_summary(run: RunRecord) -> dict[str, Any]:
    """The "run finished" log line's fields."""
    degraded = {r.region: r.error_message for r in run.degraded_regions}
    return {"status": run.status, "errors": run.errors, "degraded": degraded}


def _follow_up(
    request: FinalizeRequest, deployment: Deployment, clients: ClientFactory, db: Any, now: datetime
) -> str | None:
    state = request.plan
    if request.state_machine is None:
        return None
    try:
        stored = ConfigStore(db, deployment.config_table).load().to_item()
    except ConfigError:
        stored = None  # an invalid edit: the follow-up run fails in Plan and says why, now
    source = "config-edit-during-run"
    if stored == state.config:  # writers without `version` (any DynamoDB client) are compared by content
        # a drift event that came while this run held the lease (its check was skipped) is run for now
        if not VerificationStore(db, deployment.config_table).drift_pending():
            return None
        source = DRIFT_EVENT_SOURCE
    name = f"follow-up-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    sfn = clients.client("stepfunctions", deployment.home_region)
    sfn.start_execution(
        stateMachineArn=request.state_machine,
        name=name,
        input=json.dumps({"source": source, "after": request.execution}),
    )
    return name


def run_record(request: FinalizeRequest, now: datetime) -> RunRecord:
    """The status item's view of this run."""
    state = request.plan
    applied = state.applied
    regions = [_readable(r) for r in applied.regions] if applied else []
    regions += _unreported(state, {r.region for r in regions})
    regions += [skipped_region(name) for name in state.skipped_regions]
    errors = [_plan_failure(state.plan_error, _stopped_by(state))] if state.plan_error else []
    errors += [f"{r.region}: {r.error_code}: {r.error_message}" for r in regions if r.status == "failed"]
    if state.apply_error:
        errors.append(f"apply: {state.apply_error.get('Error')}: {shorten(state.apply_error.get('Cause'))}")
    for step, outcome in (
        ("control center", applied and applied.control_center),
        ("schedule", applied and applied.schedule),
    ):
        if outcome and outcome.status == "failed":
            errors.append(f"{step}: {outcome.error_code}: {outcome.error_message}")
    return RunRecord(
        execution=request.execution,
        source=state.source,
        status=_status(state, errors),
        started_at=format_time(request.started_at),
        finished_at=format_time(now),
        config_version=state.config_version,
        config_digest=state.config_digest,
        skip_reason=state.skip_reason,
        held_by=state.held_by,
        stopped_by=_stopped_by(state) if state.plan_error else None,
        regions=regions,
        unchanged_regions=state.unchanged_regions,
        control_center=applied.control_center if applied else None,
        schedule=applied.schedule if applied else None,
        errors=errors,
    )


MAX_MESSAGE = 300  # the status item keeps 20 runs: error text must not grow it towards DynamoDB's 400 KB
MAX_PLAN_MESSAGE = 1500  # one per run, and it names every bad field of the config item


def shorten(cause: object, limit: int = MAX_MESSAGE) -> str:
    """A Lambda error's message without its stack trace (the Cause is the error JSON), capped in length."""
    text = str(cause or "")
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if isinstance(found, dict) and "errorMessage" in found:
        text = str(found["errorMessage"])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plan_failure(error: dict[str, Any], stopped_by: str) -> str:
    return f"plan: {stopped_by}: {shorten(error.get('Cause'), MAX_PLAN_MESSAGE)}"


def _stopped_by(state: FinalState) -> str:
    return str((state.plan_error or {}).get("Error") or "PlanFailed")


def _unreported(state: FinalState, reported: set[str]) -> list[RegionResult]:
    """Planned regions the Apply state never reported on (it failed as a whole): failed, not silently ok."""
    if state.apply_error is None:
        return []
    code = str(state.apply_error.get("Error") or "ApplyFailed")
    why = "not reconciled: the run's Apply state failed before this region reported"
    missing = [r.region for r in state.regions if r.region not in reported]
    return [RegionResult(region=name, status="failed", error_code=code, error_message=why) for name in missing]


def skipped_region(region: str) -> RegionResult:
    """A selected region the account has not enabled: recorded, never touched."""
    return RegionResult(region=region, status="skipped", error_code="RegionNotEnabled", error_message=SKIP_REASON)


def _readable(result: RegionResult) -> RegionResult:
    if result.status not in ("failed", "degraded") or not result.error_message:
        return result
    code, message = result.error_code, shorten(result.error_message)
    if code == "RegionThrottled":  # still throttled after the workflow's retries: report the AWS code
        code, _, message = message.partition(": ")
    return result.model_copy(update={"error_code": code, "error_message": message})


def _status(state: FinalState, errors: list[str]) -> RunStatus:
    if state.skipped:
        return "skipped"
    if errors:
        return "failed"
    if state.applied and any(r.status == "degraded" for r in state.applied.regions):
        return "degraded"  # launches fail: not the control plane's error, never shown as ok
    return "noop" if state.nothing_to_do else "ok"


def managed_after(before: list[str], state: FinalState) -> list[str]:
    """Regions that may hold resources after this run: the next run looks there for leftovers."""
    results: list[RegionResult] = list(state.applied.regions) if state.applied else []
    gone = {r.region for r in results if r.decommissioned and r.status == "ok"}
    touched = {r.region for r in results}
    planned_but_unreported = {r.region for r in state.regions} - touched  # e.g. the Parallel state failed
    return sorted((set(before) | touched | planned_but_unreported | set(state.unchanged_regions)) - gone)


def failure_message(run: RunRecord) -> str:
    """The execution's error cause when the run failed."""
    return f"run {run.execution} failed: " + "; ".join(run.errors)


def run_failure(run: RunRecord) -> Exception:
    """What Finalize raises for a failed run: an invalid config keeps Plan's error name, so alarms and `run` say so."""
    if run.stopped_by == ConfigInvalid.__name__:
        return ConfigInvalid(run.errors[0].removeprefix(f"plan: {ConfigInvalid.__name__}: "))
    return RunFailed(failure_message(run))
