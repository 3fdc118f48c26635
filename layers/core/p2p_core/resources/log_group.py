"""The agents' CloudWatch log group, with the configured retention (left alone when logs are disabled)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from p2p_core import names
from p2p_core.models.observed import ObservedLogGroup
from p2p_core.resources.kind import (
    RECONCILE_POLICY,
    Building,
    Deletion,
    Grant,
    Raw,
    Reading,
    ResourceKind,
    Verifying,
    reads,
)

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext


def log_group_of(raw: Raw) -> ObservedLogGroup:
    """A DescribeLogGroups entry."""
    return ObservedLogGroup(name=raw["logGroupName"], retention_days=raw.get("retentionInDays"))


def drifts(v: Verifying) -> list[str]:
    """Gone, or another retention, when logs are on."""
    logs, seen = v.config.logs, v.seen.log_group
    if not logs.enabled:
        return []
    if seen is None:
        return [f"log group {names.agents_log_group(v.build.stack)}: gone"]
    if seen.retention_days != logs.retention_days:
        now = f"{seen.retention_days} days" if seen.retention_days else "never expires"
        return [f"log group retention {now}, want {logs.retention_days}"]
    return []


def _describe(ctx: RegionContext) -> list[Raw]:
    groups = ctx.logs.describe_log_groups(logGroupNamePrefix=ctx.log_group)["logGroups"]
    return [g for g in groups if g["logGroupName"] == ctx.log_group]


def _seen(raws: list[Raw]) -> ObservedLogGroup | None:
    return log_group_of(raws[0]) if raws else None


def _read(r: Reading) -> ObservedLogGroup | None:
    return _seen(_describe(r.ctx)) if r.logs_enabled else None


def ensure(b: Building) -> None:
    """The group with the configured retention, when logs are enabled."""
    ctx, logs, found = b.ctx, b.config.logs, b.found.log_groups
    if not logs.enabled:
        return
    if not found:
        ctx.logs.create_log_group(logGroupName=ctx.log_group, tags=ctx.tag_map())
        ctx.did(f"created log group {ctx.log_group}")
    elif found[0].get("retentionInDays") == logs.retention_days:
        return
    ctx.logs.put_retention_policy(logGroupName=ctx.log_group, retentionInDays=logs.retention_days)
    ctx.did(f"set log retention to {logs.retention_days} days")


def _deletions(raw: Raw) -> list[Deletion]:
    name = raw["logGroupName"]
    return [Deletion(f"deleted log group {name}", "delete_log_group", {"logGroupName": name})]


KIND = ResourceKind(
    key="log_groups",
    words="log group",
    id_field="logGroupName",
    client="logs",
    observed="log_group",
    describe=_describe,
    seen=_seen,
    read=_read,
    drifts=drifts,
    ensure=ensure,
    deletions=_deletions,
    report_rank=2,  # the agents' output: reported after what they run on
    grants=(
        reads("logs:DescribeLogGroups"),
        Grant(
            RECONCILE_POLICY,
            "AgentLogGroups",
            ("logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup", "logs:TagResource"),
        ),
    ),
)
