"""What a region's resources should be, computed from the config alone: tags, rules, subnets, template.

Pure: the planner compares these with what it observed (`p2p_core.verify`), and the reconciler
builds from the same functions, so "what Plan checks" and "what ReconcileRegion makes" cannot drift
apart.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from p2p_core import INFRA_TAG, MANAGED_TAG, NOT_OFFERED_TAG, REGION_TAG, STACK_TAG, ZONES_TAG, names
from p2p_core.bootstrap.userdata import render_user_data
from p2p_core.config import ConfigItem
from p2p_core.config.instance import UBUNTU_ARCH, InstanceSettings
from p2p_core.config.network import NetworkSettings, subnet_prefix
from p2p_core.models.deployment import Deployment
from p2p_core.models.observed import SecurityRule

ANYWHERE = "0.0.0.0/0"
ANYWHERE_V6 = "::/0"
TAGGED_AT_LAUNCH = ("instance", "volume", "network-interface")
_UBUNTU = "/aws/service/canonical/ubuntu/server/{release}/stable/current/{arch}/hvm/{disk}/ami-id"
# Canonical publishes 24.04 on gp3 root volumes and 22.04 on gp2
_DISK = {"24.04": "ebs-gp3", "22.04": "ebs-gp2"}
SUBNET_IPV6_PREFIX = 64  # AWS gives a subnet exactly a /64 of the VPC's /56


class BuildInputs(BaseModel):
    """What a region is built from beside the config: the stack's name, the user data, the instance profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack: str
    user_data: str
    instance_profile_arn: str | None = None


def build_inputs(config: ConfigItem, deployment: Deployment) -> BuildInputs:
    """What this deployment builds regions from for `config` (the user data is rendered here)."""
    return BuildInputs(
        stack=deployment.stack_name,
        user_data=render_user_data(config, deployment),
        instance_profile_arn=deployment.instance_profile_arn,
    )


def managed_tags(stack: str, region: str, name: str | None = None) -> dict[str, str]:
    """The tags every managed resource carries (`name` defaults to the agents' name)."""
    return {STACK_TAG: stack, REGION_TAG: region, MANAGED_TAG: "true", "Name": name or names.agents_name(stack)}


def group_tags(
    stack: str, region: str, infrastructure_hash: str, zones: list[str], not_offered: list[str] | None = None
) -> dict[str, str]:
    """The Auto Scaling group's tags: the managed ones, the settings it was built from and its zones.

    A group buying over several instance types (`not_offered` not None) also records the types its
    region does not offer, so verification knows which overrides were dropped on purpose.
    """
    tags = {**managed_tags(stack, region), INFRA_TAG: infrastructure_hash, ZONES_TAG: " ".join(sorted(zones))}
    if not_offered is not None:
        tags[NOT_OFFERED_TAG] = " ".join(not_offered)
    return tags


def internet(network: NetworkSettings) -> tuple[str, ...]:
    """The internet as the region's routes and rules name it: 0.0.0.0/0, and ::/0 with `ipv6`."""
    return (ANYWHERE, ANYWHERE_V6) if network.ipv6 else (ANYWHERE,)


def wanted_ingress(group_id: str, network: NetworkSettings) -> frozenset[SecurityRule]:
    """open_ports' TCP and UDP ranges from the internet; all traffic between members; SSH only from allow_ssh."""
    rules = {
        SecurityRule(protocol=protocol, from_port=low, to_port=high, peer=peer)
        for protocol, (low, high) in network.port_ranges().items()
        for peer in internet(network)
    }
    rules.add(SecurityRule(protocol="-1", peer=group_id))
    return frozenset(
        rules | {SecurityRule(protocol="tcp", from_port=22, to_port=22, peer=c) for c in network.allow_ssh}
    )


def wanted_egress(network: NetworkSettings) -> frozenset[SecurityRule]:
    """What the agents need out: everything, to the internet (IPv6 too when dual stack)."""
    return frozenset(SecurityRule(protocol="-1", peer=peer) for peer in internet(network))


def created_group_egress(vpc_has_ipv6: bool) -> list[SecurityRule]:
    """What AWS gives a new security group: all traffic out to 0.0.0.0/0, and to ::/0 in a VPC with IPv6."""
    return [SecurityRule(protocol="-1", peer=p) for p in ((ANYWHERE, ANYWHERE_V6) if vpc_has_ipv6 else (ANYWHERE,))]


def subnet_ipv6_blocks(vpc_ipv6: str, used: set[str]) -> list[str]:
    """/64 blocks of the VPC's IPv6 block not held by a subnet, in address order (a /56 has 256)."""
    net = ipaddress.IPv6Network(vpc_ipv6)
    taken = {ipaddress.IPv6Network(c) for c in used}
    return [str(b) for b in net.subnets(new_prefix=SUBNET_IPV6_PREFIX) if b not in taken]


def choose_zones(offered: list[str], existing: list[str], az_number: int) -> list[str]:
    """Up to `az_number` offered zones, those that already have a subnet first (so none is moved)."""
    kept = sorted(z for z in set(existing) if z in offered)[:az_number]
    return sorted(kept + [z for z in sorted(offered) if z not in kept][: az_number - len(kept)])


def free_blocks(vpc_cidr: str, az_number: int, used: set[str]) -> list[str]:
    """Blocks of the VPC's CIDR for new subnets, not overlapping `used`, in address order.

    The size leaves at least one spare block, so a later larger az_number still finds room.
    """
    net = ipaddress.IPv4Network(vpc_cidr)
    prefix = subnet_prefix(net, az_number)
    if prefix < net.prefixlen:
        return []
    taken = [ipaddress.IPv4Network(c) for c in used]
    return [str(b) for b in net.subnets(new_prefix=prefix) if not any(b.overlaps(t) for t in taken)]


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
