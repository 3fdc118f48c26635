"""Plan: validate the config, take the lease, observe every region in parallel, return only the drift."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from p2p_core import clock
from p2p_core.aws.clients import ClientFactory
from p2p_core.checks.deliverable import check_deliverable
from p2p_core.checks.enabled import enabled_regions
from p2p_core.checks.instance_types import check_instance_type
from p2p_core.checks.quota_headroom import record_quota_headroom
from p2p_core.config import ConfigItem
from p2p_core.config.validation import ConfigError
from p2p_core.control_center.render import ControlCenterError
from p2p_core.lambda_concurrency import map_concurrency, try_account_concurrency
from p2p_core.models.deployment import Deployment
from p2p_core.models.events import PlanRequest, PlanResult
from p2p_core.models.observed import Observed, ObservedRegion
from p2p_core.notifications import publish, quota_notifications
from p2p_core.planner import plan
from p2p_core.reconciler.quiet import QuietRead, quiet_read
from p2p_core.reconciler.region import observe_region
from p2p_core.storage.config import ConfigStore
from p2p_core.storage.lease import Lease
from p2p_core.storage.status import StatusStore
from p2p_core.storage.verified import VerificationStore
from p2p_core.timemodel import effective_window, window_anchor
from p2p_core.verification import Verification, may_check_quietly, verified_after
from p2p_core.wanted import build_inputs
from p2p_core.workflow.control_center_step import blame, live_code, render_control_center
from p2p_core.workflow.schedule_step import current_expression

# enough threads to observe 34 regions in about the time of one; each thread mostly waits on the network
OBSERVE_THREADS = 34
log = logging.getLogger(__name__)


def plan_step(request: PlanRequest, deployment: Deployment, clients: ClientFactory) -> PlanResult:
    """The Plan state. Raises ConfigError (nothing touched) when the config item is invalid."""
    db = clients.client("dynamodb", deployment.home_region)
    config = ConfigStore(db, deployment.config_table).load()  # invalid -> raise before taking the lease
    check_deliverable(config, deployment, request.started_at)  # over AWS limits: say so now, not per region
    lease = Lease(db, deployment.config_table, timedelta(seconds=deployment.lease_seconds))
    source = str(request.input.get("source", "manual"))
    if not lease.acquire(request.execution, clock.now()):
        holder = lease.holder() or {}
        return PlanResult(
            run_id=request.execution,
            source=source,
            skipped=True,
            skip_reason=f"another run holds the lease: {holder.get('owner', 'unknown')}",
            held_by=holder.get("owner"),
            nothing_to_do=True,
        )
    try:
        return _observe_and_plan(request, deployment, clients, config, source)
    except BaseException:
        lease.release(request.execution)  # a crashed Plan must not block the next run for the lease's life
        raise


def preview_plan(deployment: Deployment, clients: ClientFactory, now: datetime) -> PlanResult:
    """What a run started `now` would do, without the lease and without writing anything (`p2pctl plan`)."""
    db = clients.client("dynamodb", deployment.home_region)
    config = ConfigStore(db, deployment.config_table).load()
    request = PlanRequest(execution="preview", started_at=now, input={"source": "preview"})
    return _observe_and_plan(request, deployment, clients, config, "preview", remember=False)


def _observe_and_plan(
    request: PlanRequest,
    deployment: Deployment,
    clients: ClientFactory,
    config: ConfigItem,
    source: str,
    *,
    remember: bool = True,
) -> PlanResult:
    """Observe the regions and plan `config`: for a run (under its lease, `remember`: records the window anchor and
    quota headroom) or for a preview (`remember=False`: writes nothing)."""
    now = request.started_at
    db = clients.client("dynamodb", deployment.home_region)
    store = StatusStore(db, deployment.config_table)
    status = store.load()
    for warning in status.warnings:  # damaged by hand: this run's record rewrites it (storage/tolerant.py)
        log.warning(warning)
    recorded = status.recorded_anchor(config)
    anchor = window_anchor(config, recorded, now)
    enabled = enabled_regions(clients, deployment)
    regions = sorted((set(config.selected_regions()) | set(status.managed_regions)) & set(enabled))
    window = effective_window(config, anchor.since)
    try:
        code = render_control_center(config, window, deployment) if deployment.control_center_function else None
    except ControlCenterError as exc:  # a config the control center cannot serve is an invalid config
        raise ConfigError([blame(exc)]) from None
    verified = VerificationStore(db, deployment.config_table)
    verifications = verified.load() if remember else {}  # regions drift events named since are not verified
    digest, phase = config.content_digest(), window.phase(now).value
    quiet: dict[str, QuietRead] = {}
    if remember and request.record_nothing_to_do is not None:  # a scheduled check: two reads where they suffice
        last = {r: verifications.get(r) for r in regions if r in config.selected_regions()}
        due = [
            r
            for r, seen in last.items()
            if may_check_quietly(seen, now=now, interval=config.verify_interval, config_digest=digest, phase=phase)
        ]
        quiet = quiet_matches(clients, deployment, {r: verifications[r] for r in due})
    observed = Observed(
        regions=observe_regions(clients, deployment, config, [r for r in regions if r not in quiet]),
        managed_regions=status.managed_regions,
        enabled_regions=enabled,
        window_anchor=anchor,
        schedule_expression=current_expression(clients, deployment),
        control_center_code=live_code(clients, deployment) if code is not None else None,
    )
    planned = plan(config, observed, now, build=build_inputs(config, deployment), control_center_code=code)
    planned = planned.model_copy(update={"regions": [r for r in planned.regions if r.region not in quiet]})
    the_plan = check_instance_type(clients, deployment, config, planned)
    if remember and anchor != status.window_anchor:  # new start fields (or a legacy anchor): recorded once planned
        store.remember_anchor(anchor, status)  # only the lease holder records, so this is the anchor in force
    if remember:  # so status and run --wait warn before AWS refuses launches; a quota is read at most hourly
        usable = sorted(set(config.selected_regions()) & set(enabled))
        headroom = record_quota_headroom(clients, db, deployment.config_table, config, status, usable, now)
        publish(clients, deployment, quota_notifications(status.quota_headroom, headroom, deployment.stack_name))
    drifted = the_plan.drifted
    if remember:  # the regions verified fully and found as configured: until verify_interval, two reads suffice
        kept = verified_after(
            verifications,
            regions=[r.region for r in the_plan.regions] + list(quiet),
            observed=observed.regions,
            drifted={r.region for r in drifted},
            quiet=quiet,
            now=now,
            config_digest=digest,
            phase=phase,
        )
        if kept != verifications or verified.drift_seen:
            verified.save(kept)
    concurrency = deployment.max_concurrency
    if remember and drifted:  # the Map runs: bound it by the account's Lambda concurrency (new accounts: 10)
        account = try_account_concurrency(clients.client("lambda", deployment.home_region))
        concurrency = map_concurrency(deployment.max_concurrency, account)
    result = PlanResult(
        run_id=request.execution,
        source=source,
        nothing_to_do=the_plan.nothing_to_do,
        config=config.to_item(),
        config_version=config.version,
        config_digest=config.content_digest(),
        window=window.model_copy(update={"restarted": recorded is None or anchor.since != recorded.since}),
        phase=the_plan.phase,
        regions=drifted,
        unchanged_regions=sorted(({r.region for r in the_plan.regions} - {r.region for r in drifted}) | set(quiet)),
        verified_quietly=sorted(quiet),
        skipped_regions=the_plan.skipped_regions,
        update_control_center=the_plan.update_control_center,
        update_schedule=the_plan.update_schedule and deployment.schedule_name is not None,
        schedule_expression=the_plan.schedule_expression,
        max_concurrency=concurrency,
        observe_errors={name: str(seen.error) for name, seen in observed.regions.items() if seen.error},
        agents_in_service={
            name: asg.instances
            for name, asg in [
                *((r, seen.asg) for r, seen in observed.regions.items()),
                *((r, q.asg) for r, q in quiet.items()),
            ]
            if asg and asg.instances
        },
    )
    # read under this run's lease (only a skipped run may write the status item meanwhile), and still the item's
    # revision unless this Plan recorded a new window anchor: then the recording reads it again
    if remember and anchor == status.window_anchor:
        result._status = status
    return result


def observe_regions(
    clients: ClientFactory, deployment: Deployment, config: ConfigItem | None, regions: list[str]
) -> dict[str, ObservedRegion]:
    """Observe every region at once; one region's failure is recorded in its entry, never raised."""
    if not regions:
        return {}

    def one(region: str) -> ObservedRegion:
        return observe_region(clients, deployment, config, region)

    with ThreadPoolExecutor(max_workers=min(OBSERVE_THREADS, len(regions))) as pool:
        return dict(zip(regions, pool.map(one, regions), strict=True))


def quiet_matches(
    clients: ClientFactory, deployment: Deployment, last: dict[str, Verification]
) -> dict[str, QuietRead]:
    """The regions whose group and security groups read as they were at their last full verification."""
    if not last:
        return {}

    def one(region: str) -> QuietRead | None:
        return quiet_read(clients, deployment, region)

    with ThreadPoolExecutor(max_workers=min(OBSERVE_THREADS, len(last))) as pool:
        read = dict(zip(last, pool.map(one, last), strict=True))
    return {r: q for r, q in read.items() if q is not None and q.fingerprint == last[r].fingerprint}


def plan_summary(result: PlanResult) -> dict[str, Any]:
    """A short, log-friendly view of a plan (no config body)."""
    return {
        "run_id": result.run_id,
        "skipped": result.skipped,
        "nothing_to_do": result.nothing_to_do,
        "drifted": [r.region for r in result.regions],
        "unchanged": len(result.unchanged_regions),
        "not_enabled": result.skipped_regions,
        "update_control_center": result.update_control_center,
        "update_schedule": result.update_schedule,
    }
