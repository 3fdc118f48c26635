"""The launch template: its default version is the group's, built from the config (`template_content`).

Plan reads it through the group: its default version and the version the group uses, each with its
content (one DescribeLaunchTemplateVersions). A version's description is the digest of the content
it was built from; versions are immutable, so a matching digest plus matching content shows the
reconciler made it from this config. The content is compared field by field except the AMI id,
which only SSM knows (looking it up on every run would cost two more reads per region, and a newer
AMI alone is no reason to roll the fleet). The trade-off: a hand-made version that copies the
description and changes only the AMI is not noticed.

A rebuild reuses a version whose digest and content match; otherwise it makes a new version (the
AMI looked up only then) and makes it the default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from p2p_core import names
from p2p_core.config.instance import InstanceSettings
from p2p_core.models.observed import ObservedLaunchTemplate, ObservedTemplateVersion
from p2p_core.reconciler.errors import is_gone
from p2p_core.reconciler.refresh import group_version, launch_template_spec
from p2p_core.resources.kind import (
    OBSERVE_POLICY,
    READ_UBUNTU_AMIS,
    RECONCILE_POLICY,
    Building,
    Deletion,
    Grant,
    Raw,
    Reading,
    ResourceKind,
    Verifying,
    changes,
    reads,
    sorted_by,
    tagged_create,
)
from p2p_core.resources.template_content import (
    ami_parameter,
    template_data,
    template_differences,
    template_digest,
    template_settings,
)

if TYPE_CHECKING:
    from p2p_core.reconciler.context import RegionContext


def template_of(versions: list[Raw]) -> ObservedLaunchTemplate:
    """DescribeLaunchTemplateVersions entries of one template."""
    observed = {
        int(v["VersionNumber"]): ObservedTemplateVersion(
            number=int(v["VersionNumber"]),
            description=v.get("VersionDescription") or "",
            default=bool(v.get("DefaultVersion")),
            data=v.get("LaunchTemplateData") or {},
        )
        for v in versions
    }
    default = next((n for n, v in observed.items() if v.default), None)
    return ObservedLaunchTemplate(
        template_id=versions[0]["LaunchTemplateId"],
        name=versions[0]["LaunchTemplateName"],
        default_version=default,
        versions=sorted(observed.values(), key=lambda v: v.number),
    )


def drifts(v: Verifying) -> list[str]:
    """Gone, another template, the group off the default version, a default not built from the config."""
    asg, template, seen = v.asg, v.seen.launch_template, v.seen
    if asg is None or v.vpc is None:
        return []
    if template is None:
        return ["launch template: gone"]
    ours = names.launch_template_name(v.build.stack)
    if template.name != ours:
        return [f"Auto Scaling group: launches from launch template {template.name}, not {ours}"]
    found = []
    if asg.template_version != str(template.default_version):
        found.append(
            f"Auto Scaling group: launches version {asg.template_version}, not the default {template.default_version}"
        )
    version = template.version(template.default_version)
    groups = [g for g in seen.network.security_groups if g.vpc_id == v.vpc.vpc_id]
    if version is None or not groups:
        return found
    settings = template_settings(v.config, v.build, seen.region, groups[0].group_id)
    head = f"launch template default version {version.number}"
    if version.description != template_digest(settings, v.config.instance):
        made = "built from other settings" if version.description.startswith("p2p ") else "not made by p2p"
        found.append(f"{head}: {made}")
    return found + [f"{head}: {difference}" for difference in template_differences(version.data, settings)]


def _describe(ctx: RegionContext) -> list[Raw]:
    return sorted_by(ctx.ec2.describe_launch_templates(Filters=ctx.filters())["LaunchTemplates"], "LaunchTemplateId")


def _seen(raws: list[Raw]) -> ObservedLaunchTemplate | None:
    templates = [
        ObservedLaunchTemplate(
            template_id=t["LaunchTemplateId"],
            name=t["LaunchTemplateName"],
            default_version=t.get("DefaultVersionNumber"),
        )
        for t in raws
    ]
    return templates[0] if templates else None


def read_template(r: Reading) -> ObservedLaunchTemplate | None:
    """The group's launch template: its default version and the version the group uses, with their content."""
    spec = launch_template_spec(r.group)
    if "LaunchTemplateId" not in spec:
        return None
    wanted = list(dict.fromkeys(["$Default", str(spec.get("Version") or "$Default")]))
    attempts = [wanted] if wanted == ["$Default"] else [wanted, ["$Default"]]
    for versions in attempts:  # the group's version may have been deleted by hand
        try:
            found = r.ctx.ec2.describe_launch_template_versions(
                LaunchTemplateId=spec["LaunchTemplateId"], Versions=versions
            )
        except ClientError as exc:
            if not is_gone(exc):
                raise
            continue
        read = found["LaunchTemplateVersions"]
        if read:
            return template_of(read)
    return None


