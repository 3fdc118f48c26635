"""The region's drift-event rule: an EventBridge rule on the default bus sending hand-made changes (and Auto
Scaling's launch failures, Spot warnings) to the home region's default bus (`p2p_core.drift_events`).

Every managed region but the home one has it; in the home region the template's own `DriftRule` matches the same
pattern, so a rule found there is removed. A deployment without drift routing (a stack from before drift events)
leaves rules alone. Its targets are compared by id, ARN and role; the pattern as parsed JSON.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from p2p_core.drift_events import drift_pattern, normalized
from p2p_core.models.observed import ObservedDriftRule, ObservedRuleTarget
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
from p2p_core.wanted import BuildInputs

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext

TARGET_ID = "home-bus"
DESCRIPTION = "p2p: hand-made changes of the fleet's region, to the control plane in its home region"


def wanted_rule(build: BuildInputs, region: str) -> ObservedDriftRule | None:
    """The rule the region should have, or None (the home region, or a deployment without drift routing)."""
    routing = build.drift
    if routing is None or region == routing.home_region:
        return None
    target = ObservedRuleTarget(target_id=TARGET_ID, arn=routing.home_bus_arn, role_arn=routing.forward_role_arn)
    return ObservedDriftRule(
        name=routing.rule_name,
        state="ENABLED",
        pattern=drift_pattern(build.stack, routing),
        targets=[target],
    )


def rule_of(raw: Raw) -> ObservedDriftRule:
    """A ListRules entry with its ListTargetsByRule answer under `Targets`."""
    try:
        pattern = json.loads(raw["EventPattern"]) if raw.get("EventPattern") else None
    except ValueError:
        pattern = None  # not JSON: differs from any wanted pattern
    return ObservedDriftRule(
        name=raw["Name"],
        state=raw.get("State", ""),
        pattern=pattern,
        targets=[
            ObservedRuleTarget(target_id=t["Id"], arn=t["Arn"], role_arn=t.get("RoleArn"))
            for t in sorted(raw.get("Targets", []), key=lambda t: str(t["Id"]))
        ],
    )


def differences(want: ObservedDriftRule | None, seen: ObservedDriftRule | None, *, managed: bool) -> list[str]:
    """How the rule differs from the wanted one, in operator words."""
    if not managed or (want is None and seen is None):
        return []
    if want is None:
        assert seen is not None
        return [f"drift-event rule {seen.name}: not wanted in the home region (the stack's DriftRule covers it)"]
    if seen is None:
        return [f"drift-event rule {want.name}: gone"]
    found = []
    if seen.state != want.state:
        found.append(f"drift-event rule {want.name}: {seen.state.lower() or 'no state'}, want enabled")
    if seen.pattern is None or normalized(seen.pattern) != normalized(want.pattern):
        found.append(f"drift-event rule {want.name}: its pattern was changed")
    if seen.targets != want.targets:
        found.append(f"drift-event rule {want.name}: delivers to {_targets(seen)}, want {_targets(want)}")
    return found


def _targets(rule: ObservedDriftRule) -> str:
    return ", ".join(t.arn for t in rule.targets) or "nothing"


def drifts(v: Verifying) -> list[str]:
    """Gone, disabled, another pattern or target; or there in the home region."""
    return differences(wanted_rule(v.build, v.seen.region), v.seen.drift_rule, managed=v.build.drift is not None)


def _describe(ctx: RegionContext) -> list[Raw]:
    if ctx.drift_rule is None:  # a deployment without drift routing: no rule of its own to look for
        return []
    name = ctx.drift_rule
    rules = [r for r in ctx.events.list_rules(NamePrefix=name)["Rules"] if r["Name"] == name]
    return [{**r, "Targets": ctx.events.list_targets_by_rule(Rule=name)["Targets"]} for r in rules]


def _seen(raws: list[Raw]) -> ObservedDriftRule | None:
    return rule_of(raws[0]) if raws else None


def _read(r: Reading) -> ObservedDriftRule | None:
    return _seen(_describe(r.ctx))


def ensure(b: Building) -> None:
    """The rule as wanted: created or put back (pattern, state, target); removed from the home region."""
    if b.build.drift is None:
        return
    ctx, found = b.ctx, b.found.drift_rules
    want = wanted_rule(b.build, ctx.region)
    if want is None:
        for raw in found:
            _delete(ctx, raw)
        return
    seen = _seen(found)
    if seen is None or seen.state != want.state or normalized(seen.pattern) != normalized(want.pattern):
        extra: dict[str, Any] = {"Tags": ctx.tags()} if seen is None else {}
        ctx.events.put_rule(
            Name=want.name,
            EventPattern=json.dumps(want.pattern, separators=(",", ":")),
            State=want.state,
            Description=DESCRIPTION,
            **extra,
        )
        ctx.did(f"{'created' if seen is None else 'put back'} the drift-event rule")  # one name in every region
    if seen is None or seen.targets != want.targets:
        unwanted = [t.target_id for t in (seen.targets if seen else []) if t.target_id != TARGET_ID]
        if unwanted:
            ctx.events.remove_targets(Rule=want.name, Ids=unwanted)
        target = want.targets[0]
        ctx.events.put_targets(
            Rule=want.name, Targets=[{"Id": target.target_id, "Arn": target.arn, "RoleArn": target.role_arn}]
        )
        ctx.did("pointed the drift-event rule at the home bus")  # short: the status item keeps every action


def _delete(ctx: RegionContext, raw: Raw) -> None:
    for deletion in _deletions(raw):
        getattr(ctx.events, deletion.method)(**deletion.kwargs)
        ctx.did(deletion.action)


def _deletions(raw: Raw) -> list[Deletion]:
    name, ids = raw["Name"], [t["Id"] for t in raw.get("Targets", [])]
    removal = [Deletion(f"removed the targets of rule {name}", "remove_targets", {"Rule": name, "Ids": ids})]
    return [*(removal if ids else []), Deletion(f"deleted drift-event rule {name}", "delete_rule", {"Name": name})]


KIND = ResourceKind(
    key="drift_rules",
    words="drift-event rule",
    id_field="Name",
    client="events",
    observed="drift_rule",
    describe=_describe,
    seen=_seen,
    read=_read,
    drifts=drifts,
    ensure=ensure,
    deletions=_deletions,
    report_rank=2,  # how the fleet's changes are seen: reported after what the agents run on
    grants=(
        reads("events:ListRules", "events:ListTargetsByRule"),
        Grant(
            RECONCILE_POLICY,
            "DriftEventRules",
            ("events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule", "events:TagResource"),
        ),
        Grant(RECONCILE_POLICY, "PassDriftForwardRole", ("iam:PassRole",)),
    ),
)
