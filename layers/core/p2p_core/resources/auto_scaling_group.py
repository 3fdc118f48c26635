"""The Auto Scaling group: on the default template version, across the fleet's subnets, tagged with its settings.

Plan reads the group first (one tag-filtered describe): its launch template, subnets, sizes, tags,
purchase settings and instances come with it, its p2p scheduled actions with one more read
(`group_capacity`). Without a live group the region is being created or was damaged, and every
type is described. The instance types the region does not offer were recorded on the group
(p2p:types-not-offered) when Plan last read the offerings, so a no-op run reads no offerings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from p2p_core import INFRA_TAG, NOT_OFFERED_TAG, ZONES_TAG
from p2p_core.config.validation import show_value
from p2p_core.market import Buying, policy_settings, purchase_drifts, recorded_not_offered, region_buying
from p2p_core.models.observed import CapacityTarget, ObservedAsg
from p2p_core.reconciler.context import tag_dict
from p2p_core.reconciler.launch_failures import live_instances
from p2p_core.reconciler.refresh import group_version, instance_versions, launch_template_spec
from p2p_core.resources.group_capacity import capacity_of, capacity_words, read_actions, sizes
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
from p2p_core.wanted import managed_tags

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext

DELETING = "Delete in progress"


def group_tags(
    stack: str, region: str, infrastructure_hash: str, zones: list[str], not_offered: list[str] | None = None
) -> dict[str, str]:
    """The group's tags: the managed ones, the settings it was built from and its zones.

    A group buying over several instance types (`not_offered` not None) also records the types its
    region does not offer, so verification knows which overrides were dropped on purpose.
    """
    tags = {**managed_tags(stack, region), INFRA_TAG: infrastructure_hash, ZONES_TAG: " ".join(sorted(zones))}
    if not_offered is not None:
        tags[NOT_OFFERED_TAG] = " ".join(not_offered)
    return tags


def asg_of(raw: Raw) -> ObservedAsg:
    """A DescribeAutoScalingGroups entry (its scheduled actions are read apart)."""
    template = launch_template_spec(raw)
    mixed = policy_settings(raw.get("MixedInstancesPolicy"))
    return ObservedAsg(
        capacity=capacity_of(raw),
        instances=live_instances(raw),
        name=raw["AutoScalingGroupName"],
        template_id=template.get("LaunchTemplateId"),
        template_name=template.get("LaunchTemplateName"),
        template_version=group_version(raw),
        instance_versions=instance_versions(raw),
        subnet_ids=sorted(s for s in raw.get("VPCZoneIdentifier", "").split(",") if s),
        tags=tag_dict(raw.get("Tags")),
        policy_types=list(mixed[0]) if mixed else None,
        distribution=mixed[1] if mixed else {},
        capacity_rebalance=bool(raw.get("CapacityRebalance")),
        suspended_processes=sorted(str(p["ProcessName"]) for p in raw.get("SuspendedProcesses") or []),
    )


def live_asgs(asgs: list[Raw]) -> list[Raw]:
    """Groups not already being deleted."""
    return [a for a in asgs if a.get("Status") != DELETING]


def find_asgs(ctx: RegionContext) -> list[Raw]:
    """The stack's groups in the region: one call, filtered by tags server-side."""
    pages = ctx.autoscaling.get_paginator("describe_auto_scaling_groups").paginate(Filters=ctx.filters())
    return sorted((g for page in pages for g in page["AutoScalingGroups"]), key=lambda g: g["AutoScalingGroupName"])


def recorded_zones(asg: ObservedAsg | None) -> list[str] | None:
    """The zones the group was built for (its p2p:zones tag); None when unknown."""
    text = asg.tags.get(ZONES_TAG) if asg else None
    return text.split() if text else None


def suspended_words(processes: list[str]) -> str:
    """`processes suspended by hand: Launch, Terminate`."""
    return f"processes suspended by hand: {', '.join(sorted(processes))}"


