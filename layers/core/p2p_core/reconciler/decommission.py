"""Remove a region's managed resources in reverse registry order (`ResourceKind.deletions`), so nothing is left to bill.

When something the stack did not make keeps its VPC alive (a hand-made subnet or ENI), each run
names it with the command that removes it, and counts the runs it blocked in a tag on the VPC:
after `BLOCKED_RUNS_LIMIT` runs the region fails (an alarm fires) instead of waiting forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.reconciler.context import RegionContext, tag_dict
from p2p_core.reconciler.errors import ReconcileError, error_code, is_gone
from p2p_core.reconciler.leftovers import foreign_in_vpcs, terminate_own_instances
from p2p_core.resources.kind import Found
from p2p_core.resources.registry import REGISTRY

BLOCKED_RUNS_TAG = "p2p:blocked-runs"
BLOCKED_RUNS_LIMIT = 3
DECOMMISSION_BLOCKED = "DecommissionBlocked"


class _StillInUse(Exception):
    """A resource another one still depends on (instances are still terminating)."""


def decommission(ctx: RegionContext, found: Found) -> bool:
    """Delete everything found; False when AWS still holds a dependency (the next run continues)."""
    try:
        _delete_all(ctx, found)
    except _StillInUse as exc:
        blockers = foreign_in_vpcs(ctx, found)
        if not blockers:  # the stack's own instances are still terminating
            ctx.actions.insert(0, f"waiting: {exc}; the next run continues")  # why first: it is what is left
            return False
        named = "; ".join(b.words() for b in blockers)
        runs = _count_blocked_run(ctx, found)
        if runs >= BLOCKED_RUNS_LIMIT:
            raise ReconcileError(
                DECOMMISSION_BLOCKED, f"{exc} for {runs} runs, blocked by what the stack did not make: {named}"
            ) from None
        ctx.actions.insert(
            0, f"waiting: {exc}, blocked by {named} (run {runs} of {BLOCKED_RUNS_LIMIT} before it fails)"
        )
        return False
    return True


def _count_blocked_run(ctx: RegionContext, found: Found) -> int:
    """This run's number among the runs the VPC's deletion was blocked (kept in a tag on the VPC)."""
    vpc = found.vpcs[0]
    try:
        runs = int(tag_dict(vpc.get("Tags")).get(BLOCKED_RUNS_TAG, "0")) + 1
    except ValueError:  # a tag edited by hand counts from the start
        runs = 1
    ctx.ec2.create_tags(Resources=[vpc["VpcId"]], Tags=[{"Key": BLOCKED_RUNS_TAG, "Value": str(runs)}])
    return runs


def _delete_all(ctx: RegionContext, found: Found) -> None:
    """Every type's deletions in reverse registry order; the instances outside a group right after the groups."""
    for kind in reversed(REGISTRY):
        client = getattr(ctx, kind.client)
        for raw in found.of(kind.key):
            for step in kind.deletions(raw):
                _gone_ok(ctx, step.action, getattr(client, step.method), **step.kwargs)
        if kind.holds_instances:
            terminate_own_instances(ctx, found)  # one detached from its group by hand would keep the network alive


def _gone_ok(ctx: RegionContext, action: str, call: Callable[..., Any], **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except ClientError as exc:
        if is_gone(exc):
            return
        if error_code(exc) in {"DependencyViolation", "ResourceInUse", "ScalingActivityInProgress"}:
            raise _StillInUse(f"{action.split(' ', 1)[1]} is still in use") from exc
        raise
    ctx.did(action)
