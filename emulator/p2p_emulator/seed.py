"""What a real account has that a fresh emulator lacks: the public Ubuntu AMI parameters."""

from __future__ import annotations

from collections import defaultdict
from typing import get_args

from p2p_core.aws.clients import ClientFactory
from p2p_core.config.instance import InstanceSettings
from p2p_core.resources.template_content import ami_parameter
from p2p_emulator import shims


def ami_parameters() -> dict[str, str]:
    """Every public parameter the reconciler may read (each OS x architecture) -> its architecture."""
    oses = get_args(InstanceSettings.model_fields["os"].annotation)
    arches = get_args(InstanceSettings.model_fields["architecture"].annotation)
    return {ami_parameter(InstanceSettings(os=o, architecture=a)): a for o in oses for a in arches}


def seed_ami_parameters(clients: ClientFactory, region: str, images: dict[str, str] | None = None) -> None:
    """Point every Ubuntu AMI parameter of `region` at an emulator image (`images`: architecture -> id)."""
    if images is None:  # whatever images the emulator's EC2 has in that region
        found = clients.client("ec2", region).describe_images(MaxResults=5)["Images"][0]["ImageId"]
        images = defaultdict(lambda: found)
    shims.seed_public_parameters(region, {name: images[arch] for name, arch in ami_parameters().items()})