def drifts(v: Verifying) -> list[str]:
    """Gone, built from other settings, processes suspended, its tags, its purchase settings."""
    asg = v.asg
    if asg is None:
        return ["Auto Scaling group: gone"]
    found = []
    if asg.tags.get(INFRA_TAG) != v.infrastructure_hash:
        found.append("settings changed since the region was built (instance, network, logs or agent)")
    if ZONES_TAG not in asg.tags:
        found.append(f"Auto Scaling group: tag {ZONES_TAG} missing")
    if asg.suspended_processes:  # the control plane never suspends any: Launch suspended stops the fleet
        found.append(f"Auto Scaling group: {suspended_words(asg.suspended_processes)}")
    for key, value in managed_tags(v.build.stack, v.seen.region).items():
        have = asg.tags.get(key)
        if have != value:
            found.append(f"Auto Scaling group: tag {key} is {show_value(have) if have else 'missing'}, want {value}")
    want = region_buying(v.config.instance.buying(), recorded_not_offered(asg.tags))
    return found + purchase_drifts(want, asg.policy_types, asg.distribution, asg.capacity_rebalance)


def _seen(raws: list[Raw]) -> ObservedAsg | None:
    live = live_asgs(raws)
    return asg_of(live[0]) if live else None


def read_asg(ctx: RegionContext, asg: Raw) -> ObservedAsg:
    """The group with its p2p scheduled actions (one describe call)."""
    return asg_of(asg).model_copy(update={"scheduled_actions": read_actions(ctx, asg["AutoScalingGroupName"])})


def _read(r: Reading) -> ObservedAsg:
    return read_asg(r.ctx, r.group)


def ensure(b: Building) -> None:
    """The group on the template version (its running instances told to follow), in the subnets, with its tags."""
    existing, step = b.existing_group, b.plan
    if existing is not None:
        b.rollout.before_group_follows(existing, str(b.template[1]))
    # a new group starts at the planned capacity, so no separate capacity call follows
    b.group_name = ensure_asg(
        b.ctx,
        existing,
        b.subnet_ids,
        sorted(b.subnets),
        b.template,
        infrastructure_hash=step.infrastructure_hash,
        initial=step.initial_capacity,
        capacity=step.capacity if existing is not None else None,
        buying=b.buying,
        not_offered=b.not_offered,
    )


def ensure_asg(
    ctx: RegionContext,
    existing: Raw | None,
    subnet_ids: list[str],
    zones: list[str],
    template: tuple[str, int],
    *,
    infrastructure_hash: str,
    initial: CapacityTarget,
    capacity: CapacityTarget | None,
    buying: Buying | None = None,
    not_offered: list[str] | None = None,
) -> str:
    """The group on the template version (in its MixedInstancesPolicy when `buying`), in the subnets, with its tags.

    `buying` is the region's purchase settings (None: a plain launch-template group, as before Spot
    existed); `not_offered` the configured types the region does not offer, recorded as a tag.
    """
    template_id, version = template
    spec = {"LaunchTemplateId": template_id, "Version": str(version)}
    joined = ",".join(subnet_ids)
    wanted = group_tags(ctx.stack, ctx.region, infrastructure_hash, zones, (not_offered or []) if buying else None)
    if existing is None:
        ctx.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=ctx.name,
            **launch_source(spec, buying),
            VPCZoneIdentifier=joined,
            **sizes(capacity or initial),
            Tags=_asg_tags(ctx, wanted),
        )
        bought = f", {buying.words()}" if buying else ""
        ctx.did(f"created Auto Scaling group {ctx.name} ({capacity_words(capacity or initial)}{bought})")
        return ctx.name
    name = str(existing["AutoScalingGroupName"])
    update: dict[str, Any] = {}
    seen = asg_of(existing)
    purchase = purchase_drifts(buying, seen.policy_types, seen.distribution, seen.capacity_rebalance)
    follows = (seen.template_id, seen.template_version) == (template_id, str(version))
    if not follows or purchase:
        update.update(launch_source(spec, buying, rebalancing=seen.capacity_rebalance))
        if not follows:
            ctx.did(f"Auto Scaling group follows launch template version {version}")
        if purchase:
            ctx.did(f"Auto Scaling group buys {buying.words() if buying else 'on-demand from its launch template'}")
    if set(existing.get("VPCZoneIdentifier", "").split(",")) != set(subnet_ids):
        update["VPCZoneIdentifier"] = joined
        ctx.did(f"Auto Scaling group spans subnets {joined}")
    if capacity is not None:
        update.update(sizes(capacity))
        ctx.did(f"set capacity {capacity_words(capacity)}")
    if update:
        ctx.autoscaling.update_auto_scaling_group(AutoScalingGroupName=name, **update)
    if seen.suspended_processes:  # suspended by hand (Launch: no agent starts; Terminate: none stops)
        ctx.autoscaling.resume_processes(AutoScalingGroupName=name, ScalingProcesses=seen.suspended_processes)
        ctx.did(f"resumed {suspended_words(seen.suspended_processes)}")
    tags = tag_dict(existing.get("Tags"))
    if missing := {k: v for k, v in wanted.items() if tags.get(k) != v}:
        ctx.autoscaling.create_or_update_tags(Tags=_asg_tags(ctx, missing, name))
        ctx.did(f"tagged Auto Scaling group: {', '.join(sorted(missing))}")
    return name


