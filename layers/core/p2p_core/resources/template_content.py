"""What the launch template's content should be (from the config alone), and how a version's content differs.

Pure. `template_settings` is the LaunchTemplateData the config asks for, but for the AMI id and the
root device name, which only EC2 and SSM know (`template_data` adds them); `template_digest` is
the version description that shows a version was built from exactly that content.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from p2p_core.config import ConfigItem
from p2p_core.config.instance import UBUNTU_ARCH, InstanceSettings
from p2p_core.config.network import NetworkSettings
from p2p_core.config.validation import show_value
from p2p_core.wanted import BuildInputs, managed_tags

TAGGED_AT_LAUNCH = ("instance", "volume", "network-interface")
_UBUNTU = "/aws/service/canonical/ubuntu/server/{release}/stable/current/{arch}/hvm/{disk}/ami-id"
# Canonical publishes 24.04 on gp3 root volumes and 22.04 on gp2
_DISK = {"24.04": "ebs-gp3", "22.04": "ebs-gp2"}
_IGNORED_KEYS = {"ImageId"}  # the AMI SSM named when the version was made


def ami_parameter(instance: InstanceSettings) -> str:
    """The public SSM parameter that names the current AMI for the OS and architecture."""
    release = instance.os.removeprefix("ubuntu-")
    return _UBUNTU.format(release=release, arch=UBUNTU_ARCH[instance.architecture], disk=_DISK[release])


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


def template_settings(config: ConfigItem, build: BuildInputs, region: str, security_group_id: str) -> dict[str, Any]:
    """LaunchTemplateData as the config asks for it, except the AMI id and the root device name.

    Those two only EC2 and SSM know (the current AMI of the OS); `template_data` adds them.
    IMDSv2 with instance tags, encrypted root volume, the agents' tags at launch, the user data.
    """
    tags = [{"Key": k, "Value": v} for k, v in managed_tags(build.stack, region).items()]
    settings: dict[str, Any] = {
        "InstanceType": config.instance.type,
        **_interfaces(config.network, security_group_id),
        "MetadataOptions": {
            "HttpTokens": "required",
            "HttpEndpoint": "enabled",
            "InstanceMetadataTags": "enabled",
            # 2 hops so containers on the agent can still reach IMDS
            "HttpPutResponseHopLimit": 2,
        },
        "BlockDeviceMappings": [{"Ebs": root_volume(config.instance)}],
        "TagSpecifications": [{"ResourceType": kind, "Tags": tags} for kind in TAGGED_AT_LAUNCH],
        "UserData": _b64(build.user_data),
    }
    if build.instance_profile_arn:
        settings["IamInstanceProfile"] = {"Arn": build.instance_profile_arn}
    return settings


def _interfaces(network: NetworkSettings, security_group_id: str) -> dict[str, Any]:
    """The group, and without a public IPv4 address an interface with one IPv6 address instead.

    EC2 takes the groups either on the template or on its interfaces, never both; the plain form
    stays for dual stack, so templates made before `public_ipv4` existed keep their digest.
    """
    if network.public_ipv4:
        return {"SecurityGroupIds": [security_group_id]}
    interface = {
        "DeviceIndex": 0,
        "AssociatePublicIpAddress": False,
        "Ipv6AddressCount": 1,
        "Groups": [security_group_id],
        "DeleteOnTermination": True,
    }
    return {"NetworkInterfaces": [interface]}


def template_data(settings: dict[str, Any], image_id: str, root_device: str) -> dict[str, Any]:
    """The LaunchTemplateData to send: the settings with the AMI and its root device name."""
    mappings = [{"DeviceName": root_device, **m} for m in settings["BlockDeviceMappings"]]
    return {"ImageId": image_id, **settings, "BlockDeviceMappings": mappings}


def template_digest(settings: dict[str, Any], instance: InstanceSettings) -> str:
    """The version description of a version built from `settings` and the AMI of `instance`'s OS.

    EC2 versions are immutable, so a version carrying the digest was made from exactly this content
    (the AMI as SSM named it when the version was made). With purchase settings (`instance.market`,
    `types`, ...) the digest covers them too: the content is the same, but a change of them makes a new
    version, so the instance refresh (SkipMatching compares versions, not markets) replaces the
    instances bought the old way.
    """
    body: dict[str, Any] = {"settings": settings, "ami": ami_parameter(instance)}
    buying = instance.buying()
    if buying is not None:  # so instances launched under other purchase settings are on an older version: refreshed
        body["buying"] = [list(buying.types), buying.spot, buying.on_demand_base, buying.spot_allocation]
    text = json.dumps(body, sort_keys=True)
    return "p2p " + hashlib.sha256(text.encode()).hexdigest()[:16]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def template_differences(data: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    """How a version's LaunchTemplateData differs from `settings` (all but the AMI id), in words."""
    out = []
    for key in sorted((set(data) | set(settings)) - _IGNORED_KEYS):
        if key not in settings:
            out.append(f"{key} set by hand")
        elif key not in data:
            out.append(f"{key} missing")
        elif not _covers(_normal(key, data[key]), _normal(key, settings[key])):
            have, want = data[key], settings[key]
            scalar = isinstance(want, str | int | bool) and key != "UserData"
            out.append(f"{key} {show_value(have)}, want {show_value(want)}" if scalar else f"{key} differs")
    return out


def _normal(key: str, value: Any) -> Any:
    if key == "SecurityGroupIds":
        return sorted(value)
    if key == "NetworkInterfaces":  # the groups in any order
        return [{**i, "Groups": sorted(i["Groups"])} if "Groups" in i else i for i in value]
    if key == "BlockDeviceMappings":  # the root device name comes with the AMI
        return [{k: v for k, v in m.items() if k != "DeviceName"} for m in value]
    if key == "TagSpecifications":  # what instances get; moto also lists the template's own tags here
        return {
            s["ResourceType"]: {t["Key"]: t["Value"] for t in s["Tags"]}
            for s in value
            if s["ResourceType"] != "launch-template"
        }
    return value


def _covers(have: Any, want: Any) -> bool:
    # what we set must be there as we set it; EC2 may add defaults to a structure, never change ours
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _covers(have[k], v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(have) == len(want) and all(map(_covers, have, want))
    return bool(have == want)
