"""EC2 images (one Ubuntu 24.04 per architecture), their public SSM parameters, and instance type offerings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID as ACCOUNT

# What the emulator's EC2 knows as images: one Ubuntu 24.04 per architecture. moto otherwise loads
# thousands of "latest" AMIs the first time each region is touched (about 1.3 s per region).
UBUNTU_IMAGES = {
    "arm64": "ami-0a1b2c3d4e5f60718",
    "x86_64": "ami-0c2f6b3d4e5a6b7c8",
}


def _image(ami_id: str, architecture: str) -> dict[str, Any]:
    return {
        "ami_id": ami_id,
        "state": "available",
        "public": True,
        "owner_id": "099720109477",  # Canonical
        "image_location": f"amazon/ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{architecture}-server",
        "root_device_type": "ebs",
        "root_device_name": "/dev/sda1",
        "description": f"Canonical, Ubuntu, 24.04, {architecture} noble image (emulator)",
        "image_type": "machine",
        "platform": None,
        "architecture": architecture,
        "name": f"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{architecture}-server-emulator",
        "virtualization_type": "hvm",
        "hypervisor": "xen",
    }


def use_small_image_catalogue(folder: Path) -> dict[str, str]:
    """Make every emulated region know only the Ubuntu images above; returns architecture -> image id."""
    from moto.ec2.models import amis

    images = [_image(ami_id, arch) for arch, ami_id in UBUNTU_IMAGES.items()]
    path = folder / "emulator-amis.json"
    path.write_text(json.dumps(images))
    os.environ["MOTO_AMIS_PATH"] = str(path)  # moto then skips its per-region "latest" catalogues
    amis.AMIS[:] = images
    return dict(UBUNTU_IMAGES)


def seed_public_parameters(region: str, values: dict[str, str]) -> None:
    """Put AWS-owned public parameters (moto refuses put_parameter under /aws/) in `region`."""
    import time

    from moto.ssm.models import Parameter, ssm_backends

    parameters = ssm_backends[ACCOUNT][region]._parameters
    for name, value in values.items():
        if parameters.get(name):
            continue
        parameters[name].append(
            Parameter(  # type: ignore[abstract]  # moto's concrete parameter class; its CFN hooks are unused
                account_id=ACCOUNT,
                name=name,
                value=value,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=time.time(),  # type: ignore[arg-type]  # moto stores epoch seconds here
                version=1,
                data_type="aws:ec2:image",
            )
        )


# ---------------------------------------------------------------- EC2: instance type offerings of newer regions

# moto's offering snapshot predates some regions (or lists few types there). The emulator offers these
# common agent types in every AZ of a commercial region that lacks them, so every region can be tried.
AGENT_TYPES = ("t3.micro", "t3.small", "t3.medium", "t4g.micro", "t4g.small", "t4g.medium", "c7g.medium", "m7g.medium")


def complete_instance_type_offerings(regions: list[str]) -> list[str]:
    """Add AGENT_TYPES to each region's offerings where missing; returns the regions that were completed."""
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS

    by_zone = INSTANCE_TYPE_OFFERINGS["availability-zone"]
    by_region = INSTANCE_TYPE_OFFERINGS["region"]
    completed = []
    for region in regions:
        zone_offers = by_zone.setdefault(region, [])
        have = {o["InstanceType"] for o in zone_offers}
        missing = [t for t in AGENT_TYPES if t not in have]
        if not missing:
            continue
        for suffix in "abc":
            for kind in missing:
                zone_offers.append(
                    {"InstanceType": kind, "Location": f"{region}{suffix}", "LocationType": "availability-zone"}
                )
        region_offers = by_region.setdefault(region, [])
        region_offers += [{"InstanceType": t, "Location": region, "LocationType": "region"} for t in missing]
        completed.append(region)
    return completed
