"""Catalogue of the AWS commercial regions, read from botocore's endpoint data."""

from __future__ import annotations

from functools import cache

import botocore.session

# Regions enabled by default in every account: the ones launched before March 2019. AWS made
# every later region opt-in, so "not in this set" is how botocore's data is marked opt-in.
_ENABLED_BY_DEFAULT = frozenset(
    {
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
        "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2",
        "eu-west-3", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    }
)  # fmt: skip


@cache
def commercial_regions() -> tuple[str, ...]:
    """Every region of the `aws` partition that offers EC2, sorted."""
    session = botocore.session.get_session()
    return tuple(sorted(session.get_available_regions("ec2", partition_name="aws")))


def is_known_region(name: str) -> bool:
    """True when `name` is a commercial AWS region."""
    return name in commercial_regions()


def is_opt_in(name: str) -> bool:
    """True for regions an account must enable before use."""
    return is_known_region(name) and name not in _ENABLED_BY_DEFAULT


def opt_in_regions() -> tuple[str, ...]:
    """The commercial regions that need opting in."""
    return tuple(r for r in commercial_regions() if is_opt_in(r))
