"""What a real account has that a fresh emulator lacks: the public Ubuntu AMI parameters, a CloudTrail trail."""

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


ACCOUNT_TRAIL = "account-trail"


def seed_account_trail(clients: ClientFactory, region: str) -> str:
    """The account's multi-region trail, logging with CloudTrail's default selector (every management event), in a
    bucket of its own: what the template's CreateTrail=false expects to find; its name."""
    bucket = f"{ACCOUNT_TRAIL}-{region}"
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    clients.client("s3", region).create_bucket(Bucket=bucket, **where)
    cloudtrail = clients.client("cloudtrail", region)
    cloudtrail.create_trail(Name=ACCOUNT_TRAIL, S3BucketName=bucket, IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name=ACCOUNT_TRAIL)
    return ACCOUNT_TRAIL