def ensure(b: Building) -> None:
    """The template's default version built from the config; the group's version kept when it is that."""
    ctx, config = b.ctx, b.config
    in_use = group_version(b.existing_group or {})
    settings = template_settings(config, b.build, ctx.region, b.security_group_id)
    digest = template_digest(settings, config.instance)
    existing = b.found.launch_templates[0] if b.found.launch_templates else None
    if existing is None:
        data = _with_image(ctx, config.instance, settings)
        made = ctx.ec2.create_launch_template(
            LaunchTemplateName=ctx.launch_template_name,
            ClientToken=ctx.token("launch-template", b.security_group_id, data["ImageId"], digest),
            VersionDescription=digest,
            LaunchTemplateData=data,
            TagSpecifications=ctx.tag_spec("launch-template"),
        )["LaunchTemplate"]
        ctx.did(f"created launch template {made['LaunchTemplateId']}")
        b.template = (str(made["LaunchTemplateId"]), int(made["LatestVersionNumber"]))
        return
    template_id = str(existing["LaunchTemplateId"])
    # the group's version first (nothing to roll), then the default, then the latest (a run that died
    # between making a version and making it the default)
    candidates = _versions(ctx, template_id, [in_use or "$Default", "$Default", "$Latest"])
    ours = [v for v in candidates if v.description == digest and not template_differences(v.data, settings)]
    if ours:
        version = ours[0]
    else:
        next_version = max([int(existing.get("LatestVersionNumber", 0)), *(v.number for v in candidates)]) + 1
        data = _with_image(ctx, config.instance, settings)
        made_version = ctx.ec2.create_launch_template_version(
            LaunchTemplateId=template_id,
            ClientToken=ctx.token(template_id, next_version, data["ImageId"], digest),
            VersionDescription=digest,
            LaunchTemplateData=data,
        )["LaunchTemplateVersion"]
        version = ObservedTemplateVersion(number=int(made_version["VersionNumber"]), description=digest)
        ctx.did(f"created launch template version {version.number}")
    if not version.default:
        ctx.ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion=str(version.number))
        ctx.did(f"made launch template version {version.number} the default")
    b.template = (template_id, version.number)


def _versions(ctx: RegionContext, template_id: str, wanted: list[str]) -> list[ObservedTemplateVersion]:
    """The versions `wanted` names, in that order without repeats (a version deleted by hand is skipped)."""
    asked = list(dict.fromkeys(wanted))
    try:
        found = ctx.ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=asked)
    except ClientError as exc:
        if not is_gone(exc) or asked[0] == "$Default":
            raise
        return _versions(ctx, template_id, asked[1:])
    read = template_of(found["LaunchTemplateVersions"]) if found["LaunchTemplateVersions"] else None
    by_name = {str(v.number): v for v in read.versions} if read else {}
    if read is not None and read.default_version is not None:
        by_name["$Default"] = by_name[str(read.default_version)]
    if read is not None and read.versions:
        by_name["$Latest"] = max(read.versions, key=lambda v: v.number)
    ordered = [by_name[n] for n in asked if n in by_name]
    return list({v.number: v for v in ordered}.values())


def _with_image(ctx: RegionContext, instance: InstanceSettings, settings: dict[str, Any]) -> dict[str, Any]:
    """The LaunchTemplateData to send: the current AMI of the OS (SSM) and its root device name."""
    ami = ctx.ssm.get_parameter(Name=ami_parameter(instance))["Parameter"]["Value"]
    image = ctx.ec2.describe_images(ImageIds=[ami])["Images"][0]
    return template_data(settings, ami, image.get("RootDeviceName", "/dev/sda1"))


def _deletions(raw: Raw) -> list[Deletion]:
    lt_id = raw["LaunchTemplateId"]
    return [Deletion(f"deleted launch template {lt_id}", "delete_launch_template", {"LaunchTemplateId": lt_id})]


KIND = ResourceKind(
    key="launch_templates",
    words="launch template",
    id_field="LaunchTemplateId",
    client="ec2",
    observed="launch_template",
    describe=_describe,
    seen=_seen,
    read=read_template,
    drifts=drifts,
    ensure=ensure,
    deletions=_deletions,
    created=("create_launch_template", ("LaunchTemplate", "LaunchTemplateId")),
    grants=(
        reads("ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeImages"),
        Grant(OBSERVE_POLICY, READ_UBUNTU_AMIS, ("ssm:GetParameter",)),
        *tagged_create("CreateLaunchTemplate", "launch-template/*"),
        changes("ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:DeleteLaunchTemplate"),
        Grant(RECONCILE_POLICY, "PassAgentRole", ("iam:PassRole",)),
    ),
)