def launch_source(spec: dict[str, str], buying: Buying | None, *, rebalancing: bool = False) -> dict[str, Any]:
    """What the group launches from: the template alone (as before Spot), or a MixedInstancesPolicy over it.

    Capacity Rebalancing follows Spot; a plain group has it sent (off) only when it is on.
    """
    if buying is None:
        return {"LaunchTemplate": spec, **({"CapacityRebalance": False} if rebalancing else {})}
    return {"MixedInstancesPolicy": buying.policy(spec), "CapacityRebalance": buying.spot}


def _asg_tags(ctx: RegionContext, tags: dict[str, str], name: str | None = None) -> list[dict[str, Any]]:
    # instances get their tags from the launch template, so group tags do not propagate
    return [
        {"ResourceId": name or ctx.name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v}
        | {"PropagateAtLaunch": False}
        for k, v in tags.items()
    ]


def _deletions(raw: Raw) -> list[Deletion]:
    if raw.get("Status") == DELETING:
        return []
    name = raw["AutoScalingGroupName"]
    zero = {"AutoScalingGroupName": name, "MinSize": 0, "MaxSize": 0, "DesiredCapacity": 0}
    return [  # scale to 0 first, so instances go even if the delete is interrupted
        Deletion(f"scaled {name} to 0", "update_auto_scaling_group", zero),
        Deletion(
            f"deleted Auto Scaling group {name}",
            "delete_auto_scaling_group",
            {"AutoScalingGroupName": name, "ForceDelete": True},
        ),
    ]


def _autoscaling(*actions: str) -> tuple[str, ...]:
    return tuple(f"autoscaling:{a}" for a in actions)


KIND = ResourceKind(
    key="asgs",
    words="Auto Scaling group",
    id_field="AutoScalingGroupName",
    client="autoscaling",
    observed="asg",
    describe=find_asgs,
    seen=_seen,
    read=_read,
    drifts=drifts,
    ensure=ensure,
    deletions=_deletions,
    holds_instances=True,
    report_rank=0,  # the group is the fleet: its drifts (settings changed, gone) lead the region's
    state_field="Status",
    grants=(
        reads(*_autoscaling("DescribeAutoScalingGroups", "DescribeScheduledActions")),
        reads(*_autoscaling("DescribeScalingActivities", "DescribeInstanceRefreshes")),
        Grant(RECONCILE_POLICY, "CreateTaggedGroups", ("autoscaling:CreateAutoScalingGroup",)),
        Grant(
            RECONCILE_POLICY,
            "ChangeOwnGroups",
            _autoscaling(
                "UpdateAutoScalingGroup",
                "DeleteAutoScalingGroup",
                "PutScheduledUpdateGroupAction",
                "DeleteScheduledAction",
                "CreateOrUpdateTags",
                "SetDesiredCapacity",
                "ResumeProcesses",
            ),
        ),
        Grant(RECONCILE_POLICY, "RefreshOwnGroups", _autoscaling("StartInstanceRefresh", "CancelInstanceRefresh")),
        Grant(RECONCILE_POLICY, "AutoScalingServiceRoleOnFirstUse", ("iam:CreateServiceLinkedRole",)),
        # a group launches through its template: instances are tagged at launch (RunInstances)
        Grant(RECONCILE_POLICY, "TagOnlyWhileCreating", ("ec2:CreateTags",), create_actions=("RunInstances",)),
        Grant(RECONCILE_POLICY, "LaunchOnlyFromOwnTemplates", ("ec2:RunInstances",), ("launch-template/*",)),
        Grant(
            RECONCILE_POLICY,
            "LaunchResourcesOnlyThroughATemplate",
            ("ec2:RunInstances",),
            ("instance/*", "volume/*", "network-interface/*", "image/*"),
        ),
    ),
)
