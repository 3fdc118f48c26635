"""Catalogue of the AWS commercial regions, shipped with the package (regions.json).

The CLI's botocore and the one bundled with the Lambda runtime can know different regions; reading the
catalogue from this package makes `regions: all`, region-key validation and `teardown` mean the same
regions everywhere. tests/unit/test_regions.py compares it with the installed botocore's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Region:
    """One commercial region."""

    name: str
    description: str
    opt_in: bool


@cache
def catalogue() -> dict[str, Region]:
    """Every region of the catalogue by name."""
    data = json.loads(resources.files("p2p_core").joinpath("regions.json").read_text())
    return {
        name: Region(name=name, description=entry["description"], opt_in=entry["opt_in"])
        for name, entry in sorted(data["regions"].items())
    }


@cache
def commercial_regions() -> tuple[str, ...]:
    """Every commercial region, sorted."""
    return tuple(catalogue())


def is_known_region(name: str) -> bool:
    """True when `name` is a commercial AWS region."""
    return name in catalogue()


def is_opt_in(name: str) -> bool:
    """True for regions an account must enable before use."""
    region = catalogue().get(name)
    return region is not None and region.opt_in


def opt_in_regions() -> tuple[str, ...]:
    """The commercial regions that need opting in."""
    return tuple(r.name for r in catalogue().values() if r.opt_in)
