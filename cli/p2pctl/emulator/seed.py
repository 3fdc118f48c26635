"""What a real account has that a fresh emulator lacks: the public Ubuntu AMI parameters."""

from __future__ import annotations

from typing import get_args

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import InstanceSettings
from p2p_core.reconciler.launch import ami_parameter
from p2pctl.emulator import shims


def ami_parameters() -> list[str]:
    """Every public parameter the reconciler may read (each OS x architecture)."""
    oses = get_args(InstanceSettings.model_fields["os"].annotation)
    arches = get_args(InstanceSettings.model_fields["architecture"].annotation)
    return [ami_parameter(InstanceSettings(os=o, architecture=a)) for o in oses for a in arches]


def seed_ami_parameters(clients: ClientFactory, region: str) -> str:
    """Point every Ubuntu AMI parameter of `region` at one of the emulator's images; returns its id."""
    image: str = clients.client("ec2", region).describe_images(MaxResults=5)["Images"][0]["ImageId"]
    shims.seed_public_parameters(region, dict.fromkeys(ami_parameters(), image))
    return image
