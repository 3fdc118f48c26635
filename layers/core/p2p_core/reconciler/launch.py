"""Log group and launch template (AMI from the public SSM parameter of the chosen OS)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from p2p_core.config import ConfigItem, LogSettings
from p2p_core.instance import InstanceSettings
from p2p_core.reconciler.context import RegionContext
from p2p_core.reconciler.observe import Found

_UBUNTU = "/aws/service/canonical/ubuntu/server/{release}/stable/current/{arch}/hvm/{disk}/ami-id"
# Canonical publishes 24.04 on gp3 root volumes and 22.04 on gp2
_DISK = {"24.04": "ebs-gp3", "22.04": "ebs-gp2"}
_ARCH = {"x86_64": "amd64", "arm64": "arm64"}
TAGGED_AT_LAUNCH = ("instance", "volume", "network-interface")


def ami_parameter(instance: InstanceSettings) -> str:
    """The public SSM parameter that names the current AMI for the OS and architecture."""
    release = instance.os.removeprefix("ubuntu-")
    return _UBUNTU.format(release=release, arch=_ARCH[instance.architecture], disk=_DISK[release])


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
    *,
    security_group_id: str,
    infrastructure_hash: str,
    user_data: str,
    instance_profile_arn: str | None,
) -> tuple[str, int]:
    """(template id, version) whose latest version was built from `infrastructure_hash`."""
    existing = found.launch_templates[0] if found.launch_templates else None
    if existing is not None:
        latest = ctx.ec2.describe_launch_template_versions(
            LaunchTemplateId=existing["LaunchTemplateId"], Versions=["$Latest"]
        )["LaunchTemplateVersions"][0]
        # the version description records the hash it was built from, so a retried run reuses it
        if latest.get("VersionDescription") == infrastructure_hash:
            return str(existing["LaunchTemplateId"]), int(latest["VersionNumber"])
    data = template_data(ctx, config, security_group_id, user_data, instance_profile_arn)
    content = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    if existing is None:
        made = ctx.ec2.create_launch_template(
            LaunchTemplateName=ctx.launch_template_name,
            ClientToken=ctx.token("launch-template", security_group_id, data["ImageId"], content),
            VersionDescription=infrastructure_hash,
            LaunchTemplateData=data,
            TagSpecifications=ctx.tag_spec("launch-template"),
        )["LaunchTemplate"]
        ctx.did(f"created launch template {made['LaunchTemplateId']}")
        return str(made["LaunchTemplateId"]), int(made["LatestVersionNumber"])
    next_version = int(latest["VersionNumber"]) + 1
    version = ctx.ec2.create_launch_template_version(
        LaunchTemplateId=existing["LaunchTemplateId"],
        ClientToken=ctx.token(existing["LaunchTemplateId"], next_version, data["ImageId"], content),
        VersionDescription=infrastructure_hash,
        LaunchTemplateData=data,
    )["LaunchTemplateVersion"]
    ctx.did(f"created launch template version {version['VersionNumber']}")
    return str(existing["LaunchTemplateId"]), int(version["VersionNumber"])


def template_data(
    ctx: RegionContext, config: ConfigItem, security_group_id: str, user_data: str, instance_profile_arn: str | None
) -> dict[str, Any]:
    """LaunchTemplateData: current AMI, IMDSv2 with instance tags, encrypted root volume, user data."""
    instance = config.instance
    ami = ctx.ssm.get_parameter(Name=ami_parameter(instance))["Parameter"]["Value"]
    image = ctx.ec2.describe_images(ImageIds=[ami])["Images"][0]
    data: dict[str, Any] = {
        "ImageId": ami,
        "InstanceType": instance.type,
        "SecurityGroupIds": [security_group_id],
        "MetadataOptions": {
            "HttpTokens": "required",
            "HttpEndpoint": "enabled",
            "InstanceMetadataTags": "enabled",
            # 2 hops so containers on the agent can still reach IMDS
            "HttpPutResponseHopLimit": 2,
        },
        "BlockDeviceMappings": [
            {
                "DeviceName": image.get("RootDeviceName", "/dev/sda1"),
                "Ebs": root_volume(instance),
            }
        ],
        "TagSpecifications": [{"ResourceType": kind, "Tags": ctx.tags()} for kind in TAGGED_AT_LAUNCH],
        "UserData": base64.b64encode(user_data.encode()).decode(),
    }
    if instance_profile_arn:
        data["IamInstanceProfile"] = {"Arn": instance_profile_arn}
    return data


def root_volume(instance: InstanceSettings) -> dict[str, Any]:
    """The root volume's Ebs settings: encrypted, deleted with the instance, provisioned IOPS when set."""
    ebs: dict[str, Any] = {
        "VolumeSize": instance.volume_size,
        "VolumeType": instance.volume_type,
        "Encrypted": True,
        "DeleteOnTermination": True,
    }
    if instance.iops is not None:
        ebs["Iops"] = instance.iops
    return ebs
