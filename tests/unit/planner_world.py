"""A pure stand-in for AWS: applies a Plan to an Observed, as a perfect reconciler would."""

from __future__ import annotations

from p2p_core.observed import Observed, ObservedAsg, ObservedRegion, WindowAnchor
from p2p_core.plan import Plan, RegionPlan


def apply_region(seen: ObservedRegion, step: RegionPlan) -> ObservedRegion | None:
    """The region after the reconciler carried out `step`; None when decommissioned."""
    if step.decommission:
        return None
    asg = seen.asg
    if step.ensure_infrastructure and asg is None:
        asg = ObservedAsg(capacity=step.initial_capacity)
    assert asg is not None, "a region plan that needs an ASG must ensure infrastructure"
    capacity = step.capacity or asg.capacity
    kept = {a.name: a for a in asg.scheduled_actions if a.name not in step.delete_actions}
    kept.update({a.name: a for a in step.put_actions})
    actions = sorted(kept.values(), key=lambda a: a.name)
    return ObservedRegion(
        region=seen.region,
        exists=True,
        complete=True,
        infrastructure_hash=step.infrastructure_hash if step.ensure_infrastructure else seen.infrastructure_hash,
        asg=ObservedAsg(capacity=capacity, scheduled_actions=actions),
    )


def apply_plan(observed: Observed, plan: Plan) -> Observed:
    """Observed after every drifted region was reconciled and the schedule/control center updated."""
    regions = dict(observed.regions)
    managed = set(observed.managed_regions)
    for step in plan.drifted:
        after = apply_region(observed.region(step.region), step)
        if after is None:
            regions.pop(step.region, None)
            managed.discard(step.region)
        else:
            regions[step.region] = after
            managed.add(step.region)
    return observed.model_copy(
        update={
            "regions": regions,
            "managed_regions": sorted(managed),
            "schedule_expression": plan.schedule_expression,
            "window_anchor": WindowAnchor(digest=plan.window_digest, since=plan.anchor),  # as Plan records it
        }
    )
