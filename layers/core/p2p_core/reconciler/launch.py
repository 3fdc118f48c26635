"""Log group and launch template (AMI from the public SSM parameter of the chosen OS).

The template's default version is the one the group launches. A version is reused when its
description is the digest of the wanted content and its content matches (`p2p_core.verify`);
otherwise a new version is made from the config and made the default. The AMI is looked up only
then, so a template is never rebuilt just because a newer AMI exists.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from p2p_core.config.instance import InstanceSettings
from p2p_core.config.model import ConfigItem, LogSettings
from p2p_core.models.observed import ObservedTemplateVersion
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.described import template_of
from p2p_core.reconciler.errors import is_gone
from p2p_core.reconciler.observe import Found
from p2p_core.verify_template import template_differences
from p2p_core.wanted import BuildInputs, ami_parameter, template_data, template_digest, template_settings


def ensure_log_group(ctx: RegionContext, found: Found, logs: LogSettings) -> None:
    """The agents' log group with the configured retention (left alone when logs are disabled)."""
    if not logs.enabled:
        return
    if not found.log_groups:
        ctx.logs.create_log_group(logGroupName=ctx.log_group, tags=ctx.tag_map())
        ctx.did(f"created log group {ctx.log_group}")
    elif found.log_groups[0].get("retentionInDays") == logs.retention_days:
        return
    ctx.logs.put_retention_policy(logGroupName=ctx.log_group, retentionInDays=logs.retention_days)
    ctx.did(f"set log retention to {logs.retention_days} days")


def ensure_launch_template(
    ctx: RegionContext,
    found: Found,
    config: ConfigItem,
    build: BuildInputs,
    *,
    security_group_id: str,
    in_use: str | None,
) -> tuple[str, int]:
    """(template id, version): the default version, built from the config; `in_use` = the group's version."""
    settings = template_settings(config, build, ctx.region, security_group_id)
    digest = template_digest(settings, config.instance)
    existing = found.launch_templates[0] if found.launch_templates else None
    if existing is None:
        data = _with_image(ctx, config.instance, settings)
        made = ctx.ec2.create_launch_template(
            LaunchTemplateName=ctx.launch_template_name,
            ClientToken=ctx.token("launch-template", security_group_id, data["ImageId"], digest),
            VersionDescription=digest,
            LaunchTemplateData=data,
            TagSpecifications=ctx.tag_spec("launch-template"),
        )["LaunchTemplate"]
        ctx.did(f"created launch template {made['LaunchTemplateId']}")
        return str(made["LaunchTemplateId"]), int(made["LatestVersionNumber"])
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
    return template_id, version.number


def _versions(ctx: RegionContext, template_id: str, wanted: list[str]) -> list[ObservedTemplateVersion]:
    """The versions `wanted` names, in that order without repeats (a version deleted by hand is skipped)."""
    names = list(dict.fromkeys(wanted))
    try:
        found = ctx.ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=names)
    except ClientError as exc:
        if not is_gone(exc) or names[0] == "$Default":
            raise
        return _versions(ctx, template_id, names[1:])
    read = template_of(found["LaunchTemplateVersions"]) if found["LaunchTemplateVersions"] else None
    by_name = {str(v.number): v for v in read.versions} if read else {}
    if read is not None and read.default_version is not None:
        by_name["$Default"] = by_name[str(read.default_version)]
    if read is not None and read.versions:
        by_name["$Latest"] = max(read.versions, key=lambda v: v.number)
    ordered = [by_name[n] for n in names if n in by_name]
    return list({v.number: v for v in ordered}.values())


def _with_image(ctx: RegionContext, instance: InstanceSettings, settings: dict[str, Any]) -> dict[str, Any]:
    """The LaunchTemplateData to send: the current AMI of the OS (SSM) and its root device name."""
    ami = ctx.ssm.get_parameter(Name=ami_parameter(instance))["Parameter"]["Value"]
    image = ctx.ec2.describe_images(ImageIds=[ami])["Images"][0]
    return template_data(settings, ami, image.get("RootDeviceName", "/dev/sda1"))
